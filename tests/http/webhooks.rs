//! Webhooks: subscriptions (HR and `webhooks:manage` tokens), signed deliveries of metadata
//! only, retries, order per record, the delivery log, redelivery, rotation, and a receiver
//! that is down for a whole retry window. Every delivery goes to a real HTTP receiver on
//! 127.0.0.1 (`support/receiver.rs`).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use oneonone_tests::receiver::{Mode, Received, Receiver};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A server whose runner looks often and retries soon.
async fn quick_app() -> TestApp {
    spawn_app_with(|s| {
        s.jobs.poll = Duration::from_millis(50);
        s.jobs.retry_base = Duration::from_millis(100);
        s.jobs.retry_cap = Duration::from_millis(400);
        s.jobs.timeout = Duration::from_secs(1);
    })
    .await
}

async fn subscribe(app: &TestApp, token: &str, url: &str, types: Value) -> (String, String) {
    let reply = app
        .post(
            "/api/v1/webhooks",
            token,
            &json!({"url": url, "event_types": types, "description": "test receiver"}),
        )
        .await
        .expect(201);
    let secret = reply.body["secret"].as_str().expect("secret").to_owned();
    (reply.body["id"].as_str().expect("id").to_owned(), secret)
}

fn types_of(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn subscriptions_are_for_hr_and_webhook_tokens_and_bad_ones_change_nothing() {
    let app = spawn_app().await;
    let (_, employee) = app
        .signed_in(&json!({"email": "e@example.com", "display_name": "E"}))
        .await;
    let (_, reader) = app.api_token(&["meetings:read"]).await;
    let (_, hooks) = app.api_token(&["webhooks:manage"]).await;
    let body = json!({"url": "https://hr.example.com/hooks", "event_types": ["meeting.*"]});
    for token in [&employee, &reader] {
        app.post("/api/v1/webhooks", token, &body)
            .await
            .expect_problem(403, "forbidden");
        app.get("/api/v1/webhooks", token)
            .await
            .expect_problem(403, "forbidden");
        app.get("/api/v1/job-queue", token)
            .await
            .expect_problem(403, "forbidden");
    }
    for (bad, field) in [
        (
            json!({"url": "http://hr.example.com/hooks", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@hr.example.com/", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "hr.example.com", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://hr.example.com/", "event_types": ["agenda_item.added"]}),
            "event_types",
        ),
        (
            json!({"url": "https://hr.example.com/", "event_types": ["note.*"]}),
            "event_types",
        ),
        (
            json!({"url": "https://hr.example.com/", "event_types": []}),
            "event_types",
        ),
    ] {
        let reply = app
            .post("/api/v1/webhooks", &hooks, &bad)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }
    let listed = app.get("/api/v1/webhooks", &hooks).await.expect(200);
    assert_eq!(
        listed.body["data"],
        json!([]),
        "a refused subscription leaves nothing"
    );

    let created = app
        .post("/api/v1/webhooks", &hooks, &body)
        .await
        .expect(201);
    let id = created.id();
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    let read = app
        .get(&format!("/api/v1/webhooks/{id}"), &app.admin_token)
        .await
        .expect(200);
    assert!(!read.text.contains(secret), "the secret is shown once");
    assert_eq!(read.body["event_types"], json!(["meeting.*"]));
    let etag = read.header("etag").unwrap().to_owned();

    // A stale If-Match changes nothing.
    let stale = app
        .send_if_match(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &app.admin_token,
            "\"v999\"",
            Some(json!({"active": false})),
        )
        .await;
    stale.expect_problem(412, "precondition_failed");
    let turned_off = app
        .send_if_match(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &hooks,
            &etag,
            Some(json!({"active": false, "event_types": ["meeting.completed", "person.*"]})),
        )
        .await
        .expect(200);
    assert_eq!(turned_off.body["active"], false);
    assert_eq!(
        turned_off.body["event_types"],
        json!(["meeting.completed", "person.*"])
    );
    app.patch(
        &format!("/api/v1/webhooks/{id}"),
        &hooks,
        &json!({"url": "http://example.com/"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let catalogue = app
        .get("/api/v1/webhook-event-types", &hooks)
        .await
        .expect(200);
    let types: Vec<&str> = catalogue
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["type"].as_str())
        .collect();
    assert!(types.contains(&"meeting.completed") && types.contains(&"rating.recorded"));
    assert!(
        !types
            .iter()
            .any(|t| t.starts_with("agenda_item") || t.starts_with("note"))
    );
    app.delete(&format!("/api/v1/webhooks/{id}"), &hooks)
        .await
        .expect(204);
    app.get(&format!("/api/v1/webhooks/{id}"), &hooks)
        .await
        .expect_problem(404, "not_found");
}

/// Everything that happens to a 1:1 reaches the receiver signed, once, in order per record, as
/// metadata: no title, no private point, no rating value or rater.
#[tokio::test]
async fn deliveries_are_signed_metadata_in_order_and_never_private() {
    let app = quick_app().await;
    let receiver = Receiver::start(Mode::Ok).await;
    let (hook, secret) = subscribe(&app, &app.admin_token, &receiver.url, json!(["*"])).await;
    let o = app.one_on_one().await;
    let m = &o.meetings[0];
    app.post(
        &format!("/api/v1/meetings/{m}/agenda-items"),
        &o.report_token,
        &json!({"title": "Salary worries (private)", "private": true}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/meetings/{m}/agenda-items"),
        &o.manager_token,
        &json!({"title": "Roadmap review"}),
    )
    .await
    .expect(201);
    let item = app
        .post(
            &format!("/api/v1/meetings/{m}/action-items"),
            &o.manager_token,
            &json!({"title": "Write the promotion case", "assignee_id": o.report}),
        )
        .await
        .expect(201)
        .id();
    app.patch(
        &format!("/api/v1/action-items/{item}"),
        &o.report_token,
        &json!({"status": "done"}),
    )
    .await
    .expect(200);
    app.complete_and_rate(
        m,
        &o.manager_token,
        &o.report_token,
        json!({"useful": 2, "expectations_clear": 1}),
    )
    .await;

    let wanted = [
        "person.created",
        "meeting_series.created",
        "action_item.created",
        "action_item.done",
        "meeting.completed",
        "rating.recorded",
    ];
    // Records arrive in order each; across records, in any order.
    receiver
        .wait_for("every kind of event", |got| {
            let types = types_of(got);
            wanted.iter().all(|w| types.iter().any(|t| t == w))
        })
        .await;
    // The rating was the last change: once nothing is pending, everything has been sent and
    // recorded.
    for _ in 0..100 {
        let queue = app
            .get("/api/v1/job-queue", &app.admin_token)
            .await
            .expect(200);
        if queue.body["channels"] == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = receiver.received();
    for r in &got {
        assert!(r.signed_with(&secret), "a bad signature on {}", r.body);
        let ts: i64 = r.timestamp.parse().expect("a Unix timestamp");
        assert!((ts - chrono::Utc::now().timestamp()).abs() < 120);
        for secret_text in [
            "Salary",
            "Roadmap",
            "promotion",
            "\"useful\"",
            "expectations_clear",
        ] {
            assert!(
                !r.body.contains(secret_text),
                "{secret_text} leaked in {}",
                r.body
            );
        }
    }
    let types = types_of(&got);
    assert!(
        !types
            .iter()
            .any(|t| t.starts_with("agenda_item") || t.starts_with("note")),
        "content never goes out: {types:?}"
    );
    let rating = got
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "rating.recorded")
        .unwrap();
    assert_eq!(
        rating["actor"],
        Value::Null,
        "a rating never says who rated"
    );
    assert_eq!(rating["subject"]["id"], json!(m));
    // One delivery per event; the action item's events in the order they happened.
    let ids: HashSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), got.len(), "nothing sent twice");
    let item_events: Vec<String> = got
        .iter()
        .map(Received::json)
        .filter(|b| b["subject"]["id"] == json!(item))
        .map(|b| b["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(item_events, ["action_item.created", "action_item.done"]);

    // The delivery log tells the same story.
    let log = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?state=delivered&limit=200"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let delivered = log.body["data"].as_array().unwrap();
    assert_eq!(delivered.len(), got.len());
    let one = &delivered[0];
    let detail = app
        .get(
            &format!(
                "/api/v1/webhooks/{hook}/deliveries/{}",
                one["id"].as_str().unwrap()
            ),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(detail.body["attempt_log"][0]["status_code"], 204);
    assert_eq!(detail.body["payload"]["type"], one["event_type"]);
    // The private point's author sees their point; nobody's webhook does.
    let hidden = app.db.count_events("agenda_item.added").await.unwrap();
    assert_eq!(hidden, 2, "both points are in the log, neither went out");
}

/// A receiver that fails and then times out gets every event after it recovers, each answered
/// 2xx once: nothing lost, nothing sent again after a success, order per record kept.
#[tokio::test]
async fn a_failing_then_slow_receiver_loses_nothing_and_gets_nothing_twice() {
    let app = quick_app().await;
    let receiver = Receiver::start(Mode::Fail).await;
    let (hook, _) = subscribe(&app, &app.admin_token, &receiver.url, json!(["person.*"])).await;
    let mut people = Vec::new();
    for i in 0..5 {
        let id = app
            .create_person(&format!("p{i}@example.com"), &format!("P {i}"), None)
            .await;
        app.patch(
            &format!("/api/v1/people/{id}"),
            &app.admin_token,
            &json!({"title": format!("Engineer {i}")}),
        )
        .await
        .expect(200);
        people.push(id);
    }
    receiver
        .wait_for("failed attempts", |got| got.len() >= 10)
        .await;
    receiver.set_mode(Mode::Hang(Duration::from_millis(1500)));
    receiver
        .wait_for("a request held past the timeout", |got| {
            got.iter().any(|r| matches!(r.mode, Mode::Hang(_)))
        })
        .await;
    receiver.set_mode(Mode::Ok);
    let got = receiver
        .wait_for("every event acknowledged", |_| {
            let acked: HashSet<String> = receiver
                .acknowledged()
                .iter()
                .map(|r| r.id.clone())
                .collect();
            acked.len() >= 10
        })
        .await;
    // Wait until everything is recorded, and let the runner go round a few more times:
    // nothing acknowledged goes out again.
    for _ in 0..100 {
        let queue = app
            .get("/api/v1/job-queue", &app.admin_token)
            .await
            .expect(200);
        if queue.body["channels"] == json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let acked = receiver.acknowledged();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for r in &acked {
        *count.entry(r.id.as_str()).or_default() += 1;
    }
    assert_eq!(count.len(), 10, "one delivery per event");
    assert!(
        count.values().all(|n| *n == 1),
        "a delivery acknowledged is never sent again: {count:?}"
    );
    for person in &people {
        let order: Vec<String> = acked
            .iter()
            .map(Received::json)
            .filter(|b| b["subject"]["id"] == json!(person))
            .map(|b| b["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            order,
            ["person.created", "person.updated"],
            "order per record"
        );
    }
    assert!(got.len() > acked.len(), "there were failures before");
    // The log shows the failures, the timeout and the success of each.
    let log = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=200"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let rows = log.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 10);
    assert!(rows.iter().all(|d| d["state"] == "delivered"));
    let retried = rows
        .iter()
        .find(|d| d["attempts"].as_i64() > Some(1))
        .unwrap();
    let detail = app
        .get(
            &format!(
                "/api/v1/webhooks/{hook}/deliveries/{}",
                retried["id"].as_str().unwrap()
            ),
            &app.admin_token,
        )
        .await
        .expect(200);
    let attempts = detail.body["attempt_log"].as_array().unwrap();
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts.last().unwrap()["status_code"], 204);
    let queue = app
        .get("/api/v1/job-queue", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(
        queue.body["channels"],
        json!([]),
        "nothing left: {}",
        queue.text
    );
}

/// A receiver down for a whole retry window: the delivery dies, the subscription turns itself
/// off; turned on again, a redelivery arrives. A rotated secret signs beside the old one for
/// the overlap.
#[tokio::test]
async fn a_receiver_down_for_the_whole_window_turns_the_subscription_off() {
    let app = spawn_app_with(|s| {
        s.jobs.poll = Duration::from_millis(50);
        s.jobs.retry_base = Duration::from_millis(100);
        s.jobs.retry_cap = Duration::from_millis(200);
        s.jobs.retry_window = Duration::from_secs(1);
    })
    .await;
    let receiver = Receiver::start(Mode::Fail).await;
    let (hook, old_secret) = subscribe(
        &app,
        &app.admin_token,
        &receiver.url,
        json!(["person.created"]),
    )
    .await;
    let ping = app
        .post(
            &format!("/api/v1/webhooks/{hook}/ping"),
            &app.admin_token,
            &json!({}),
        )
        .await
        .expect(202);
    let delivery = ping.body["delivery_id"].as_str().unwrap().to_owned();
    let mut off = Value::Null;
    for _ in 0..100 {
        off = app
            .get(&format!("/api/v1/webhooks/{hook}"), &app.admin_token)
            .await
            .expect(200)
            .body;
        if off["active"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(off["active"], false, "{off}");
    assert_eq!(off["disabled_reason"], "failing");
    assert_eq!(
        app.db
            .count_events("webhook_subscription.disabled")
            .await
            .unwrap(),
        1
    );
    let queue = app
        .get("/api/v1/job-queue", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(queue.body["channels"][0]["dead"], 1, "{}", queue.text);
    // The same on /metrics (the runner counts the death right after recording it).
    let mut metrics = String::new();
    for _ in 0..40 {
        let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
        metrics = reply.text().await.unwrap();
        if metrics.contains("oneonone_webhook_jobs_dead_total 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        metrics.contains(r#"oneonone_jobs{channel="webhook",state="dead"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("oneonone_webhook_jobs_dead_total 1"),
        "{metrics}"
    );
    let dead = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    assert_eq!(dead.body["state"], "dead");
    assert!(dead.body["attempts"].as_i64().unwrap() >= 2);
    // While off, events wait (queued, not sent).
    let tried = receiver.received().len();
    app.create_person("waiting@example.com", "Waiting", None)
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        receiver.received().len(),
        tried,
        "an inactive subscription gets nothing"
    );

    let rotated = app
        .post(
            &format!("/api/v1/webhooks/{hook}/rotate-secret"),
            &app.admin_token,
            &json!({"overlap_hours": 1}),
        )
        .await
        .expect(200);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    receiver.set_mode(Mode::Ok);
    app.patch(
        &format!("/api/v1/webhooks/{hook}"),
        &app.admin_token,
        &json!({"active": true}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/webhooks/{hook}/deliveries/{delivery}/redeliver"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(202);
    let got = receiver
        .wait_for("the redelivered ping and the waiting event", |got| {
            let types = types_of(
                &got.iter()
                    .filter(|r| r.mode == Mode::Ok)
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            types.contains(&"webhook.ping".to_owned())
                && types.contains(&"person.created".to_owned())
        })
        .await;
    let ok: Vec<&Received> = got.iter().filter(|r| r.mode == Mode::Ok).collect();
    for r in &ok {
        assert!(
            r.signed_with(&new_secret) && r.signed_with(&old_secret),
            "both sign during the overlap"
        );
    }
    let ping_ids: HashSet<&str> = got
        .iter()
        .filter(|r| r.json()["type"] == "webhook.ping")
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        ping_ids,
        HashSet::from([delivery.as_str()]),
        "a redelivery keeps its id"
    );
    // A pending delivery cannot be redelivered; an unknown one is 404.
    app.post(
        &format!(
            "/api/v1/webhooks/{hook}/deliveries/{}/redeliver",
            uuid::Uuid::now_v7()
        ),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect_problem(404, "not_found");
}

/// `/metrics` counts requests by route pattern (never a path with ids in it) for Prometheus.
#[tokio::test]
async fn metrics_count_requests_by_route_never_by_id() {
    let app = spawn_app().await;
    let person = app.create_person("m@example.com", "Metered", None).await;
    app.get(&format!("/api/v1/people/{person}"), &app.admin_token)
        .await
        .expect(200);
    app.get(
        &format!("/api/v1/people/{}", uuid::Uuid::now_v7()),
        &app.admin_token,
    )
    .await
    .expect(404);
    let reply = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(reply.status(), 200);
    assert!(
        reply
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/openmetrics-text"))
    );
    let text = reply.text().await.unwrap();
    for line in [
        r#"oneonone_http_requests_total{method="GET",route="/api/v1/people/{id}",status="200"} 1"#,
        r#"oneonone_http_requests_total{method="GET",route="/api/v1/people/{id}",status="404"} 1"#,
        r#"oneonone_http_request_duration_seconds_count{method="GET",route="/api/v1/people/{id}"} 2"#,
    ] {
        assert!(text.contains(line), "{line} missing in {text}");
    }
    assert!(!text.contains(&person.to_string()), "no id in the metrics");
    assert!(text.ends_with("# EOF\n"));
}

/// A replica that stops while a delivery is in flight finishes it and records it before it
/// goes: the delivery is not left claimed for another replica to send again.
#[tokio::test]
async fn a_stopping_replica_finishes_what_it_is_sending() {
    let app = spawn_app_with(|s| s.jobs_enabled = false).await;
    let receiver = Receiver::start(Mode::Hang(Duration::from_millis(1500))).await;
    let (hook, _) = subscribe(&app, &app.admin_token, &receiver.url, json!(["person.*"])).await;
    let replica = app
        .replica(|s| {
            s.jobs.poll = Duration::from_millis(50);
            s.jobs.timeout = Duration::from_secs(5);
        })
        .await;
    app.create_person("inflight@example.com", "In flight", None)
        .await;
    receiver
        .wait_for("the delivery in flight", |got| !got.is_empty())
        .await;
    drop(replica);
    let mut jobs = Vec::new();
    for _ in 0..50 {
        jobs = app.db.jobs_of(hook.parse().unwrap()).await.unwrap();
        if jobs.iter().all(|j| j.state == "delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "delivered", "{:?}", jobs[0]);
    assert_eq!(jobs[0].claimed_by, None);
    assert_eq!(receiver.received().len(), 1, "sent once");
}

#[tokio::test]
async fn ended_jobs_and_their_delivery_logs_are_forgotten_after_the_retention_period() {
    let app = spawn_app_with(|s| {
        s.jobs.poll = Duration::from_millis(50);
        s.jobs.retention = Duration::from_secs(2);
        s.jobs.purge_every = Duration::from_millis(100);
    })
    .await;
    let receiver = Receiver::start(Mode::Ok).await;
    let (hook, _) = subscribe(
        &app,
        &app.admin_token,
        &receiver.url,
        json!(["person.created"]),
    )
    .await;
    app.post(
        &format!("/api/v1/webhooks/{hook}/ping"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(202);
    let log = format!("/api/v1/webhooks/{hook}/deliveries");
    let count = |reply: &Reply| reply.body["data"].as_array().map_or(0, Vec::len);
    let mut seen = 0;
    for _ in 0..50 {
        let reply = app.get(&log, &app.admin_token).await.expect(200);
        if reply.body["data"][0]["state"] == "delivered" {
            seen = count(&reply);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, 1, "the delivery is logged once delivered");
    // Kept for the retention period, then gone.
    let kept = app.get(&log, &app.admin_token).await.expect(200);
    assert_eq!(count(&kept), 1, "{}", kept.text);
    let mut left = 1;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = count(&app.get(&log, &app.admin_token).await.expect(200));
        if left == 0 {
            break;
        }
    }
    assert_eq!(left, 0, "forgotten after the retention period");
}
