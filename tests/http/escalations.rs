//! Escalation and PIP records: HR records them, reads each with the documented conversation
//! before it (if any), and reports how many the program reached in time; nobody else does.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A past one-off 1:1 of the pair at `at`, held, with one talking point discussed in it
/// (`private` or shared) or, with `action`, an action item.
async fn held(app: &TestApp, p: &OneOnOne, at: &str, private: bool, action: bool) -> String {
    let meeting = app
        .post(
            "/api/v1/meetings",
            &p.manager_token,
            &json!({"manager_id": p.manager, "report_id": p.report, "starts_at": at,
                "kind": "manager_report"}),
        )
        .await
        .expect(201)
        .id();
    if action {
        app.post(
            &format!("/api/v1/meetings/{meeting}/action-items"),
            &p.manager_token,
            &json!({"title": "Write down the release checklist", "assignee_id": p.report}),
        )
        .await
        .expect(201);
    } else {
        // Discussed (checked): an unchecked point would carry over to the next 1:1.
        let item = app
            .post(
                &format!("/api/v1/meetings/{meeting}/agenda-items"),
                &p.report_token,
                &json!({"title": "What is expected of me this quarter", "private": private}),
            )
            .await
            .expect(201)
            .id();
        app.patch(
            &format!("/api/v1/meetings/{meeting}/agenda-items/{item}"),
            &p.report_token,
            &json!({"checked": true}),
        )
        .await
        .expect(200);
    }
    app.post(
        &format!("/api/v1/meetings/{meeting}/complete"),
        &p.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    meeting.to_string()
}

async fn record(app: &TestApp, body: Value) -> Value {
    app.post("/api/v1/escalations", &app.admin_token, &body)
        .await
        .expect(201)
        .body
}

#[tokio::test]
async fn escalations_show_whether_a_documented_conversation_came_first_to_hr_alone() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    // A shared talking point on 1 September; a private one only on 1 March; an action item on
    // 5 January.
    let september = held(&app, &p, "2026-09-01T10:00:00Z", false, false).await;
    held(&app, &p, "2026-03-01T10:00:00Z", true, false).await;
    let january = held(&app, &p, "2026-01-05T10:00:00Z", false, true).await;

    // 44 days after a 1:1 with a shared point: preceded, by that meeting.
    let late = record(
        &app,
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-10-15",
            "external_ref": "HR-2291"}),
    )
    .await;
    assert_eq!(late["preceded_by_conversation"], true, "{late}");
    assert_eq!(late["last_conversation"]["kind"], "one_on_one");
    assert_eq!(late["last_conversation"]["id"], september.as_str());
    assert_eq!(late["external_ref"], "HR-2291");
    // Ninety days after the January 1:1 (the window's first day): preceded by its action item.
    let edge = record(
        &app,
        json!({"person_id": p.report, "kind": "pip", "occurred_on": "2026-04-05"}),
    )
    .await;
    assert_eq!(edge["last_conversation"]["id"], january.as_str(), "{edge}");
    // Ten days later the January 1:1 is out of the window, and the March one had a private
    // point only: nothing anyone else can point to, so not preceded.
    let unseen = record(
        &app,
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-04-15"}),
    )
    .await;
    assert_eq!(unseen["preceded_by_conversation"], false, "{unseen}");
    assert_eq!(unseen["last_conversation"], Value::Null);
    let unseen_id = unseen["id"].as_str().unwrap().to_owned();

    // The report: three in the year, two preceded; the one not preceded named.
    let report = app
        .get(
            "/api/v1/reports/escalations?from=2026-01-01&to=2026-12-31",
            &app.admin_token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(report["escalations"], 3, "{report}");
    assert_eq!(report["preceded"], 2);
    assert_eq!(report["preceded_pct"], 66.7);
    assert_eq!(report["not_preceded"], json!([unseen_id]));
    assert_eq!(
        report["by_kind"],
        json!([{"kind": "escalation", "escalations": 2, "preceded": 1},
            {"kind": "pip", "escalations": 1, "preceded": 1}])
    );
    // Slices: the manager's subtree holds the report; the report's own subtree nobody; a
    // window without any has no share.
    let subtree = app
        .get(
            &format!(
                "/api/v1/reports/escalations?from=2026-01-01&to=2026-12-31&manager_id={}",
                p.manager
            ),
            &app.admin_token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(subtree["escalations"], 3);
    let below = app
        .get(
            &format!(
                "/api/v1/reports/escalations?from=2026-01-01&to=2026-12-31&manager_id={}",
                p.report
            ),
            &app.admin_token,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(below["escalations"], 0);
    assert_eq!(below["preceded_pct"], Value::Null);
    let spring = app
        .get(
            "/api/v1/escalations?from=2026-04-01&to=2026-04-30",
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(
        spring.body["data"].as_array().unwrap().len(),
        2,
        "{}",
        spring.text
    );

    // Who may see: HR admins and escalations:read tokens; not the manager, not the report, not
    // the skip level, not a token with every other reading scope.
    let (_, reader) = app.api_token(&["escalations:read"]).await;
    let (_, other) = app
        .api_token(&["people:read", "meetings:read", "goals:read", "reports:read"])
        .await;
    let one = format!("/api/v1/escalations/{unseen_id}");
    for path in [
        "/api/v1/escalations",
        one.as_str(),
        "/api/v1/reports/escalations",
    ] {
        app.get(path, &reader).await.expect(200);
        for token in [
            &p.manager_token,
            &p.report_token,
            &p.skip_level_token,
            &other,
        ] {
            app.get(path, token).await.expect_problem(403, "forbidden");
        }
    }
    let before = app.count_sql("SELECT COUNT(*) FROM escalations").await;
    let body = json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-10-01"});
    for token in [&p.manager_token, &reader] {
        app.post("/api/v1/escalations", token, &body)
            .await
            .expect_problem(403, "forbidden");
        app.send(app.request(Method::DELETE, &one, Some(token)))
            .await
            .expect_problem(403, "forbidden");
    }

    // Bad input changes nothing.
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    for bad in [
        json!({"person_id": uuid::Uuid::now_v7(), "kind": "escalation", "occurred_on": "2026-10-01"}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": tomorrow}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "0001-01-01"}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-10-01",
            "external_ref": "HR\u{7}1"}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-10-01",
            "external_ref": ""}),
        json!({"person_id": p.report, "kind": "warning", "occurred_on": "2026-10-01"}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "01/10/2026"}),
        json!({"person_id": p.report, "kind": "escalation", "occurred_on": "2026-10-01",
            "note": "free text is not kept"}),
    ] {
        let reply = app
            .post("/api/v1/escalations", &app.admin_token, &bad)
            .await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.text);
    }
    app.get(
        "/api/v1/escalations?from=2026-05-01&to=2026-04-01",
        &app.admin_token,
    )
    .await
    .expect_problem(400, "invalid_query");
    assert_eq!(
        app.count_sql("SELECT COUNT(*) FROM escalations").await,
        before
    );

    // A retried record is one record.
    let keyed = |key: &str| {
        app.request(Method::POST, "/api/v1/escalations", Some(&app.admin_token))
            .header("Idempotency-Key", key.to_owned())
            .json(&body)
    };
    let first = app.send(keyed("esc-1")).await.expect(201);
    let again = app.send(keyed("esc-1")).await.expect(201);
    assert_eq!(first.id(), again.id());
    assert_eq!(
        app.count_sql("SELECT COUNT(*) FROM escalations").await,
        before + 1
    );

    // A record made in error is removed, once.
    let removed = format!("/api/v1/escalations/{}", first.id());
    app.send(app.request(Method::DELETE, &removed, Some(&app.admin_token)))
        .await
        .expect(204);
    app.get(&removed, &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    app.send(app.request(Method::DELETE, &removed, Some(&app.admin_token)))
        .await
        .expect_problem(404, "not_found");
    // Erasing the person erases their records.
    assert!(
        app.count_sql("SELECT COUNT(*) FROM escalations").await > 0,
        "records to erase"
    );
    app.delete(&format!("/api/v1/people/{}", p.report), &app.admin_token)
        .await
        .expect(204);
    assert_eq!(app.count_sql("SELECT COUNT(*) FROM escalations").await, 0);
    app.get(&one, &app.admin_token)
        .await
        .expect_problem(404, "not_found");
    // The log names the records only: no event of theirs reaches /changes.
    let changes = app
        .get("/api/v1/changes?limit=200", &app.admin_token)
        .await
        .expect(200);
    assert!(!changes.text.contains("escalation"), "{}", changes.text);
}
