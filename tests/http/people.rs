//! People and the org chart: CRUD, who may change what, concurrency, sync.

use std::collections::HashSet;

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn create_read_update_deactivate() {
    let app = spawn_app().await;
    let boss = app.create_person("boss@example.com", "Boss", None).await;
    let created = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({
                "email": "Grace@Example.com", "display_name": "Grace Hopper",
                "title": "Engineer", "department": "Engineering", "manager_id": boss,
                "external_id": "HR-1"
            }),
        )
        .await
        .expect(201);
    let id = created.id();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/people/{id}").as_str())
    );
    assert_eq!(created.body["email"], "Grace@Example.com");
    assert_eq!(created.body["active"], true);

    let read = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(read.body, created.body);
    let etag = read.header("etag").unwrap().to_owned();

    let updated = app
        .send(
            app.request(
                Method::PATCH,
                &format!("/api/v1/people/{id}"),
                Some(&app.admin_token),
            )
            .header("content-type", "application/merge-patch+json")
            .header("if-match", &etag)
            .body(json!({"title": "Rear Admiral", "department": null}).to_string()),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["title"], "Rear Admiral");
    assert!(updated.body["department"].is_null());
    assert_eq!(updated.body["display_name"], "Grace Hopper");
    assert_ne!(updated.header("etag"), Some(etag.as_str()));

    let reports = app
        .get(
            &format!("/api/v1/people/{boss}/direct-reports"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(reports.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(reports.body["data"][0]["id"], id.to_string());

    let deactivated = app
        .post(
            &format!("/api/v1/people/{id}/deactivate"),
            &app.admin_token,
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(deactivated.body["active"], false);
    let read = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(read.body["active"], false);
    assert!(read.body["deactivated_at"].is_string());
    // Deactivating twice changes nothing; reactivating clears the date.
    let again = app
        .post(
            &format!("/api/v1/people/{id}/deactivate"),
            &app.admin_token,
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(again.body["deactivated_at"], read.body["deactivated_at"]);
    let back = app
        .post(
            &format!("/api/v1/people/{id}/reactivate"),
            &app.admin_token,
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(back.body["active"], true);
    assert!(back.body["deactivated_at"].is_null());
    app.get(
        &format!("/api/v1/people/{}", uuid::Uuid::now_v7()),
        &app.admin_token,
    )
    .await
    .expect_problem(404, "not_found");
}

#[tokio::test]
async fn stale_if_match_is_412_and_changes_nothing() {
    let app = spawn_app().await;
    let id = app.create_person("a@example.com", "A", None).await;
    let etag = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"title": "First"}),
    )
    .await
    .expect(200);
    let stale = |body: serde_json::Value| {
        app.request(
            Method::PATCH,
            &format!("/api/v1/people/{id}"),
            Some(&app.admin_token),
        )
        .header("content-type", "application/merge-patch+json")
        .header("if-match", &etag)
        .body(body.to_string())
    };
    app.send(stale(json!({"title": "Second"})))
        .await
        .expect_problem(412, "precondition_failed");
    app.send(
        app.request(
            Method::POST,
            &format!("/api/v1/people/{id}/deactivate"),
            Some(&app.admin_token),
        )
        .header("if-match", &etag),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let read = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await;
    assert_eq!(read.body["title"], "First");
    assert_eq!(read.body["active"], true);
}

#[tokio::test]
async fn emails_are_unique_regardless_of_case() {
    let app = spawn_app().await;
    app.create_person("dup@example.com", "One", None).await;
    app.post(
        "/api/v1/people",
        &app.admin_token,
        &json!({"email": "DUP@example.COM", "display_name": "Two"}),
    )
    .await
    .expect_problem(409, "conflict");
    assert_eq!(app.count_people().await, 2);
    // With an Idempotency-Key the taken email is the answer too (the insert waits for the
    // commit, after the response is stored: its failure is still the change's), and the key is
    // not used up.
    let keyed = |email: &str| {
        app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
            .header("idempotency-key", "dup-key")
            .json(&json!({"email": email, "display_name": "Two"}))
    };
    app.send(keyed("Dup@Example.com"))
        .await
        .expect_problem(409, "conflict");
    assert_eq!(app.count_people().await, 2);
    let created = app.db.count_events("person.created").await.unwrap();
    assert_eq!(
        created, 2,
        "the admin and the one person, nothing of the refused"
    );
    app.send(keyed("dup2@example.com")).await.expect(201);
}

#[tokio::test]
async fn reporting_cycles_are_rejected() {
    let app = spawn_app().await;
    let a = app.create_person("a@example.com", "A", None).await;
    let b = app.create_person("b@example.com", "B", Some(a)).await;
    let c = app.create_person("c@example.com", "C", Some(b)).await;
    let reply = app
        .patch(
            &format!("/api/v1/people/{a}"),
            &app.admin_token,
            &json!({"manager_id": c}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "manager_id");
    app.patch(
        &format!("/api/v1/people/{a}"),
        &app.admin_token,
        &json!({"manager_id": a}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/people/{a}"),
        &app.admin_token,
        &json!({"manager_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let read = app
        .get(&format!("/api/v1/people/{a}"), &app.admin_token)
        .await;
    assert!(read.body["manager_id"].is_null());
    // Moving a subtree elsewhere is fine.
    app.patch(
        &format!("/api/v1/people/{c}"),
        &app.admin_token,
        &json!({"manager_id": a}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn people_edit_a_few_fields_of_their_own_record_only() {
    let app = spawn_app().await;
    let (me, token) = app.person_with_login("me@example.com", "Me", None).await;
    let other = app.create_person("other@example.com", "Other", None).await;
    app.patch(
        &format!("/api/v1/people/{me}"),
        &token,
        &json!({"display_name": "Me Myself", "title": "Engineer"}),
    )
    .await
    .expect(200);
    for body in [
        json!({"hr_admin": true}),
        json!({"manager_id": other}),
        json!({"department": "Finance"}),
    ] {
        app.patch(&format!("/api/v1/people/{me}"), &token, &body)
            .await
            .expect_problem(403, "forbidden");
    }
    app.patch(
        &format!("/api/v1/people/{other}"),
        &token,
        &json!({"title": "Hacked"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/people",
        &token,
        &json!({"email": "n@example.com", "display_name": "N"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/people/{other}/deactivate"),
        &token,
        &json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    let read = app
        .get(&format!("/api/v1/people/{me}"), &token)
        .await
        .expect(200);
    assert_eq!(read.body["display_name"], "Me Myself");
    assert_eq!(read.body["hr_admin"], false);
    let other_read = app
        .get(&format!("/api/v1/people/{other}"), &token)
        .await
        .expect(200);
    assert_eq!(other_read.body["title"], serde_json::Value::Null);
}

#[tokio::test]
async fn hr_fields_are_hidden_from_employees() {
    let app = spawn_app().await;
    let (_, token) = app.person_with_login("emp@example.com", "Emp", None).await;
    let id = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": "x@example.com", "display_name": "X", "external_id": "HR-7"}),
        )
        .await
        .expect(201)
        .id();
    let as_admin = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await;
    assert_eq!(as_admin.body["external_id"], "HR-7");
    let as_employee = app
        .get(&format!("/api/v1/people/{id}"), &token)
        .await
        .expect(200);
    assert!(as_employee.body.get("external_id").is_none());
    let listed = app
        .get("/api/v1/people?limit=200", &token)
        .await
        .expect(200);
    assert!(!listed.text.contains("HR-7"));
}

#[tokio::test]
async fn the_last_hr_admin_cannot_be_removed() {
    let app = spawn_app().await;
    app.patch(
        &format!("/api/v1/people/{}", app.admin_id),
        &app.admin_token,
        &json!({"hr_admin": false}),
    )
    .await
    .expect_problem(409, "last_hr_admin");
    app.post(
        &format!("/api/v1/people/{}/deactivate", app.admin_id),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect_problem(409, "last_hr_admin");
    app.get("/api/v1/me", &app.admin_token).await.expect(200);
}

#[tokio::test]
async fn list_filters() {
    let app = spawn_app().await;
    let boss = app
        .create_person("boss@example.com", "Big Boss", None)
        .await;
    for (email, name, dept) in [
        ("ana@example.com", "Ana Lima", "Sales"),
        ("bo@example.com", "Bo Dahl", "Engineering"),
        ("cy@example.com", "Cy_Twombly", "Engineering"),
    ] {
        app.post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": email, "display_name": name, "department": dept, "manager_id": boss}),
        )
        .await
        .expect(201);
    }
    let names = |reply: Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let r = app
        .get("/api/v1/people?department=Engineering", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(names(r), vec!["Bo Dahl", "Cy_Twombly"]);
    let r = app
        .get(
            &format!("/api/v1/people?manager_id={boss}&limit=200"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(names(r).len(), 3);
    let r = app
        .get("/api/v1/people?q=LIMA", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(names(r), vec!["Ana Lima"]);
    // LIKE wildcards are literal.
    let r = app
        .get("/api/v1/people?q=y_t", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(names(r), vec!["Cy_Twombly"]);
    let r = app
        .get("/api/v1/people?q=%25", &app.admin_token)
        .await
        .expect(200);
    assert!(names(r).is_empty());
    let r = app
        .get("/api/v1/people?active=false", &app.admin_token)
        .await
        .expect(200);
    assert!(names(r).is_empty());
}

#[tokio::test]
async fn pagination_never_skips_or_repeats_while_others_insert() {
    let app = spawn_app().await;
    for i in 0..25 {
        app.create_person(&format!("p{i}@example.com"), &format!("P{i}"), None)
            .await;
    }
    let before: usize = app.count_people().await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut inserted = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/people?limit=7&cursor={c}"),
            None => "/api/v1/people?limit=7".to_owned(),
        };
        let page = app.get(&path, &app.admin_token).await.expect(200);
        for p in page.body["data"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_owned());
        }
        // Someone else inserts between our pages.
        app.create_person(&format!("late{inserted}@example.com"), "Late", None)
            .await;
        inserted += 1;
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a row was repeated");
    assert!(
        seen.len() >= before,
        "a row was skipped: saw {} of {before}",
        seen.len()
    );
}

#[tokio::test]
async fn updated_since_syncs_changes_in_order() {
    let app = spawn_app().await;
    let a = app.create_person("a@example.com", "A", None).await;
    let b = app.create_person("b@example.com", "B", None).await;
    let mark = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.patch(
        &format!("/api/v1/people/{b}"),
        &app.admin_token,
        &json!({"title": "Changed"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/people/{a}/deactivate"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    let since = mark.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let page = app
        .get(
            &format!("/api/v1/people?updated_since={since}&limit=1"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(
        page.body["data"][0]["id"],
        b.to_string(),
        "{since} {}",
        page.text
    );
    let next = page.body["next_cursor"].as_str().unwrap();
    let page = app
        .get(
            &format!("/api/v1/people?updated_since={since}&limit=1&cursor={next}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(page.body["data"][0]["id"], a.to_string());
    assert_eq!(page.body["data"][0]["active"], false);
    assert!(page.body["next_cursor"].is_null());
}

#[tokio::test]
async fn idempotent_creates_replay_and_refuse_a_different_body() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let body = json!({"email": "once@example.com", "display_name": "Once"});
    let send = |body: serde_json::Value, key: &str| {
        app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
            .header("idempotency-key", key)
            .json(&body)
    };
    let first = app.send(send(body.clone(), "key-1")).await.expect(201);
    let again = app.send(send(body.clone(), "key-1")).await.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(app.count_people().await, before + 1);
    app.send(send(
        json!({"email": "other@example.com", "display_name": "Other"}),
        "key-1",
    ))
    .await
    .expect_problem(422, "idempotency_key_reused");
    assert_eq!(app.count_people().await, before + 1);
    // A failed request does not burn its key.
    app.send(send(
        json!({"email": "bad", "display_name": "Bad"}),
        "key-2",
    ))
    .await
    .expect_problem(422, "validation_failed");
    app.send(send(
        json!({"email": "good@example.com", "display_name": "Good"}),
        "key-2",
    ))
    .await
    .expect(201);
    // Keys belong to their principal: another caller's same key is a fresh request.
    let (_, token) = app.api_token(&["people:write"]).await;
    let other = app
        .send(
            app.request(Method::POST, "/api/v1/people", Some(&token))
                .header("idempotency-key", "key-1")
                .json(&json!({"email": "third@example.com", "display_name": "Third"})),
        )
        .await
        .expect(201);
    assert!(other.header("idempotent-replayed").is_none());
}

#[tokio::test]
async fn concurrent_retries_create_once() {
    let app = spawn_app().await;
    let before = app.count_people().await;
    let body = json!({"email": "race@example.com", "display_name": "Race"});
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            app.send(
                app.request(Method::POST, "/api/v1/people", Some(&app.admin_token))
                    .header("idempotency-key", "same")
                    .json(&body),
            )
        })
        .collect();
    let replies = futures_util::future::join_all(tasks).await;
    for r in &replies {
        assert!(r.status == 201 || r.status == 409, "{}", r.text);
    }
    assert!(replies.iter().any(|r| r.status == 201));
    assert_eq!(app.count_people().await, before + 1);
}

#[tokio::test]
async fn secondary_managers_for_matrix_organisations() {
    let app = spawn_app().await;
    let line = app
        .create_person("line@example.com", "Line Manager", None)
        .await;
    let project = app
        .create_person("project@example.com", "Project Lead", None)
        .await;
    let id = app
        .post(
            "/api/v1/people",
            &app.admin_token,
            &json!({"email": "m@example.com", "display_name": "Matrixed", "manager_id": line,
                    "secondary_manager_ids": [project, project]}),
        )
        .await
        .expect(201);
    assert_eq!(id.body["secondary_manager_ids"], json!([project]));
    let id = id.id();
    let read = app
        .get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(read.body["secondary_manager_ids"], json!([project]));
    // A secondary manager with matrix reports cannot be erased.
    app.delete(&format!("/api/v1/people/{project}"), &app.admin_token)
        .await
        .expect_problem(409, "has_reports");
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"secondary_manager_ids": [line]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/people/{id}"),
        &app.admin_token,
        &json!({"secondary_manager_ids": [uuid::Uuid::now_v7()]}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let cleared = app
        .patch(
            &format!("/api/v1/people/{id}"),
            &app.admin_token,
            &json!({"secondary_manager_ids": null}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.body["secondary_manager_ids"], json!([]));
}

#[tokio::test]
async fn erasure_removes_personal_data_and_leaves_a_tombstone_for_sync() {
    let app = spawn_app().await;
    let boss = app.create_person("boss@example.com", "Boss", None).await;
    let (id, token) = app
        .person_with_login("gone@example.com", "Gone Person", Some(boss))
        .await;
    let mark = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (_, employee) = app.person_with_login("emp@example.com", "Emp", None).await;
    app.delete(&format!("/api/v1/people/{id}"), &employee)
        .await
        .expect_problem(403, "forbidden");
    app.delete(&format!("/api/v1/people/{boss}"), &app.admin_token)
        .await
        .expect_problem(409, "has_reports");

    app.delete(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect(204);
    app.get(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    app.delete(&format!("/api/v1/people/{id}"), &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    app.get("/api/v1/me", &token)
        .await
        .expect_problem(401, "unauthorized");
    let listed = app
        .get("/api/v1/people?limit=200", &app.admin_token)
        .await
        .expect(200);
    assert!(!listed.text.contains(&id.to_string()));
    assert!(!listed.text.contains("gone@example.com"));
    let reports = app
        .get(
            &format!("/api/v1/people/{boss}/direct-reports"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert!(reports.body["data"].as_array().unwrap().is_empty());

    let sync = app
        .get(
            &format!("/api/v1/people?updated_since={mark}&limit=200"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let tombstone = sync.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id.to_string())
        .expect("a tombstone");
    assert!(tombstone["deleted_at"].is_string());
    assert!(!sync.text.contains("Gone Person") && !sync.text.contains("gone@example.com"));
    // The email is free again.
    app.create_person("gone@example.com", "Someone New", None)
        .await;
    // Now the boss has no reports and can be erased.
    app.delete(&format!("/api/v1/people/{boss}"), &app.admin_token)
        .await
        .expect(204);
}
