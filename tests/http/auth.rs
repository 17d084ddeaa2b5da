//! Authentication failures of every kind, and the ways to sign in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

fn forge(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims(sub: uuid::Uuid, exp_offset: i64, aud: &str) -> serde_json::Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": sub, "iss": "oneonone", "aud": aud, "iat": now, "nbf": now,
           "exp": now + exp_offset, "jti": uuid::Uuid::now_v7()})
}

/// The claims of a token (its payload, unverified).
fn payload(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64")).expect("json")
}

#[tokio::test]
async fn login_returns_a_working_token_and_me() {
    let app = spawn_app().await;
    let reply = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect(200);
    assert_eq!(reply.body["token_type"], "Bearer");
    let token = reply.body["access_token"].as_str().unwrap();
    let me = app.get("/api/v1/me", token).await.expect(200);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(me.body["hr_admin"], true);
    assert!(me.header("etag").is_some());
    // Email is case-insensitive.
    app.login("ADMIN@Example.com", ADMIN_PASSWORD)
        .await
        .expect(200);
}

#[tokio::test]
async fn wrong_credentials_get_the_same_401() {
    let app = spawn_app().await;
    let a = app
        .login(ADMIN_EMAIL, "wrong password!!")
        .await
        .expect_problem(401, "unauthorized");
    let b = app
        .login("nobody@example.com", "wrong password!!")
        .await
        .expect_problem(401, "unauthorized");
    assert_eq!(a.body["detail"], b.body["detail"]);
    app.send(
        app.request(Method::POST, "/api/v1/auth/login", None)
            .json(&json!({"email": ADMIN_EMAIL})),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn bad_credentials_are_401_with_www_authenticate() {
    let app = spawn_app().await;
    let sub = app.admin_id;
    let generation = payload(&app.admin_token)["gen"].clone();
    let claims = |sub, exp_offset, aud: &str| {
        let mut c = claims(sub, exp_offset, aud);
        c["gen"] = generation.clone();
        c
    };
    let with = |field: &str, value: serde_json::Value| {
        let mut c = claims(sub, 3600, "oneonone-api");
        c[field] = value;
        format!("Bearer {}", forge(c, JWT_SECRET))
    };
    let cases: Vec<(&str, Option<String>)> = vec![
        (
            "not valid yet",
            Some(with("nbf", json!(chrono::Utc::now().timestamp() + 600))),
        ),
        (
            "an ended session",
            Some(with("gen", json!(generation.as_i64().unwrap_or(0) - 1))),
        ),
        ("missing", None),
        ("wrong scheme", Some("Basic YWRtaW46YWRtaW4=".into())),
        ("garbage", Some("Bearer not-a-token".into())),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                forge(claims(sub, -3600, "oneonone-api"), JWT_SECRET)
            )),
        ),
        (
            "wrong signature",
            Some(format!(
                "Bearer {}",
                forge(
                    claims(sub, 3600, "oneonone-api"),
                    "another-secret-another-secret-xx"
                )
            )),
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                forge(claims(sub, 3600, "someone-else"), JWT_SECRET)
            )),
        ),
        ("unknown api token", Some("Bearer oo_doesnotexist".into())),
        (
            "alg none",
            Some({
                let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
                let payload = URL_SAFE_NO_PAD.encode(claims(sub, 3600, "oneonone-api").to_string());
                format!("Bearer {header}.{payload}.")
            }),
        ),
    ];
    for (what, header) in cases {
        let mut req = app.client.get(app.url("/api/v1/me"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let reply = app.send(req).await;
        assert_eq!(reply.status, 401, "{what}: {}", reply.text);
        assert_eq!(reply.body["code"], "unauthorized", "{what}");
        assert!(
            reply
                .header("www-authenticate")
                .is_some_and(|v| v.starts_with("Bearer")),
            "{what}"
        );
    }
    // A well-forged token (right key) for the admin works: the checks above are the reason.
    let good = forge(claims(sub, 3600, "oneonone-api"), JWT_SECRET);
    app.get("/api/v1/me", &good).await.expect(200);
}

#[tokio::test]
async fn deactivated_people_cannot_sign_in_and_their_tokens_stop_at_once() {
    let app = spawn_app().await;
    let (id, token) = app
        .person_with_login("leaver@example.com", "Leaver", None)
        .await;
    app.get("/api/v1/me", &token).await.expect(200);
    app.post(
        &format!("/api/v1/people/{id}/deactivate"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token)
        .await
        .expect_problem(401, "unauthorized");
    // Pages that read the principal's record in their own statement stop too, even where
    // there is nothing to read.
    let nothing = uuid::Uuid::now_v7();
    for path in [
        "/api/v1/feedback".to_owned(),
        "/api/v1/feedback?role=given".to_owned(),
        "/api/v1/recognitions".to_owned(),
        format!("/api/v1/meetings/{nothing}"),
        format!("/api/v1/goals/{nothing}"),
    ] {
        app.get(&path, &token)
            .await
            .expect_problem(401, "unauthorized");
    }
    app.login("leaver@example.com", PASSWORD)
        .await
        .expect_problem(401, "unauthorized");
    // Reactivation lets them sign in again, and revives no token issued before.
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"active": true}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token)
        .await
        .expect_problem(401, "unauthorized");
    let fresh = app.login("leaver@example.com", PASSWORD).await.expect(200);
    let fresh = fresh.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me", &fresh).await.expect(200);
}

