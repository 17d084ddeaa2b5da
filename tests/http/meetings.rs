//! Recurring 1:1s and their meetings.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

struct Pair {
    manager: Uuid,
    manager_token: String,
    report: Uuid,
    report_token: String,
}

async fn pair(app: &TestApp) -> Pair {
    let (manager, manager_token) = app
        .person_with_login("m@example.com", "Manager", None)
        .await;
    let (report, report_token) = app
        .person_with_login("r@example.com", "Report", Some(manager))
        .await;
    Pair {
        manager,
        manager_token,
        report,
        report_token,
    }
}

/// A weekly series (Mondays 10:00 Berlin from 2030-03-18) for the pair, and its meetings.
async fn berlin_series(app: &TestApp, p: &Pair) -> (Uuid, Vec<String>) {
    let series = app
        .post(
            "/api/v1/meeting-series",
            &p.manager_token,
            &weekly_berlin(p),
        )
        .await
        .expect(201)
        .id();
    (series, app.series_meetings(&p.manager_token, series).await)
}

fn weekly_berlin(p: &Pair) -> serde_json::Value {
    json!({
        "manager_id": p.manager, "report_id": p.report,
        "cadence": {"frequency": "weekly", "weekday": "monday"},
        "local_time": "10:00", "time_zone": "Europe/Berlin", "start_date": "2030-03-18"
    })
}

#[tokio::test]
async fn a_series_creates_its_next_eight_meetings_at_local_time_across_dst() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let series = app
        .post(
            "/api/v1/meeting-series",
            &p.manager_token,
            &weekly_berlin(&p),
        )
        .await
        .expect(201);
    let id = series.id();
    assert_eq!(series.body["duration_minutes"], 30);
    assert_eq!(series.body["kind"], "manager_report");
    let meetings = app
        .get(
            &format!("/api/v1/meetings?series_id={id}&participant=me"),
            &p.report_token,
        )
        .await
        .expect(200);
    let starts: Vec<&str> = meetings.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["starts_at"].as_str().unwrap())
        .collect();
    assert_eq!(starts.len(), 8);
    // 31 March 2030 is the spring-forward Sunday in Berlin: 10:00 CET = 09:00Z, then 08:00Z.
    assert_eq!(starts[0], "2030-03-18T09:00:00Z");
    assert_eq!(starts[1], "2030-03-25T09:00:00Z");
    assert_eq!(starts[2], "2030-04-01T08:00:00Z");
}

