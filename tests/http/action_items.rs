//! Action items: agreed in a meeting, open until done, shown in every following meeting.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn action_items_stay_open_across_meetings_until_done() {
    let app = spawn_app().await;
    let OneOnOne {
        manager_token,
        report,
        report_token,
        meetings: m,
        ..
    } = app.one_on_one().await;

    let item = app
        .post(
            &format!("/api/v1/meetings/{}/action-items", m[0]),
            &manager_token,
            &json!({"title": "Draft the RFC", "assignee_id": report, "due_date": "2020-01-01"}),
        )
        .await
        .expect(201);
    let id = item.id();
    assert_eq!(item.body["status"], "open");
    assert_eq!(item.body["overdue"], true);
    app.post(
        &format!("/api/v1/meetings/{}/action-items", m[0]),
        &manager_token,
        &json!({"title": "Someone else's job", "assignee_id": app.admin_id}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // It shows in the following meetings while open…
    let later = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[2]),
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(later.body["data"][0]["id"], id.to_string());
    let mine = app
        .get(
            "/api/v1/action-items?assignee=me&status=open",
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    let overdue = app
        .get(
            "/api/v1/action-items?assignee=me&overdue=true",
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(overdue.body["data"].as_array().unwrap().len(), 1);
    let managers = app
        .get(
            "/api/v1/action-items?assignee=me&status=open",
            &manager_token,
        )
        .await
        .expect(200);
    assert!(managers.body["data"].as_array().unwrap().is_empty());

    // …until done; a stale edit gets 412.
    let etag = item.header("etag").unwrap().to_owned();
    let done = app
        .send(
            app.request(
                Method::PATCH,
                &format!("/api/v1/action-items/{id}"),
                Some(&report_token),
            )
            .header("content-type", "application/merge-patch+json")
            .header("if-match", &etag)
            .body(json!({"status": "done"}).to_string()),
        )
        .await
        .expect(200);
    assert_eq!(done.body["status"], "done");
    assert_eq!(done.body["overdue"], false);
    assert!(done.body["completed_at"].is_string());
    app.send(
        app.request(
            Method::PATCH,
            &format!("/api/v1/action-items/{id}"),
            Some(&manager_token),
        )
        .header("content-type", "application/merge-patch+json")
        .header("if-match", &etag)
        .body(json!({"title": "Changed"}).to_string()),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let later = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[2]),
            &report_token,
        )
        .await
        .expect(200);
    assert!(later.body["data"].as_array().unwrap().is_empty());
    let first = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[0]),
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(first.body["data"][0]["status"], "done");

    // Content belongs to the participants: HR and tokens get 403, others 404.
    let (_, outsider) = app
        .person_with_login("o@example.com", "Outsider", None)
        .await;
    app.get(&format!("/api/v1/action-items/{id}"), &outsider)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/action-items/{id}"), &app.admin_token)
        .await
        .expect_problem(403, "forbidden");
    let (_, token) = app.api_token(&["meetings:read"]).await;
    app.get("/api/v1/action-items", &token)
        .await
        .expect_problem(403, "forbidden");
    let theirs = app.get("/api/v1/action-items", &outsider).await.expect(200);
    assert!(theirs.body["data"].as_array().unwrap().is_empty());
}
