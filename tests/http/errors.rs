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