#[tokio::test]
async fn meetings_are_visible_to_participants_and_hr_only() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let (series, meetings) = berlin_series(&app, &p).await;
    let meeting = meetings[0].clone();
    let (_, outsider) = app
        .person_with_login("o@example.com", "Outsider", None)
        .await;
    app.get(&format!("/api/v1/meetings/{meeting}"), &outsider)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/meeting-series/{series}"), &outsider)
        .await
        .expect_problem(404, "not_found");
    app.get(
        &format!("/api/v1/meetings?participant={}", p.manager),
        &outsider,
    )
    .await
    .expect_problem(403, "forbidden");
    let mine = app.get("/api/v1/meetings", &outsider).await.expect(200);
    assert!(mine.body["data"].as_array().unwrap().is_empty());
    app.get(&format!("/api/v1/meetings/{meeting}"), &p.report_token)
        .await
        .expect(200);
    app.get(&format!("/api/v1/meetings/{meeting}"), &app.admin_token)
        .await
        .expect(200);
    // HR admins see meetings but do not run them.
    app.post(
        &format!("/api/v1/meetings/{meeting}/skip"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect_problem(403, "forbidden");
    let (_, reader) = app.api_token(&["meetings:read"]).await;
    app.get(&format!("/api/v1/meetings/{meeting}"), &reader)
        .await
        .expect(200);
    let (_, people_only) = app.api_token(&["people:read"]).await;
    app.get(&format!("/api/v1/meetings/{meeting}"), &people_only)
        .await
        .expect_problem(404, "not_found");
    // Outsiders cannot schedule other people's 1:1s.
    app.post("/api/v1/meeting-series", &outsider, &weekly_berlin(&p))
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn complete_skip_cancel_and_reschedule() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let (series, ids) = berlin_series(&app, &p).await;

    let done = app
        .post(
            &format!("/api/v1/meetings/{}/complete", ids[0]),
            &p.report_token,
            &json!({"actual_duration_minutes": 40}),
        )
        .await
        .expect(200);
    assert_eq!(done.body["status"], "completed");
    assert_eq!(done.body["held_at"], "2030-03-18T09:00:00Z");
    assert_eq!(done.body["actual_duration_minutes"], 40);
    // Retrying is harmless; changing a completed meeting is a conflict.
    app.post(
        &format!("/api/v1/meetings/{}/complete", ids[0]),
        &p.report_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/meetings/{}/cancel", ids[0]),
        &p.report_token,
        &json!({}),
    )
    .await
    .expect_problem(409, "invalid_transition");

    app.post(
        &format!("/api/v1/meetings/{}/skip", ids[1]),
        &p.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let read = app
        .get(&format!("/api/v1/meetings/{}", ids[2]), &p.manager_token)
        .await
        .expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    let moved = app
        .send(
            app.request(
                Method::PATCH,
                &format!("/api/v1/meetings/{}", ids[2]),
                Some(&p.manager_token),
            )
            .header("content-type", "application/merge-patch+json")
            .header("if-match", &etag)
            .body(json!({"starts_at": "2030-04-02T13:00:00Z", "duration_minutes": 45}).to_string()),
        )
        .await
        .expect(200);
    assert_eq!(moved.body["starts_at"], "2030-04-02T13:00:00Z");
    assert_eq!(moved.body["ends_at"], "2030-04-02T13:45:00Z");
    assert_eq!(moved.body["occurrence_date"], "2030-04-01");
    // The stale ETag no longer works.
    app.send(
        app.request(
            Method::POST,
            &format!("/api/v1/meetings/{}/cancel", ids[2]),
            Some(&p.manager_token),
        )
        .header("if-match", &etag),
    )
    .await
    .expect_problem(412, "precondition_failed");

    let past = app
        .get(
            &format!("/api/v1/meetings?series_id={series}&status=completed"),
            &p.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(past.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn one_off_meetings_and_idempotent_series() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let one_off = app
        .post(
            "/api/v1/meetings",
            &p.report_token,
            &json!({"kind": "skip_level", "manager_id": p.manager, "report_id": p.report,
                    "starts_at": "2030-05-01T12:00:00Z", "duration_minutes": 60}),
        )
        .await
        .expect(201);
    assert!(one_off.body["series_id"].is_null());
    assert_eq!(one_off.body["ends_at"], "2030-05-01T13:00:00Z");
    assert_eq!(one_off.body["kind"], "skip_level");

    let (_, script) = app.api_token(&["meetings:write"]).await;
    let send = || {
        app.request(Method::POST, "/api/v1/meeting-series", Some(&script))
            .header("idempotency-key", "series-for-r")
            .json(&weekly_berlin(&p))
    };
    let first = app.send(send()).await.expect(201);
    let again = app.send(send()).await.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.id(), again.id());
    let all = app
        .get("/api/v1/meeting-series?limit=200", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(all.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_series_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let mut bad = weekly_berlin(&p);
    bad["time_zone"] = json!("Mars/Olympus");
    bad["local_time"] = json!("25:00");
    let reply = app
        .post("/api/v1/meeting-series", &p.manager_token, &bad)
        .await
        .expect_problem(422, "validation_failed");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["time_zone", "local_time"]);
    let mut bad = weekly_berlin(&p);
    bad["duration_minutes"] = json!(5);
    app.post("/api/v1/meeting-series", &p.manager_token, &bad)
        .await
        .expect_problem(422, "validation_failed");
    let mut bad = weekly_berlin(&p);
    bad["report_id"] = json!(p.manager);
    app.post("/api/v1/meeting-series", &p.manager_token, &bad)
        .await
        .expect_problem(422, "validation_failed");
    let all = app
        .get("/api/v1/meeting-series", &app.admin_token)
        .await
        .expect(200);
    assert!(all.body["data"].as_array().unwrap().is_empty());
    let meetings = app
        .get("/api/v1/meetings", &app.admin_token)
        .await
        .expect(200);
    assert!(meetings.body["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn cadence_recommendation_follows_span_of_control() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let rec = app
        .get(
            &format!("/api/v1/people/{}/cadence-recommendation", p.report),
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(rec.body["cadence"]["frequency"], "weekly");
    assert_eq!(rec.body["cadence"]["interval_weeks"], 1);
    assert_eq!(rec.body["duration_minutes"], 30);
    for i in 0..11 {
        app.create_person(&format!("extra{i}@example.com"), "Extra", Some(p.manager))
            .await;
    }
    let rec = app
        .get(
            &format!("/api/v1/people/{}/cadence-recommendation", p.report),
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(rec.body["direct_reports"], 12);
    assert_eq!(rec.body["cadence"]["interval_weeks"], 2);
    // Without a cadence, a new series takes the recommendation.
    let mut body = weekly_berlin(&p);
    body.as_object_mut().unwrap().remove("cadence");
    let series = app
        .post("/api/v1/meeting-series", &p.manager_token, &body)
        .await
        .expect(201);
    assert_eq!(series.body["cadence"]["interval_weeks"], 2);
}

#[tokio::test]
async fn participants_rate_held_meetings() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let (_, meetings) = berlin_series(&app, &p).await;
    let m = meetings[0].clone();
    let rate = |token: &str, body: serde_json::Value| {
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m}/rating"),
            Some(token),
        )
        .json(&body)
    };
    app.send(rate(&p.report_token, json!({"useful": 4})))
        .await
        .expect_problem(409, "not_held");
    app.post(
        &format!("/api/v1/meetings/{m}/complete"),
        &p.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.send(rate(
        &p.report_token,
        json!({"useful": 4, "expectations_clear": 5}),
    ))
    .await
    .expect(200);
    app.send(rate(
        &p.manager_token,
        json!({"useful": 3, "expectations_clear": 2}),
    ))
    .await
    .expect_problem(422, "validation_failed");
    app.send(rate(&p.manager_token, json!({"useful": 6})))
        .await
        .expect_problem(422, "validation_failed");
    app.send(rate(&p.manager_token, json!({"useful": 3})))
        .await
        .expect(200);
    app.send(rate(&p.manager_token, json!({"useful": 5})))
        .await
        .expect(200);
    // A rating is its rater's alone: each participant reads their own, never the other's (the
    // manager never learns how clear the report found the expectations).
    for (token, rater, useful) in [
        (&p.report_token, p.report, 4),
        (&p.manager_token, p.manager, 5),
    ] {
        let ratings = app
            .get(&format!("/api/v1/meetings/{m}/ratings"), token)
            .await
            .expect(200);
        let data = ratings.body["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{data:?}");
        assert_eq!(data[0]["person_id"], rater.to_string());
        assert_eq!(data[0]["useful"], useful);
    }
    app.get(&format!("/api/v1/meetings/{m}/ratings"), &app.admin_token)
        .await
        .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn a_new_manager_takes_over_the_series_and_history_stays() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let (series, m) = berlin_series(&app, &p).await;
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", m[0]),
        &p.report_token,
        &json!({"title": "Not reached"}),
    )
    .await
    .expect(201);
    // Held in the past relative to the reorg: complete the first meeting now.
    app.post(
        &format!("/api/v1/meetings/{}/complete", m[0]),
        &p.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    // The manager's private preparation for a meeting that will be handed over stays theirs.
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", m[2]),
        &p.manager_token,
        &json!({"title": "My private prep", "private": true}),
    )
    .await
    .expect(201);
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{}/notes/private", m[2]),
            Some(&p.manager_token),
        )
        .json(&json!({"body": "prep note"})),
    )
    .await
    .expect(200);

    let (new_manager, new_token) = app
        .person_with_login("new@example.com", "New Manager", None)
        .await;
    app.patch(
        &format!("/api/v1/people/{}", p.report),
        &app.admin_token,
        &json!({"manager_id": new_manager}),
    )
    .await
    .expect(200);
    let moved = app
        .get(&format!("/api/v1/meeting-series/{series}"), &new_token)
        .await
        .expect(200);
    assert_eq!(moved.body["manager_id"], new_manager.to_string());
    // The held meeting keeps the manager who held it; the upcoming ones move, with their agenda.
    let held = app
        .get(&format!("/api/v1/meetings/{}", m[0]), &p.manager_token)
        .await
        .expect(200);
    assert_eq!(held.body["manager_id"], p.manager.to_string());
    let next = app
        .get(&format!("/api/v1/meetings/{}", m[1]), &new_token)
        .await
        .expect(200);
    assert_eq!(next.body["manager_id"], new_manager.to_string());
    let agenda = app
        .get(
            &format!("/api/v1/meetings/{}/agenda-items", m[1]),
            &new_token,
        )
        .await
        .expect(200);
    assert_eq!(agenda.body["data"][0]["title"], "Not reached");
    app.get(&format!("/api/v1/meetings/{}", m[1]), &p.manager_token)
        .await
        .expect_problem(404, "not_found");
    // The old manager's private point and note moved to the meeting they held; nobody else
    // sees them, on either meeting.
    let kept = app
        .get(&format!("/api/v1/meetings/{}", m[0]), &p.manager_token)
        .await
        .expect(200);
    let kept_titles: Vec<&str> = kept.body["content"]["agenda_items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert!(kept_titles.contains(&"My private prep"), "{}", kept.text);
    assert_eq!(
        kept.body["content"]["notes"]["private"]["body"],
        "prep note"
    );
    for (token, meeting) in [
        (&new_token, &m[2]),
        (&p.report_token, &m[2]),
        (&p.report_token, &m[0]),
    ] {
        let seen = app
            .get(&format!("/api/v1/meetings/{meeting}"), token)
            .await
            .expect(200);
        assert!(!seen.text.contains("My private prep"), "{}", seen.text);
        assert!(!seen.text.contains("prep note"), "{}", seen.text);
    }

    // The nightly HR import does the same.
    let (third, third_token) = app
        .person_with_login("third@example.com", "Third", None)
        .await;
    app.patch(
        &format!("/api/v1/people/{third}"),
        &app.admin_token,
        &json!({"external_id": "T-3"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/people/{}", p.report),
        &app.admin_token,
        &json!({"external_id": "R-1"}),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/people/import",
        &app.admin_token,
        &json!({"rows": [{"external_id": "R-1", "email": "r@example.com", "display_name": "Report", "manager_external_id": "T-3"}]}),
    )
    .await
    .expect(200);
    let moved = app
        .get(&format!("/api/v1/meeting-series/{series}"), &third_token)
        .await
        .expect(200);
    assert_eq!(moved.body["manager_id"], third.to_string());
}

#[tokio::test]
async fn pausing_removes_empty_upcoming_meetings_and_resuming_refills() {
    let app = spawn_app().await;
    let p = pair(&app).await;
    let (series, before) = berlin_series(&app, &p).await;
    assert_eq!(before.len(), 8);
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", before[2]),
        &p.report_token,
        &json!({"title": "Keep me"}),
    )
    .await
    .expect(201);
    let paused = app
        .patch(
            &format!("/api/v1/meeting-series/{series}"),
            &p.report_token,
            &json!({"paused": true}),
        )
        .await
        .expect(200);
    assert_eq!(paused.body["paused"], true);
    // Only the meeting with a talking point stays.
    assert_eq!(
        app.series_meetings(&p.manager_token, series).await,
        vec![before[2].clone()]
    );
    let agenda = app
        .get(
            &format!("/api/v1/meetings/{}/agenda-items", before[2]),
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(agenda.body["data"][0]["title"], "Keep me");

    let read = app
        .get(
            &format!("/api/v1/meeting-series/{series}"),
            &p.manager_token,
        )
        .await
        .expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    app.send_if_match(
        Method::PATCH,
        &format!("/api/v1/meeting-series/{series}"),
        &p.manager_token,
        &etag,
        Some(json!({"paused": false})),
    )
    .await
    .expect(200);
    let after = app.series_meetings(&p.manager_token, series).await;
    assert!(after.len() >= 8, "{after:?}");
    assert!(after.contains(&before[2]));
    app.send_if_match(
        Method::PATCH,
        &format!("/api/v1/meeting-series/{series}"),
        &p.manager_token,
        &etag,
        Some(json!({"paused": true})),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let (_, outsider) = app
        .person_with_login("o@example.com", "Outsider", None)
        .await;
    app.patch(
        &format!("/api/v1/meeting-series/{series}"),
        &outsider,
        &json!({"paused": true}),
    )
    .await
    .expect_problem(404, "not_found");
    app.patch(
        &format!("/api/v1/meeting-series/{series}"),
        &app.admin_token,
        &json!({"paused": true}),
    )
    .await
    .expect_problem(403, "forbidden");
}

#[tokio::test]
async fn the_demo_organisation_has_months_of_history_and_seeding_twice_changes_nothing() {
    let app = spawn_app().await;
    oneonone_api::seed::demo(&app.db).await.expect("demo");
    let first = oneonone_api::seed::history(&app.db, 3, "Europe/Berlin", None)
        .await
        .expect("history");
    assert!(first.series >= 15 && first.past_meetings > 100, "{first:?}");
    let again = oneonone_api::seed::history(&app.db, 3, "Europe/Berlin", None)
        .await
        .expect("history");
    assert_eq!((again.series, again.past_meetings), (0, 0));
    // The bulk load left the kept program figures equal to a recomputation.
    let drift = app.db.program_days_drift().await.expect("drift");
    assert!(drift.is_empty(), "{drift:#?}");
    // Held 1:1s agreed action items: some done, some still open.
    let export = app
        .get(
            "/api/v1/exports/action-items?format=ndjson",
            &app.admin_token,
        )
        .await
        .expect(200);
    let text = &export.text;
    assert!(
        text.contains("\"status\":\"done\"") && text.contains("\"status\":\"open\""),
        "{text}"
    );
    let grace = app
        .login(
            "grace.hopper@example.com",
            oneonone_api::seed::DEMO_PASSWORD,
        )
        .await
        .expect(200);
    let token = grace.body["access_token"].as_str().unwrap();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let past = app
        .get(
            &format!("/api/v1/meetings?participant=me&to={now}&status=completed&limit=200"),
            token,
        )
        .await
        .expect(200);
    let held = past.body["data"].as_array().unwrap();
    assert!(!held.is_empty());
    let upcoming = app
        .get(
            &format!("/api/v1/meetings?participant=me&from={now}&limit=200"),
            token,
        )
        .await
        .expect(200);
    assert!(upcoming.body["data"].as_array().unwrap().len() >= 8);
    // Grace sees only her own 1:1s (as manager and as report).
    let me = grace.body["person_id"].as_str().unwrap();
    for m in upcoming.body["data"].as_array().unwrap() {
        assert!(m["manager_id"] == me || m["report_id"] == me);
    }
}

/// A series moves to a new time and weekday from a date on: the meetings ahead move with their
/// agendas, the ones before the date and the held ones stay.
#[tokio::test]
async fn a_series_changes_its_schedule_from_a_date_on() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let m = &p.meetings;
    let item = app
        .post(
            &format!("/api/v1/meetings/{}/agenda-items", m[2]),
            &p.report_token,
            &json!({"title": "Carry me along"}),
        )
        .await
        .expect(201)
        .id();
    let before = app
        .get(&format!("/api/v1/meetings/{}", m[1]), &p.manager_token)
        .await
        .expect(200);
    let series = app
        .get(
            &format!("/api/v1/meeting-series/{}", p.series),
            &p.manager_token,
        )
        .await
        .expect(200);
    let etag = series.header("etag").unwrap().to_owned();
    let path = format!("/api/v1/meeting-series/{}/reschedule", p.series);
    let change = json!({"from": "2030-01-10", "local_time": "15:00",
        "cadence": {"frequency": "weekly", "weekday": "friday"}});
    app.send_if_match(
        Method::POST,
        &path,
        &p.manager_token,
        "\"v999\"",
        Some(change.clone()),
    )
    .await
    .expect_problem(412, "precondition_failed");
    app.send_if_match(
        Method::POST,
        &path,
        &p.manager_token,
        &etag,
        Some(json!({"time_zone": "Mars/Olympus"})),
    )
    .await
    .expect_problem(422, "validation_failed");
    // A field out of its range is refused even where the frequency would not use it.
    app.send_if_match(
        Method::POST,
        &path,
        &p.manager_token,
        &etag,
        Some(json!({"cadence": {"frequency": "weekly", "day_of_month": 0}})),
    )
    .await
    .expect_problem(422, "validation_failed");
    let (_, stranger) = app
        .person_with_login("stranger@example.com", "Stranger", None)
        .await;
    app.post(&path, &stranger, &change)
        .await
        .expect_problem(404, "not_found");
    let updated = app
        .send_if_match(Method::POST, &path, &p.manager_token, &etag, Some(change))
        .await
        .expect(200);
    assert_eq!(updated.body["local_time"], "15:00");
    assert_eq!(updated.body["cadence"]["weekday"], "friday");
    assert_eq!(updated.body["start_date"], "2030-01-10");
    // The meeting ahead moved to the first Friday, 15:00 New York, with its talking point.
    let moved = app
        .get(&format!("/api/v1/meetings/{}", m[2]), &p.report_token)
        .await
        .expect(200);
    assert_eq!(moved.body["starts_at"], "2030-01-11T20:00:00Z"); // Friday 11 January
    assert!(moved.text.contains(&item.to_string()));
    // The one before the date did not move.
    let unmoved = app
        .get(&format!("/api/v1/meetings/{}", m[1]), &p.manager_token)
        .await
        .expect(200);
    assert_eq!(unmoved.body["starts_at"], before.body["starts_at"]);
    // Every meeting from the date on is on a Friday at 15:00 local time (20:00Z in winter).
    let all = app
        .get(
            &format!("/api/v1/meetings?series_id={}&from=2030-01-10T00:00:00Z&to=2030-03-01T00:00:00Z&limit=200", p.series),
            &p.manager_token,
        )
        .await
        .expect(200);
    let starts: Vec<&str> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["starts_at"].as_str().unwrap())
        .collect();
    assert!(starts.len() >= 6, "{starts:?}");
    for s in &starts {
        let t: chrono::DateTime<chrono::Utc> = s.parse().unwrap();
        assert_eq!(chrono::Datelike::weekday(&t), chrono::Weekday::Fri, "{s}");
        assert!(s.ends_with("T20:00:00Z"), "{s}");
    }
}

/// How many meetings the series has, as the database holds them.
async fn meetings_of(app: &TestApp, series: Uuid) -> i64 {
    app.count_sql(&format!(
        "SELECT COUNT(*) FROM meetings WHERE series_id = {}",
        app.sql_uuid(series)
    ))
    .await
}

#[tokio::test]
async fn the_background_pass_tops_up_the_series_that_ran_low_and_no_other() {
    use chrono::Utc;
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let pass = |at: chrono::DateTime<Utc>| oneonone_usecases::meetings::top_up_all(&app.db, at);
    assert_eq!(meetings_of(&app, o.series).await, 8);
    // Stocked: nothing to schedule now.
    assert_eq!(pass(Utc::now()).await.expect("pass"), 0);
    // As of just after the third meeting, five lie ahead: three more, once.
    let third = app
        .get(
            &format!("/api/v1/meetings/{}", o.meetings[2]),
            &o.manager_token,
        )
        .await
        .expect(200);
    let after_third =
        chrono::DateTime::parse_from_rfc3339(third.body["starts_at"].as_str().expect("starts_at"))
            .expect("a time")
            .with_timezone(&Utc)
            + chrono::Duration::minutes(1);
    assert_eq!(pass(after_third).await.expect("pass"), 3);
    assert_eq!(meetings_of(&app, o.series).await, 11);
    assert_eq!(pass(after_third).await.expect("pass"), 0);
    assert_eq!(meetings_of(&app, o.series).await, 11);
    // Paused, it is left alone even further on.
    let series = format!("/api/v1/meeting-series/{}", o.series);
    app.send_after_read(
        Method::PATCH,
        &series,
        &series,
        &o.manager_token,
        json!({"paused": true}),
    )
    .await
    .expect(200);
    let later = after_third + chrono::Duration::weeks(4);
    assert_eq!(pass(later).await.expect("pass"), 0);
}
