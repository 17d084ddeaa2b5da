//! The conversation-starter library and agenda templates.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_seeded_library_suggestions_that_rotate_and_hr_curation() {
    let app = spawn_app().await;
    let (manager, manager_token) = app
        .person_with_login("m@example.com", "Manager", None)
        .await;
    let (report, report_token) = app
        .person_with_login("r@example.com", "Report", Some(manager))
        .await;
    let library = app
        .get("/api/v1/conversation-starters", &report_token)
        .await
        .expect(200);
    let starters = library.body["data"].as_array().unwrap();
    assert!(starters.len() >= 40, "only {} starters", starters.len());

    let series = app
        .post(
            "/api/v1/meeting-series",
            &manager_token,
            &json!({"manager_id": manager, "report_id": report, "local_time": "10:00",
                    "time_zone": "UTC", "start_date": "2030-09-02"}),
        )
        .await
        .expect(201)
        .id();
    let m = app.series_meetings(&manager_token, series).await;
    let suggested = app
        .get(
            &format!("/api/v1/meetings/{}/suggested-starters?limit=3", m[0]),
            &report_token,
        )
        .await
        .expect(200);
    let first = suggested.body["data"][0].clone();
    assert_eq!(suggested.body["data"].as_array().unwrap().len(), 3);
    // Using a starter puts it on the agenda and it is not suggested again for this pair.
    let item = app
        .post(
            &format!("/api/v1/meetings/{}/agenda-items", m[0]),
            &report_token,
            &json!({"starter_id": first["id"]}),
        )
        .await
        .expect(201);
    assert_eq!(item.body["title"], first["question"]);
    assert_eq!(item.body["category"], first["category"]);
    let again = app
        .get(
            &format!("/api/v1/meetings/{}/suggested-starters?limit=20", m[1]),
            &manager_token,
        )
        .await
        .expect(200);
    assert!(!again.text.contains(first["id"].as_str().unwrap()));
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", m[0]),
        &report_token,
        &json!({"starter_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // HR admins curate; others cannot.
    app.post(
        "/api/v1/conversation-starters",
        &report_token,
        &json!({"category": "ideas", "question": "Q?"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let created = app
        .post(
            "/api/v1/conversation-starters",
            &app.admin_token,
            &json!({"category": "ideas", "question": "What should we stop doing?"}),
        )
        .await
        .expect(201);
    let etag = created.header("etag").unwrap().to_owned();
    let retired = app
        .send_if_match(
            Method::PATCH,
            &format!("/api/v1/conversation-starters/{}", created.id()),
            &app.admin_token,
            &etag,
            Some(json!({"active": false})),
        )
        .await
        .expect(200);
    assert_eq!(retired.body["active"], false);
    let active = app
        .get(
            "/api/v1/conversation-starters?category=ideas",
            &report_token,
        )
        .await
        .expect(200);
    assert!(!active.text.contains("What should we stop doing?"));
}

#[tokio::test]
async fn templates_are_seeded_editable_and_applied() {
    let app = spawn_app().await;
    let (manager, manager_token) = app
        .person_with_login("m@example.com", "Manager", None)
        .await;
    let (report, _) = app
        .person_with_login("r@example.com", "Report", Some(manager))
        .await;
    let templates = app
        .get("/api/v1/agenda-templates", &manager_token)
        .await
        .expect(200);
    let kinds: Vec<&str> = templates.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "weekly",
        "first_one_on_one",
        "career",
        "skip_level",
        "peer",
        "new_hire_30_60_90",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing");
    }
    let career = templates.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "career")
        .unwrap()
        .clone();
    let one_off = app
        .post(
            "/api/v1/meetings",
            &manager_token,
            &json!({"manager_id": manager, "report_id": report, "starts_at": "2030-10-01T10:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    let applied = app
        .post(
            &format!("/api/v1/meetings/{one_off}/apply-template"),
            &manager_token,
            &json!({"template_id": career["id"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        applied.body["data"].as_array().unwrap().len(),
        career["items"].as_array().unwrap().len()
    );
    app.patch(
        &format!(
            "/api/v1/agenda-templates/{}",
            career["id"].as_str().unwrap()
        ),
        &manager_token,
        &json!({"name": "Mine"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let renamed = app
        .patch(
            &format!("/api/v1/agenda-templates/{}", career["id"].as_str().unwrap()),
            &app.admin_token,
            &json!({"name": "Career check-in", "items": [{"category": "career", "title": "Where next?"}]}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.body["items"].as_array().unwrap().len(), 1);
    app.patch(
        &format!(
            "/api/v1/agenda-templates/{}",
            career["id"].as_str().unwrap()
        ),
        &app.admin_token,
        &json!({"items": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
}
