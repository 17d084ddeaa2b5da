//! Check-ins: a cycle launched by HR, the person's self-assessment, the manager's review, the
//! person's acknowledgement; who reads what; a manager change; bad input changing nothing.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// boss → manager → (report, other report); a peer under the boss; `department` of everyone
/// below the boss is "Eng" but the peer's is "Sales".
struct Team {
    boss: (Uuid, String),
    manager: (Uuid, String),
    report: (Uuid, String),
    peer: (Uuid, String),
}

async fn team(app: &TestApp) -> Team {
    let person = |email: &str, manager: Option<Uuid>, department: &str| {
        let (email, department) = (email.to_owned(), department.to_owned());
        async move {
            let id = app
                .post(
                    "/api/v1/people",
                    &app.admin_token,
                    &json!({"email": email, "display_name": email, "manager_id": manager,
                        "department": department}),
                )
                .await
                .expect(201)
                .id();
            app.send(
                app.request(
                    Method::PUT,
                    &format!("/api/v1/people/{id}/password"),
                    Some(&app.admin_token),
                )
                .json(&json!({"password": PASSWORD})),
            )
            .await
            .expect(204);
            let token = app.login(&email, PASSWORD).await.expect(200).body["access_token"]
                .as_str()
                .expect("token")
                .to_owned();
            (id, token)
        }
    };
    let boss = person("boss@example.com", None, "Eng").await;
    let manager = person("m@example.com", Some(boss.0), "Eng").await;
    let report = person("r@example.com", Some(manager.0), "Eng").await;
    person("r2@example.com", Some(manager.0), "Eng").await;
    let peer = person("p@example.com", Some(boss.0), "Sales").await;
    Team {
        boss,
        manager,
        report,
        peer,
    }
}