fn access_token(reply: &Reply) -> String {
    reply.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// Every way a session ends — a password change, an HR reset, "sign out everywhere" — ends
/// every access token issued before it, on every device; a new sign-in works.
#[tokio::test]
async fn a_changed_password_or_a_sign_out_everywhere_ends_every_earlier_session() {
    let app = spawn_app().await;
    let (id, phone) = app.person_with_login("s@example.com", "S", None).await;
    let laptop = access_token(&app.login("s@example.com", PASSWORD).await.expect(200));
    app.send(
        app.request(Method::PUT, "/api/v1/me/password", Some(&phone))
            .json(&json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"})),
    )
    .await
    .expect(204);
    for old in [&phone, &laptop] {
        app.get("/api/v1/me", old)
            .await
            .expect_problem(401, "unauthorized");
    }
    let now = access_token(
        &app.login("s@example.com", "a brand new passphrase")
            .await
            .expect(200),
    );
    app.get("/api/v1/me", &now).await.expect(200);
    // An HR reset ends it too.
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/people/{id}/password"),
            Some(&app.admin_token),
        )
        .json(&json!({"password": "reset by hr, 2026"})),
    )
    .await
    .expect(204);
    app.get("/api/v1/me", &now)
        .await
        .expect_problem(401, "unauthorized");
    // Sign out everywhere: both devices, the calling one included.
    let a = access_token(
        &app.login("s@example.com", "reset by hr, 2026")
            .await
            .expect(200),
    );
    let b = access_token(
        &app.login("s@example.com", "reset by hr, 2026")
            .await
            .expect(200),
    );
    app.send(app.request(Method::POST, "/api/v1/me/sign-out-everywhere", Some(&a)))
        .await
        .expect(204);
    for old in [&a, &b] {
        app.get("/api/v1/me", old)
            .await
            .expect_problem(401, "unauthorized");
        // The meeting page authenticates on its own connection: the same rule holds there.
        app.get(&format!("/api/v1/meetings/{id}"), old)
            .await
            .expect_problem(401, "unauthorized");
    }
    app.login("s@example.com", "reset by hr, 2026")
        .await
        .expect(200);
    // Someone else's sessions are theirs: the admin's token still works.
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
    // API tokens act for an integration, which has no session to end.
    let (_, token) = app.api_token(&["people:read"]).await;
    app.send(app.request(Method::POST, "/api/v1/me/sign-out-everywhere", Some(&token)))
        .await
        .expect_problem(403, "forbidden");
}

