//! API tokens: created by HR admins, scoped, shown once, revocable.

use oneonone_tests::*;
use serde_json::json;

#[tokio::test]
async fn tokens_are_shown_once_scoped_and_revocable() {
    let app = spawn_app().await;
    let (id, secret) = app.api_token(&["people:read"]).await;
    assert!(secret.starts_with("oo_"));
    let listed = app
        .get("/api/v1/api-tokens", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(listed.body["data"][0]["id"], id.to_string());
    assert!(
        !listed.text.contains(&secret[3..]),
        "the secret must never be listed"
    );
    assert_eq!(listed.body["data"][0]["scopes"], json!(["people:read"]));

    // Reads work, writes are forbidden.
    app.get("/api/v1/people", &secret).await.expect(200);
    app.post(
        "/api/v1/people",
        &secret,
        &json!({"email": "x@example.com", "display_name": "X"}),
    )
    .await
    .expect_problem(403, "forbidden");
    // Tokens act for an integration, not a person, and cannot mint tokens.
    app.get("/api/v1/me", &secret)
        .await
        .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/api-tokens",
        &secret,
        &json!({"name": "x", "scopes": ["people:read"]}),
    )
    .await
    .expect_problem(403, "forbidden");

    let read = app
        .get(&format!("/api/v1/api-tokens/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert!(read.body["last_used_at"].is_string(), "{}", read.text);

    app.delete(&format!("/api/v1/api-tokens/{id}"), &app.admin_token)
        .await
        .expect(204);
    app.get("/api/v1/people", &secret)
        .await
        .expect_problem(401, "unauthorized");
    app.get(&format!("/api/v1/api-tokens/{id}"), &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/api-tokens/{id}"), &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    let listed = app
        .get("/api/v1/api-tokens", &app.admin_token)
        .await
        .expect(200);
    assert!(listed.body["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn write_tokens_manage_people_and_see_hr_fields() {
    let app = spawn_app().await;
    let (_, secret) = app.api_token(&["people:write"]).await;
    let created = app
        .post(
            "/api/v1/people",
            &secret,
            &json!({"email": "sync@example.com", "display_name": "Synced", "external_id": "HR-9"}),
        )
        .await
        .expect(201);
    assert_eq!(created.body["external_id"], "HR-9");
    // But no token makes anyone an HR admin (or takes it away): a sync token must not become a
    // path to full control. Nothing changes.
    let id = created.id();
    app.post(
        "/api/v1/people",
        &secret,
        &json!({"email": "boss@example.com", "display_name": "Boss", "hr_admin": true}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/people/{id}"),
        &secret,
        &json!({"hr_admin": true}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/people/{}", app.admin_id),
        &secret,
        &json!({"hr_admin": false}),
    )
    .await
    .expect_problem(403, "forbidden");
    let read = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(read.body["hr_admin"], false);
    // Other changes by the same token go through, and a field sent unchanged is no grant.
    app.patch(
        &format!("/api/v1/people/{id}"),
        &secret,
        &json!({"title": "Engineer", "hr_admin": false}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn tokens_stop_when_their_creator_is_deactivated() {
    let app = spawn_app().await;
    let second_admin = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": "hr2@example.com", "display_name": "HR Two", "hr_admin": true}),
        )
        .await
        .expect(201)
        .id();
    app.send(
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/people/{second_admin}/password"),
            Some(&app.admin_token),
        )
        .json(&json!({"password": PASSWORD})),
    )
    .await
    .expect(204);
    let hr2 = app
        .login("hr2@example.com", PASSWORD)
        .await
        .expect(200)
        .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = app
        .post(
            "/api/v1/api-tokens",
            &hr2,
            &json!({"name": "hr2's", "scopes": ["people:read"]}),
        )
        .await
        .expect(201)
        .body["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get("/api/v1/people", &secret).await.expect(200);
    app.post(
        &format!("/api/v1/people/{second_admin}/deactivate"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.get("/api/v1/people", &secret)
        .await
        .expect_problem(401, "unauthorized");
}

#[tokio::test]
async fn employees_cannot_manage_tokens_and_bad_scopes_are_refused() {
    let app = spawn_app().await;
    let (_, token) = app.person_with_login("e@example.com", "E", None).await;
    app.get("/api/v1/api-tokens", &token)
        .await
        .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/api-tokens",
        &token,
        &json!({"name": "mine", "scopes": ["people:read"]}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/api-tokens",
        &app.admin_token,
        &json!({"name": "x", "scopes": ["root"]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.post(
        "/api/v1/api-tokens",
        &app.admin_token,
        &json!({"name": "x", "scopes": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.get(
        &format!("/api/v1/api-tokens/{}", uuid::Uuid::now_v7()),
        &app.admin_token,
    )
    .await
    .expect_problem(404, "not_found");
}