fn cycle(extra: Value) -> Value {
    let mut body = json!({"name": "Q1 2027 check-in", "frequency": "quarterly",
        "period_start": "2027-01-01", "period_end": "2027-03-31", "due_date": "2027-04-10",
        "population": "everyone"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

async fn my_checkin(app: &TestApp, token: &str) -> Reply {
    let list = app
        .get("/api/v1/checkins?person=me&open=true", token)
        .await
        .expect(200);
    let id = ids(&list).pop().expect("an open check-in");
    app.get(&format!("/api/v1/checkins/{id}"), token)
        .await
        .expect(200)
}

#[tokio::test]
async fn a_checkin_goes_from_draft_to_acknowledged_and_hr_sees_counts() {
    let app = spawn_app().await;
    let t = team(&app).await;
    // A goal of the report's, for the snapshot.
    let goal = app
        .post(
            "/api/v1/goals",
            &t.report.1,
            &json!({"title": "Cut p99 latency", "kind": "smart", "start_date": "2027-01-01",
                "due_date": "2027-03-31", "key_results": [{"title": "p99", "measure": "numeric",
                "start": 800, "target": 200, "current": 500, "unit": "ms"}]}),
        )
        .await
        .expect(201);
    let launched = app
        .post(
            "/api/v1/checkin-cycles",
            &app.admin_token,
            &cycle(json!({})),
        )
        .await
        .expect(201);
    // Everyone with a manager: the manager, two reports, the peer (not the boss, nor the admin).
    assert_eq!(launched.body["completion"]["total"], 4);
    assert_eq!(launched.body["completion"]["draft"], 4);
    let cycle_path = format!("/api/v1/checkin-cycles/{}", launched.id());

    let mine = my_checkin(&app, &t.report.1).await;
    assert_eq!(mine.body["state"], "draft");
    assert_eq!(mine.body["manager_id"], t.manager.0.to_string());
    assert_eq!(mine.body["due_date"], "2027-04-10");
    let path = format!("/api/v1/checkins/{}", mine.id());
    let patch = |token: &str, body: Value| {
        let (token, path) = (token.to_owned(), path.clone());
        let app = &app;
        async move {
            app.send(
                app.request(Method::PATCH, &path, Some(&token))
                    .header("content-type", "application/merge-patch+json")
                    .body(body.to_string()),
            )
            .await
        }
    };
    let step = |token: &str, what: &str| {
        let (token, path) = (token.to_owned(), format!("{path}/{what}"));
        let app = &app;
        async move { app.post(&path, &token, &json!({})).await }
    };
    patch(
        &t.report.1,
        json!({"went_well": "Shipped the importer.", "blockers": "The schema freeze."}),
    )
    .await
    .expect(200);
    // The manager writes only their comment; the person only their self-assessment.
    patch(&t.manager.1, json!({"went_well": "Not mine to say"}))
        .await
        .expect_problem(403, "forbidden");
    patch(&t.report.1, json!({"manager_comment": "Great"}))
        .await
        .expect_problem(403, "forbidden");
    patch(&t.manager.1, json!({"manager_comment": "Draft thoughts"}))
        .await
        .expect(200);
    // Out of order: 409; the manager cannot submit, the person cannot review.
    step(&t.manager.1, "review")
        .await
        .expect_problem(409, "invalid_transition");
    step(&t.report.1, "acknowledge")
        .await
        .expect_problem(409, "invalid_transition");
    step(&t.manager.1, "submit")
        .await
        .expect_problem(403, "forbidden");
    let submitted = step(&t.report.1, "submit").await.expect(200);
    assert_eq!(submitted.body["state"], "submitted");
    assert!(submitted.body["submitted_at"].is_string());
    assert_eq!(submitted.body["goals"][0]["goal_id"], goal.id().to_string());
    assert_eq!(submitted.body["goals"][0]["progress_percent"], 50);
    // Submitting again changes nothing; the self-assessment is closed, the comment is not.
    assert_eq!(
        step(&t.report.1, "submit").await.expect(200).body["updated_at"],
        submitted.body["updated_at"]
    );
    patch(&t.report.1, json!({"went_well": "Changed my mind"}))
        .await
        .expect_problem(409, "invalid_transition");
    patch(&t.manager.1, json!({"manager_comment": "Strong quarter."}))
        .await
        .expect(200);
    step(&t.report.1, "review")
        .await
        .expect_problem(403, "forbidden");
    // The manager's list of what to review.
    let to_review = app
        .get("/api/v1/checkins?manager=me&state=submitted", &t.manager.1)
        .await
        .expect(200);
    assert_eq!(ids(&to_review), [mine.id().to_string()]);
    step(&t.manager.1, "review").await.expect(200);
    patch(&t.manager.1, json!({"manager_comment": "Too late"}))
        .await
        .expect_problem(409, "invalid_transition");
    let done = step(&t.report.1, "acknowledge").await.expect(200);
    assert_eq!(done.body["state"], "acknowledged");
    assert_eq!(done.body["manager_comment"], "Strong quarter.");
    assert_eq!(done.body["went_well"], "Shipped the importer.");
    assert!(
        app.get("/api/v1/checkins?person=me&open=true", &t.report.1)
            .await
            .expect(200)
            .body["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // HR: counts, never content.
    let counts = app.get(&cycle_path, &app.admin_token).await.expect(200);
    assert_eq!(counts.body["completion"]["acknowledged"], 1);
    assert_eq!(counts.body["completion"]["draft"], 3);
    assert_eq!(counts.body["completion"]["completion_percent"], 25);
    assert!(!counts.text.contains("Shipped"));
    let (_, reports_token) = app.api_token(&["reports:read"]).await;
    let listed = app
        .get("/api/v1/checkin-cycles", &reports_token)
        .await
        .expect(200);
    assert_eq!(ids(&listed), [launched.id().to_string()]);
    // Who reads the check-in: the person and the manager; HR and tokens 403; the skip level
    // and a peer 404.
    for token in [&t.report.1, &t.manager.1] {
        app.get(&path, token).await.expect(200);
    }
    for token in [&app.admin_token, &reports_token] {
        app.get(&path, token).await.expect_problem(403, "forbidden");
    }
    for token in [&t.boss.1, &t.peer.1] {
        app.get(&path, token).await.expect_problem(404, "not_found");
        patch(token, json!({"went_well": "x"}))
            .await
            .expect_problem(404, "not_found");
        step(token, "review").await.expect_problem(404, "not_found");
    }
    // An HR admin lists their own check-ins, as anyone does: none of others'.
    let hr_list = app
        .get("/api/v1/checkins", &app.admin_token)
        .await
        .expect(200);
    assert!(ids(&hr_list).is_empty());
    app.get("/api/v1/checkins", &reports_token)
        .await
        .expect_problem(403, "forbidden");
    for token in [&t.manager.1, &t.report.1, &t.peer.1] {
        app.get("/api/v1/checkin-cycles", token)
            .await
            .expect_problem(403, "forbidden");
    }
    app.post("/api/v1/checkin-cycles", &t.boss.1, &cycle(json!({})))
        .await
        .expect_problem(403, "forbidden");
    // The change feed: the pair follows the check-in, nobody else.
    let id = mine.id().to_string();
    let has = |changes: &[Value]| changes.iter().any(|c| c["resource_id"] == id.as_str());
    let (seen, _) = app.follow_until(&t.manager.1, None, has).await;
    assert!(has(&seen));
    let (seen, _) = app
        .follow_until(&t.boss.1, None, |c| {
            c.iter().any(|x| x["type"] == "person.created")
        })
        .await;
    assert!(!has(&seen));
}

#[tokio::test]
async fn populations_a_manager_change_and_bad_cycles() {
    let app = spawn_app().await;
    let t = team(&app).await;
    let launch = |body: Value| {
        let app = &app;
        async move {
            app.post("/api/v1/checkin-cycles", &app.admin_token, &body)
                .await
        }
    };
    let sales = launch(cycle(
        json!({"population": "department", "department": "Sales"}),
    ))
    .await
    .expect(201);
    assert_eq!(sales.body["completion"]["total"], 1);
    let subtree = launch(cycle(
        json!({"population": "subtree", "manager_id": t.manager.0}),
    ))
    .await
    .expect(201);
    assert_eq!(subtree.body["completion"]["total"], 2);
    assert_eq!(subtree.body["manager_id"], t.manager.0.to_string());

    // The report moves to the boss: the open check-in goes with them.
    let mine = my_checkin(&app, &t.report.1).await;
    let person = app
        .get(&format!("/api/v1/people/{}", t.report.0), &app.admin_token)
        .await
        .expect(200);
    let etag = person.header("etag").unwrap().to_owned();
    app.send_if_match(
        Method::PATCH,
        &format!("/api/v1/people/{}", t.report.0),
        &app.admin_token,
        &etag,
        Some(json!({"manager_id": t.boss.0})),
    )
    .await
    .expect(200);
    let moved = app
        .get(&format!("/api/v1/checkins/{}", mine.id()), &t.boss.1)
        .await
        .expect(200);
    assert_eq!(moved.body["manager_id"], t.boss.0.to_string());
    app.get(&format!("/api/v1/checkins/{}", mine.id()), &t.manager.1)
        .await
        .expect_problem(404, "not_found");

    // Bad cycles: problems, and nothing launched.
    let fields = |reply: Reply| -> Vec<String> {
        reply.expect_problem(422, "validation_failed").body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        fields(
            launch(cycle(
                json!({"name": "", "period_end": "2026-12-31", "due_date": "2026-12-01"})
            ))
            .await
        ),
        ["name", "period_end", "due_date"]
    );
    assert_eq!(
        fields(launch(cycle(json!({"population": "department"}))).await),
        ["department"]
    );
    assert_eq!(
        fields(launch(cycle(json!({"population": "subtree"}))).await),
        ["manager_id"]
    );
    assert_eq!(
        fields(launch(cycle(json!({"department": "Sales"}))).await),
        ["population"]
    );
    launch(cycle(json!({"frequency": "weekly"})))
        .await
        .expect_problem(422, "validation_failed");
    launch(cycle(
        json!({"population": "subtree", "manager_id": Uuid::now_v7()}),
    ))
    .await
    .expect_problem(422, "unknown_reference");
    let all = app
        .get("/api/v1/checkin-cycles", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(ids(&all).len(), 2);
    app.get(
        &format!("/api/v1/checkin-cycles/{}", Uuid::now_v7()),
        &app.admin_token,
    )
    .await
    .expect_problem(404, "not_found");
    // A stale If-Match changes nothing.
    app.send_if_match(
        Method::POST,
        &format!("/api/v1/checkins/{}/submit", mine.id()),
        &t.report.1,
        "\"v99\"",
        None,
    )
    .await
    .expect_problem(412, "precondition_failed");
    let still = app
        .get(&format!("/api/v1/checkins/{}", mine.id()), &t.report.1)
        .await
        .expect(200);
    assert_eq!(still.body["state"], "draft");
}