/// An HR admin who leaves takes their API tokens along: coming back revives none of them (and
/// neither does getting HR admin back after losing it).
#[tokio::test]
async fn api_tokens_of_an_hr_admin_who_leaves_stay_revoked() {
    let app = spawn_app().await;
    let (id, token) = app
        .person_with_login("hr2@example.com", "HR Two", None)
        .await;
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"hr_admin": true}),
    )
    .await
    .expect(200);
    let _ = token;
    for (leave, back) in [
        (json!({"active": false}), json!({"active": true})),
        (json!({"hr_admin": false}), json!({"hr_admin": true})),
    ] {
        let signed_in = access_token(&app.login("hr2@example.com", PASSWORD).await.expect(200));
        let made = app
            .send(
                app.request(Method::POST, "/api/v1/api-tokens", Some(&signed_in))
                    .json(&json!({"name": "sync", "scopes": ["people:read"]})),
            )
            .await
            .expect(201);
        let secret = made.body["secret"].as_str().unwrap().to_owned();
        app.get("/api/v1/people", &secret).await.expect(200);
        app.patch(&format!("/api/v1/people/{id}"), &app.admin_token, &leave)
            .await
            .expect(200);
        app.patch(&format!("/api/v1/people/{id}"), &app.admin_token, &back)
            .await
            .expect(200);
        app.get("/api/v1/people", &secret)
            .await
            .expect_problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let app = spawn_app_with(|s| s.login_attempts_per_minute = 3).await;
    // spawn_app used one attempt for the admin already.
    let mut limited = None;
    for _ in 0..5 {
        let reply = app.login(ADMIN_EMAIL, "wrong password!!").await;
        if reply.status == 429 {
            limited = Some(reply);
            break;
        }
        assert_eq!(reply.status, 401);
    }
    let reply = limited
        .expect("never limited")
        .expect_problem(429, "rate_limited");
    let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    // Even the right password is refused while limited.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .expect_problem(429, "rate_limited");
}

/// The login limit holds across replicas (issue 10): three servers on one database allow the
/// same number of attempts as one, not three times as many.
#[tokio::test]
async fn the_login_limit_is_shared_by_every_replica() {
    let app = spawn_app_with(|s| s.login_attempts_per_minute = 4).await;
    let replicas = [
        app.replica(|s| s.login_attempts_per_minute = 4).await,
        app.replica(|s| s.login_attempts_per_minute = 4).await,
    ];
    let bases: Vec<&str> = std::iter::once(app.base.as_str())
        .chain(replicas.iter().map(|r| r.base.as_str()))
        .collect();
    let mut answers = Vec::new();
    for attempt in 0..9 {
        let base = bases[attempt % bases.len()];
        let reply = app
            .send(
                app.client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({"email": "nobody@example.com", "password": "wrong password!!"})),
            )
            .await;
        answers.push(reply.status.as_u16());
    }
    // Four attempts a minute for this account, wherever they land; then 429 on every replica.
    assert_eq!(answers, [401, 401, 401, 401, 429, 429, 429, 429, 429]);
}

#[tokio::test]
async fn people_change_their_own_password_with_the_current_one() {
    let app = spawn_app().await;
    let (_, token) = app.person_with_login("pw@example.com", "Pw", None).await;
    let put = |body: serde_json::Value| {
        app.request(Method::PUT, "/api/v1/me/password", Some(&token))
            .json(&body)
    };
    app.send(put(
        json!({"current_password": "wrong one", "new_password": "a brand new passphrase"}),
    ))
    .await
    .expect_problem(422, "validation_failed");
    app.send(put(
        json!({"current_password": PASSWORD, "new_password": "short"}),
    ))
    .await
    .expect_problem(422, "validation_failed");
    app.send(put(
        json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
    ))
    .await
    .expect(204);
    app.login("pw@example.com", PASSWORD)
        .await
        .expect_problem(401, "unauthorized");
    app.login("pw@example.com", "a brand new passphrase")
        .await
        .expect(200);
}

#[tokio::test]
async fn only_hr_admins_set_other_peoples_passwords() {
    let app = spawn_app().await;
    let (id, token) = app.person_with_login("emp@example.com", "Emp", None).await;
    let other = app.create_person("other@example.com", "Other", None).await;
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/people/{other}/password"),
            Some(&token),
        )
        .json(&json!({"password": "some long password"})),
    )
    .await
    .expect_problem(403, "forbidden");
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/people/{id}/password"),
            Some(&token),
        )
        .json(&json!({"password": "some long password"})),
    )
    .await
    .expect_problem(403, "forbidden");
    app.login("other@example.com", "some long password")
        .await
        .expect_problem(401, "unauthorized");
}
