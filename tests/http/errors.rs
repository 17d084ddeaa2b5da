//! Bad input of every kind gets a clear problem and changes nothing.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    let reply = app
        .send(app.request(Method::PUT, "/api/v1/people", Some(&app.admin_token)))
        .await
        .expect_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
    let reply = app
        .send(app.request(
            Method::POST,
            "/api/v1/people/00000000-0000-0000-0000-000000000000",
            Some(&app.admin_token),
        ))
        .await
        .expect_problem(405, "method_not_allowed");
    assert!(reply.header("allow").unwrap().contains("PATCH"));
    // A literal route wins over a parameterised one.
    let reply = app
        .send(
            app.request(
                Method::PATCH,
                "/api/v1/people/import",
                Some(&app.admin_token),
            )
            .json(&json!({})),
        )
        .await
        .expect_problem(405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("POST"));
    app.send(app.request(Method::DELETE, "/api/v1/people", Some(&app.admin_token)))
        .await
        .expect_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn malformed_bodies_are_rejected_and_nothing_is_stored() {
    let app = spawn_app().await;
    let someone = app
        .create_person("someone@example.com", "Someone", None)
        .await;
    let before = app.count_people().await;
    let post = |body: &'static str, ct: &'static str| {
        app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
            .header("content-type", ct)
            .body(body)
    };
    app.send(post("{\"email\": ", "application/json"))
        .await
        .expect_problem(400, "malformed_json");
    // A key named twice: an intermediary keeping the first and a server keeping the last would
    // read different requests, so it is no request at all.
    let twice = app
        .send(post(
            r#"{"email": "twice@example.com", "display_name": "A", "display_name": "B"}"#,
            "application/json",
        ))
        .await
        .expect_problem(400, "malformed_json");
    assert!(twice.text.contains("display_name"), "{}", twice.text);
    // And in a merge patch, where the last one would otherwise win: nothing changes.
    app.send(
        app.request(
            Method::PATCH,
            &format!("/api/v1/people/{someone}"),
            Some(&app.admin_token),
        )
        .header("content-type", "application/merge-patch+json")
        .body(r#"{"title": "Lead", "title": "Intern"}"#),
    )
    .await
    .expect_problem(400, "malformed_json");
    let read = app
        .get(&format!("/api/v1/people/{someone}"), &app.admin_token)
        .await
        .expect(200);
    assert!(read.body["title"].is_null(), "{}", read.body);
    app.send(post("email=x", "application/x-www-form-urlencoded"))
        .await
        .expect_problem(415, "unsupported_media_type");
    app.send(
        app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
            .body("{}"),
    )
    .await
    .expect_problem(415, "unsupported_media_type");
    let reply = app
        .send(post(
            r#"{"email": 42, "display_name": "X"}"#,
            "application/json",
        ))
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "email");
    let reply = app
        .send(post(
            r#"{"email": "x@example.com", "display_name": "X", "colour": "red"}"#,
            "application/json",
        ))
        .await
        .expect_problem(422, "validation_failed");
    assert!(reply.text.contains("colour"));
    let big = format!(
        r#"{{"email": "x@example.com", "display_name": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    app.send(
        app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
            .header("content-type", "application/json")
            .body(big),
    )
    .await
    .expect_problem(413, "payload_too_large");
    assert_eq!(app.count_people().await, before);
}

#[tokio::test]
async fn invalid_fields_are_all_listed() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let reply = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": "not-an-email", "display_name": "   ", "title": "t".repeat(201)}),
        )
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "display_name", "title"]);
    assert_eq!(app.count_people().await, before);
}

#[tokio::test]
async fn nul_characters_are_refused_on_every_backend() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let reply = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": "nul@example.com", "display_name": "Nul\u{0}Byte"}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "display_name");
    app.get("/api/v1/people?q=a%00b", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
    assert_eq!(app.count_people().await, before);
}

#[tokio::test]
async fn bad_query_parameters_are_400() {
    let app = spawn_app().await;
    app.get("/api/v1/people?limit=0", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/people?limit=abc", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/people?limit=201", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/people?updated_since=yesterday", &app.admin_token)
        .await
        .expect_problem(400, "invalid_query");
    app.get("/api/v1/people?cursor=garbage", &app.admin_token)
        .await
        .expect_problem(400, "invalid_cursor");
    app.get("/api/v1/people/not-a-uuid", &app.admin_token)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_cors_works() {
    let app = spawn_app_with(|s| s.cors_origins = vec!["https://app.example.com".into()]).await;
    let reply = app
        .send(
            app.client
                .get(app.url("/healthz"))
                .header("x-request-id", "trace-123"),
        )
        .await
        .expect(200);
    assert_eq!(reply.header("x-request-id"), Some("trace-123"));
    let reply = app.get("/api/v1/nothing", &app.admin_token).await;
    assert!(reply.header("x-request-id").is_some_and(|v| !v.is_empty()));
    let preflight = app
        .send(
            app.client
                .request(Method::OPTIONS, app.url("/api/v1/people"))
                .header("origin", "https://app.example.com")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization, content-type, idempotency-key",
                ),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.text);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://app.example.com")
    );
    let other = app
        .send(
            app.client
                .get(app.url("/healthz"))
                .header("origin", "https://evil.example.com"),
        )
        .await;
    assert!(other.header("access-control-allow-origin").is_none());
}

/// Send `head` (and nothing more) on a new connection and read the answer to its end.
async fn raw_exchange(app: &TestApp, head: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    // The server answers before it has read everything of an oversized head: write on the side.
    let writer = tokio::spawn(async move {
        let _ = write.write_all(&head).await;
        write
    });
    let mut answer = Vec::new();
    let read_all = read.read_to_end(&mut answer);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read_all).await;
    drop(writer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The status, content type and `code` of a raw answer holding one problem.
fn raw_problem(answer: &str) -> (u16, String, String) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| l.strip_prefix("content-type: "))
        .unwrap_or_default()
        .to_owned();
    let problem: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = problem["code"].as_str().unwrap_or_default().to_owned();
    assert_eq!(problem["status"], status, "{answer}");
    (status, content_type, code)
}

/// Requests the HTTP parser refuses before any handler runs are problems too (issue 11, item
/// 10): an overlong query string, a huge header, a header with a bare CR, NUL or DEL.
#[tokio::test]
async fn requests_the_http_layer_refuses_are_problems() {
    let app = spawn_app().await;
    let long_query = format!(
        "GET /healthz?q={} HTTP/1.1\r\nhost: x\r\n\r\n",
        "a".repeat(66_000)
    );
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(1_000_000)
    );
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("long query", long_query.into_bytes(), 400, "bad_request"),
        (
            "huge header",
            huge_header.into_bytes(),
            431,
            "headers_too_large",
        ),
        (
            "bare CR",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\rb\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "NUL",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\0b\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "DEL",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\x7fb\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
    ];
    for (what, head, status, code) in cases {
        let answer = raw_exchange(&app, head).await;
        assert_eq!(
            raw_problem(&answer),
            (
                status,
                "application/problem+json".to_owned(),
                code.to_owned()
            ),
            "{what}: {answer}"
        );
    }
    // On a kept-alive connection the good request before a broken one is answered as usual.
    let answer = raw_exchange(
        &app,
        b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\nx-a: \0\r\n\r\n"
            .to_vec(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    let second = answer.find("HTTP/1.1 400").expect("a second answer");
    assert_eq!(raw_problem(&answer[second..]).2, "bad_request");
}
