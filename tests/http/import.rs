//! Bulk import from the HR system: upsert by external id (else email), all or nothing.

use oneonone_tests::*;
use serde_json::json;

#[tokio::test]
async fn import_creates_then_updates_and_reruns_change_nothing() {
    let app = spawn_app().await;
    // Reports before their manager: order in the batch does not matter.
    let rows = json!({"rows": [
        {"external_id": "E2", "email": "eng@example.com", "display_name": "Eng", "manager_external_id": "E1"},
        {"external_id": "E1", "email": "cto@example.com", "display_name": "CTO"},
        {"external_id": "E3", "email": "eng2@example.com", "display_name": "Eng Two", "manager_external_id": "E2", "department": "Engineering"}
    ]});
    let first = app
        .post("/api/v1/people/import", &app.admin_token, &rows)
        .await
        .expect(200);
    assert_eq!(first.body["created"], 3);
    let eng = first.body["rows"][0]["id"].as_str().unwrap().to_owned();
    let cto = first.body["rows"][1]["id"].as_str().unwrap().to_owned();
    let read = app
        .get(&format!("/api/v1/people/{eng}"), &app.admin_token)
        .await;
    assert_eq!(read.body["manager_id"], cto);

    let again = app
        .post("/api/v1/people/import", &app.admin_token, &rows)
        .await
        .expect(200);
    assert_eq!(again.body["unchanged"], 3);
    assert_eq!(again.body["created"], 0);

    // A change and a leaver; a person matched by email gains an external id.
    app.create_person("known@example.com", "Known", None).await;
    let change = json!({"rows": [
        {"external_id": "E2", "email": "eng@example.com", "display_name": "Eng Renamed", "manager_external_id": "E1"},
        {"external_id": "E3", "email": "eng2@example.com", "display_name": "Eng Two", "active": false},
        {"external_id": "E4", "email": "KNOWN@example.com", "display_name": "Known"}
    ]});
    let third = app
        .post("/api/v1/people/import", &app.admin_token, &change)
        .await
        .expect(200);
    assert_eq!(third.body["updated"], 3, "{}", third.text);
    let e3 = third.body["rows"][1]["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/v1/people/{e3}"), &app.admin_token)
        .await;
    assert_eq!(read.body["active"], false);
    assert!(read.body["manager_id"].is_null());
}

#[tokio::test]
async fn one_bad_row_rejects_the_whole_batch() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let rows = json!({"rows": [
        {"external_id": "A", "email": "a@example.com", "display_name": "A"},
        {"external_id": "B", "email": "not-an-email", "display_name": "B"},
        {"external_id": "C", "email": "c@example.com", "display_name": "C", "manager_external_id": "NOPE"}
    ]});
    let reply = app
        .post("/api/v1/people/import", &app.admin_token, &rows)
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"rows[1].email"), "{fields:?}");
    // Field errors are reported first; fix them and the reference error shows.
    let rows = json!({"rows": [
        {"external_id": "A", "email": "a@example.com", "display_name": "A"},
        {"external_id": "C", "email": "c@example.com", "display_name": "C", "manager_external_id": "NOPE"}
    ]});
    let reply = app
        .post("/api/v1/people/import", &app.admin_token, &rows)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(
        reply.body["errors"][0]["field"],
        "rows[1].manager_external_id"
    );
    assert_eq!(app.count_people().await, before);
}

#[tokio::test]
async fn import_refuses_cycles_and_duplicates() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let cycle = json!({"rows": [
        {"external_id": "X", "email": "x@example.com", "display_name": "X", "manager_external_id": "Y"},
        {"external_id": "Y", "email": "y@example.com", "display_name": "Y", "manager_external_id": "X"}
    ]});
    let reply = app
        .post("/api/v1/people/import", &app.admin_token, &cycle)
        .await
        .expect_problem(422, "validation_failed");
    assert!(reply.text.contains("cycle"));
    let dup = json!({"rows": [
        {"external_id": "X", "email": "x@example.com", "display_name": "X"},
        {"external_id": "Z", "email": "X@example.com", "display_name": "Z"}
    ]});
    let reply = app
        .post("/api/v1/people/import", &app.admin_token, &dup)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "rows[1].email");
    app.post(
        "/api/v1/people/import",
        &app.admin_token,
        &json!({"rows": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(app.count_people().await, before);
}

#[tokio::test]
async fn import_needs_people_write() {
    let app = spawn_app().await;
    let (_, read_only) = app.api_token(&["people:read"]).await;
    let rows = json!({"rows": [{"email": "a@example.com", "display_name": "A"}]});
    app.post("/api/v1/people/import", &read_only, &rows)
        .await
        .expect_problem(403, "forbidden");
    let (_, writer) = app.api_token(&["people:write"]).await;
    app.post("/api/v1/people/import", &writer, &rows)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_large_import_is_one_transaction() {
    let app = spawn_app().await;
    let mut rows = Vec::new();
    for i in 0..2000 {
        let manager = if i == 0 {
            serde_json::Value::Null
        } else {
            json!(format!("L{}", (i - 1) / 10))
        };
        rows.push(json!({"external_id": format!("L{i}"), "email": format!("l{i}@example.com"), "display_name": format!("Person {i}"), "manager_external_id": manager}));
    }
    let reply = app
        .post(
            "/api/v1/people/import",
            &app.admin_token,
            &json!({"rows": rows}),
        )
        .await
        .expect(200);
    assert_eq!(reply.body["created"], 2000);
    assert_eq!(app.count_people().await, 2001);
}
