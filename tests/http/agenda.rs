//! The content of a 1:1: talking points, carry-over, notes, and who may see them.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

async fn add(app: &TestApp, token: &str, meeting: &str, title: &str, private: bool) -> Reply {
    app.post(
        &format!("/api/v1/meetings/{meeting}/agenda-items"),
        token,
        &json!({"title": title, "category": "career", "private": private}),
    )
    .await
    .expect(201)
}

/// The positions a participant sees are 1, 2, 3… over what they see: the other participant's
/// private point between two shared ones leaves no gap, in the list, the meeting page and a
/// single item (issue 11, item 2).
#[tokio::test]
async fn positions_leave_no_gap_where_a_private_point_sits() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings[0];
    let first = add(&app, &o.manager_token, m, "First", false).await.id();
    let hidden = add(&app, &o.report_token, m, "Mine alone", true).await.id();
    let last = add(&app, &o.manager_token, m, "Last", false).await.id();
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m}/agenda-order"),
            Some(&o.report_token),
        )
        .json(&json!({"item_ids": [first, hidden, last]})),
    )
    .await
    .expect(200);
    let positions = |reply: &Reply, path: &str| -> Vec<i64> {
        reply
            .body
            .pointer(path)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["position"].as_i64().unwrap())
            .collect()
    };
    let mine = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(positions(&mine, "/data"), [1, 2, 3]);
    let theirs = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items"),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(positions(&theirs, "/data"), [1, 2]);
    let page = app
        .get(&format!("/api/v1/meetings/{m}"), &o.manager_token)
        .await
        .expect(200);
    assert_eq!(positions(&page, "/content/agenda_items"), [1, 2]);
    let one = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items/{last}"),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(one.body["position"], 2);
    let own = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items/{last}"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(own.body["position"], 3);
}

#[tokio::test]
async fn the_employee_leads_and_private_items_stay_private() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings[0];
    add(&app, &o.manager_token, m, "Manager shared", false).await;
    add(&app, &o.report_token, m, "Report shared", false).await;
    add(&app, &o.report_token, m, "Report private", true).await;
    add(&app, &o.manager_token, m, "Manager private", true).await;

    let as_report = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(
        titles(&as_report),
        vec!["Report shared", "Report private", "Manager shared"]
    );
    let as_manager = app
        .get(
            &format!("/api/v1/meetings/{m}/agenda-items"),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(
        titles(&as_manager),
        vec!["Report shared", "Manager shared", "Manager private"]
    );
    assert!(!as_manager.text.contains("Report private"));

    // Reordering puts items where a participant wants them.
    let ids: Vec<String> = as_manager.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    let reordered = app
        .send(
            app.request(
                Method::PUT,
                &format!("/api/v1/meetings/{m}/agenda-order"),
                Some(&o.manager_token),
            )
            .json(&json!({"item_ids": [ids[1], ids[0]]})),
        )
        .await
        .expect(200);
    assert_eq!(
        titles(&reordered)[..2],
        ["Manager shared".to_owned(), "Report shared".to_owned()]
    );
}

#[tokio::test]
async fn privacy_matrix_over_every_content_endpoint() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings[0];
    let private = add(&app, &o.report_token, m, "Thinking about leaving", true)
        .await
        .id();
    let shared = add(&app, &o.report_token, m, "Promotion timeline", false)
        .await
        .id();
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m}/notes/private"),
            Some(&o.report_token),
        )
        .json(&json!({"body": "my secret note"})),
    )
    .await
    .expect(200);
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{m}/notes/shared"),
            Some(&o.manager_token),
        )
        .json(&json!({"body": "shared note"})),
    )
    .await
    .expect(200);

    let (_, unrelated) = app
        .person_with_login("u@example.com", "Unrelated", None)
        .await;
    let (_, token) = app
        .api_token(&["meetings:read", "meetings:write", "people:read"])
        .await;
    let feedback = app
        .post(
            "/api/v1/feedback",
            &o.manager_token,
            &json!({"recipient_id": o.report, "kind": "constructive",
                "body": "Leaving early is noticed, a secret kept"}),
        )
        .await
        .expect(201)
        .id();
    let before = titles(&app.agenda(&o.manager_token, m).await);
    app.post(
        &format!("/api/v1/feedback/{feedback}/talking-points"),
        &o.report_token,
        &json!({"meeting_id": m}),
    )
    .await
    .expect(201);
    // The other participant (who gave it) cannot tell it sits on the agenda.
    assert_eq!(titles(&app.agenda(&o.manager_token, m).await), before);
    let content = [
        format!("/api/v1/meetings/{m}/agenda-items"),
        format!("/api/v1/meetings/{m}/agenda-items/{shared}"),
        format!("/api/v1/meetings/{m}/agenda-items/{private}"),
        format!("/api/v1/meetings/{m}/notes"),
    ];
    // (who, expected status on content): manager's manager and unrelated people must not learn
    // the meeting exists; HR admins and tokens know it exists but see no content.
    let actors: [(&str, &str, u16); 4] = [
        ("skip-level manager", &o.skip_level_token, 404),
        ("unrelated employee", &unrelated, 404),
        ("HR admin", &app.admin_token, 403),
        ("API token", &token, 403),
    ];
    for (who, t, status) in actors {
        for path in &content {
            let reply = app.get(path, t).await;
            assert_eq!(
                reply.status.as_u16(),
                status,
                "{who} GET {path}: {}",
                reply.text
            );
            assert!(
                !reply.text.contains("leaving") && !reply.text.contains("secret"),
                "{who} saw private text"
            );
        }
        let reply = app
            .post(
                &format!("/api/v1/meetings/{m}/agenda-items"),
                t,
                &json!({"title": "x"}),
            )
            .await;
        assert_eq!(reply.status.as_u16(), status, "{who} POST agenda item");
        // Feedback the manager gave the report, to the report alone, brought into this 1:1 as
        // the report's private talking point: nobody else reads it (a token: no feedback at all).
        let feedback = app.get(&format!("/api/v1/feedback/{feedback}"), t).await;
        let expected = if who == "API token" { 403 } else { 404 };
        assert_eq!(
            feedback.status.as_u16(),
            expected,
            "{who} GET feedback: {}",
            feedback.text
        );
        // The meeting page: nothing for those who may not know it, metadata for HR and tokens.
        let page = app.get(&format!("/api/v1/meetings/{m}"), t).await;
        let expected = if status == 403 { 200 } else { status };
        assert_eq!(page.status.as_u16(), expected, "{who} GET meeting page");
        assert!(!page.text.contains("leaving") && !page.text.contains("secret"));
        if expected == 200 {
            assert_eq!(page.body["content"], serde_json::Value::Null, "{who}");
        }
    }
    // The other participant: the private item does not exist for them, nor the private note.
    app.get(
        &format!("/api/v1/meetings/{m}/agenda-items/{private}"),
        &o.manager_token,
    )
    .await
    .expect_problem(404, "not_found");
    app.patch(
        &format!("/api/v1/meetings/{m}/agenda-items/{private}"),
        &o.manager_token,
        &json!({"checked": true}),
    )
    .await
    .expect_problem(404, "not_found");
    app.delete(
        &format!("/api/v1/meetings/{m}/agenda-items/{private}"),
        &o.manager_token,
    )
    .await
    .expect_problem(404, "not_found");
    let notes = app
        .get(&format!("/api/v1/meetings/{m}/notes"), &o.manager_token)
        .await
        .expect(200);
    assert_eq!(notes.body["shared"]["body"], "shared note");
    assert!(notes.body["private"].is_null());
    assert!(!notes.text.contains("secret"));
    // The author sees their own.
    let notes = app
        .get(&format!("/api/v1/meetings/{m}/notes"), &o.report_token)
        .await
        .expect(200);
    assert_eq!(notes.body["private"]["body"], "my secret note");
    // Meeting metadata stays visible to HR, without content.
    let hr_view = app
        .get(&format!("/api/v1/meetings/{m}"), &app.admin_token)
        .await
        .expect(200);
    assert!(hr_view.body["content"].is_null());
    assert!(!hr_view.text.contains("Promotion") && !hr_view.text.contains("shared note"));
    // Each participant reads the whole meeting in one request, private parts their own only.
    let report_view = app
        .get(&format!("/api/v1/meetings/{m}"), &o.report_token)
        .await
        .expect(200);
    // Their two points and the feedback they brought in.
    assert_eq!(
        report_view.body["content"]["agenda_items"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        report_view.body["content"]["notes"]["private"]["body"],
        "my secret note"
    );
    let manager_view = app
        .get(&format!("/api/v1/meetings/{m}"), &o.manager_token)
        .await
        .expect(200);
    assert_eq!(
        manager_view.body["content"]["agenda_items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(manager_view.body["content"]["notes"]["private"].is_null());
    assert!(!manager_view.text.contains("leaving") && !manager_view.text.contains("secret"));
}

#[tokio::test]
async fn authors_edit_either_participant_checks_off_and_stale_edits_get_412() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings[0];
    let item = add(&app, &o.report_token, m, "Workload", false).await;
    let id = item.id();
    let etag = item.header("etag").unwrap().to_owned();
    let path = format!("/api/v1/meetings/{m}/agenda-items/{id}");
    app.patch(
        &path,
        &o.manager_token,
        &json!({"title": "Rewritten by the manager"}),
    )
    .await
    .expect_problem(403, "forbidden");
    app.delete(&path, &o.manager_token)
        .await
        .expect_problem(403, "forbidden");
    // Two people edit at once: the second, with the stale ETag, gets 412.
    let first = app
        .send_if_match(
            Method::PATCH,
            &path,
            &o.manager_token,
            &etag,
            Some(json!({"checked": true})),
        )
        .await
        .expect(200);
    assert_eq!(first.body["checked"], true);
    assert!(first.body["checked_at"].is_string());
    app.send_if_match(
        Method::PATCH,
        &path,
        &o.report_token,
        &etag,
        Some(json!({"title": "Workload and focus"})),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let read = app.get(&path, &o.report_token).await.expect(200);
    assert_eq!(read.body["title"], "Workload");
    assert_eq!(read.body["checked"], true);
    // Notes too.
    let note_path = format!("/api/v1/meetings/{m}/notes/shared");
    let v1 = app
        .send(
            app.request(Method::PUT, &note_path, Some(&o.report_token))
                .json(&json!({"body": "one"})),
        )
        .await
        .expect(200);
    let tag = v1.header("etag").unwrap().to_owned();
    app.send(
        app.request(Method::PUT, &note_path, Some(&o.manager_token))
            .header("if-match", &tag)
            .json(&json!({"body": "two"})),
    )
    .await
    .expect(200);
    app.send(
        app.request(Method::PUT, &note_path, Some(&o.report_token))
            .header("if-match", &tag)
            .json(&json!({"body": "three"})),
    )
    .await
    .expect_problem(412, "precondition_failed");
    app.delete(&path, &o.report_token).await.expect(204);
    app.get(&path, &o.report_token)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn undiscussed_items_carry_over_across_complete_skip_and_reschedule() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (m0, m1, m2, m3) = (
        &o.meetings[0],
        &o.meetings[1],
        &o.meetings[2],
        &o.meetings[3],
    );
    let done = add(&app, &o.report_token, m0, "Discussed", false)
        .await
        .id();
    add(&app, &o.report_token, m0, "Not reached", false).await;
    add(
        &app,
        &o.manager_token,
        m0,
        "Manager's private reminder",
        true,
    )
    .await;
    app.patch(
        &format!("/api/v1/meetings/{m0}/agenda-items/{done}"),
        &o.manager_token,
        &json!({"checked": true}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/meetings/{m0}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);

    let next = app
        .get(
            &format!("/api/v1/meetings/{m1}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(titles(&next), vec!["Not reached"]);
    assert_eq!(next.body["data"][0]["times_carried"], 1);
    let next_manager = app
        .get(
            &format!("/api/v1/meetings/{m1}/agenda-items"),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(
        titles(&next_manager),
        vec!["Not reached", "Manager's private reminder"]
    );
    assert_eq!(next_manager.body["data"][1]["private"], true);
    let old = app
        .get(
            &format!("/api/v1/meetings/{m0}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(titles(&old), vec!["Discussed"]);

    // Skipped: everything moves on again; a rescheduled meeting keeps its items.
    app.post(
        &format!("/api/v1/meetings/{m1}/skip"),
        &o.report_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/meetings/{m2}"),
        &o.manager_token,
        &json!({"starts_at": "2030-01-17T15:00:00Z"}),
    )
    .await
    .expect(200);
    let moved = app
        .get(
            &format!("/api/v1/meetings/{m2}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(titles(&moved), vec!["Not reached"]);
    assert_eq!(moved.body["data"][0]["times_carried"], 2);
    app.post(
        &format!("/api/v1/meetings/{m2}/cancel"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let last = app
        .get(
            &format!("/api/v1/meetings/{m3}/agenda-items"),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(titles(&last), vec!["Not reached"]);
    assert_eq!(last.body["data"][0]["times_carried"], 3);
    assert_eq!(
        last.body["data"][0]["first_added_at"],
        next.body["data"][0]["first_added_at"]
    );
    // The series keeps eight meetings ahead.
    let upcoming = app
        .get(
            &format!(
                "/api/v1/meetings?series_id={}&status=scheduled&limit=200",
                o.series
            ),
            &o.report_token,
        )
        .await
        .expect(200);
    assert!(upcoming.body["data"].as_array().unwrap().len() >= 8);
    let _ = (o.manager, o.report);
}

#[tokio::test]
async fn a_one_off_carries_its_open_points_to_the_pairs_next_meeting() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let one_off = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": o.report,
                    "starts_at": "2029-12-20T15:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    add(
        &app,
        &o.report_token,
        &one_off.to_string(),
        "Relocation question",
        false,
    )
    .await
    .expect(201);
    add(
        &app,
        &o.report_token,
        &one_off.to_string(),
        "Just for me",
        true,
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/meetings/{one_off}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    // The pair's next meeting is the first of their series.
    let next = app.agenda(&o.report_token, &o.meetings[0]).await;
    assert_eq!(titles(&next), ["Relocation question", "Just for me"]);
    assert_eq!(next.body["data"][1]["private"], true);
    // The private one is still the report's alone.
    let managers_view = app.agenda(&o.manager_token, &o.meetings[0]).await;
    assert!(!managers_view.text.contains("Just for me"));

    // With no later meeting for the pair, open points stay where they were.
    let (other, _) = app
        .person_with_login("x@example.com", "Someone", Some(o.manager))
        .await;
    let lone = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": other,
                    "starts_at": "2029-12-21T15:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    add(&app, &o.manager_token, &lone.to_string(), "Welcome", false)
        .await
        .expect(201);
    app.post(
        &format!("/api/v1/meetings/{lone}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let stayed = app
        .get(
            &format!("/api/v1/meetings/{lone}/agenda-items"),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(stayed.body["data"][0]["title"], "Welcome");
}

async fn write_private_note(app: &TestApp, token: &str, meeting: &str, body: &str) {
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{meeting}/notes/private"),
            Some(token),
        )
        .json(&json!({ "body": body })),
    )
    .await
    .expect(200);
}

async fn set_paused(app: &TestApp, token: &str, series: uuid::Uuid, paused: bool) {
    app.patch(
        &format!("/api/v1/meeting-series/{series}"),
        token,
        &json!({ "paused": paused }),
    )
    .await
    .expect(200);
}

/// Which upcoming meetings a pause removes depends on what both participants see alone (issue
/// 11, item 3): a private talking point or note keeps no meeting (that would show the other
/// participant where the author wrote something) and is not lost: it moves, a note joining the
/// author's note there, to the series' next meeting that stays.
#[tokio::test]
async fn pausing_reveals_no_private_content_and_loses_none() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings;
    assert_eq!(m.len(), 8);
    let private = add(&app, &o.report_token, &m[1], "Thinking about leaving", true)
        .await
        .id();
    write_private_note(&app, &o.report_token, &m[1], "prep for week 2").await;
    write_private_note(&app, &o.report_token, &m[3], "prep for week 4").await;
    add(&app, &o.manager_token, &m[3], "Roadmap", false).await;
    add(&app, &o.manager_token, &m[5], "Their promotion case", true).await;
    set_paused(&app, &o.manager_token, o.series, true).await;

    // Only the meeting with shared content stays, for both: as if nothing private existed.
    for token in [&o.manager_token, &o.report_token] {
        assert_eq!(
            app.series_meetings(token, o.series).await,
            vec![m[3].clone()]
        );
    }
    let report_view = app.agenda(&o.report_token, &m[3]).await;
    assert_eq!(
        titles(&report_view),
        ["Thinking about leaving", "Roadmap"],
        "{}",
        report_view.text
    );
    let manager_view = app.agenda(&o.manager_token, &m[3]).await;
    assert_eq!(titles(&manager_view), ["Roadmap", "Their promotion case"]);
    let notes = app
        .get(&format!("/api/v1/meetings/{}/notes", m[3]), &o.report_token)
        .await
        .expect(200);
    assert_eq!(
        notes.body["private"]["body"],
        "prep for week 4\n\nprep for week 2"
    );
    let theirs = app
        .get(
            &format!("/api/v1/meetings/{}/notes", m[3]),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(theirs.body["private"], serde_json::Value::Null);
    assert_eq!(theirs.body["shared"], serde_json::Value::Null);
    // The move is logged for its author alone: the other participant's feed never names it,
    // though it has caught up past the pause (the log trails running transactions a moment).
    let private_id = private.to_string();
    let (mine, _) = app
        .follow_until(&o.report_token, None, |c| {
            c.iter().any(|e| {
                e["type"] == "agenda_item.carried_over" && e["resource_id"] == private_id.as_str()
            })
        })
        .await;
    assert!(
        mine.iter()
            .any(|e| e["type"] == "agenda_item.carried_over"
                && e["resource_id"] == private_id.as_str()),
        "{mine:?}"
    );
    let series_id = o.series.to_string();
    let (theirs, _) = app
        .follow_until(&o.manager_token, None, |c| {
            c.iter().any(|e| {
                e["type"] == "meeting_series.updated" && e["resource_id"] == series_id.as_str()
            })
        })
        .await;
    assert!(
        theirs.iter().any(|e| e["type"] == "meeting_series.updated"),
        "{theirs:?}"
    );
    let theirs = serde_json::to_string(&theirs).unwrap_or_default();
    assert!(!theirs.contains(&private_id), "{theirs}");
}

/// A series that never met and holds nothing shared keeps its first meeting when paused,
/// whatever anyone wrote privately (a rule on what both see); a series that has met parks
/// private points on its last meeting, and resuming carries them to the first new one.
#[tokio::test]
async fn pausing_keeps_a_home_for_private_points_and_resuming_brings_them_back() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let m = &o.meetings;
    add(&app, &o.report_token, &m[4], "Raise", true).await;
    set_paused(&app, &o.manager_token, o.series, true).await;
    for token in [&o.manager_token, &o.report_token] {
        assert_eq!(
            app.series_meetings(token, o.series).await,
            vec![m[0].clone()]
        );
    }
    assert_eq!(titles(&app.agenda(&o.report_token, &m[0]).await), ["Raise"]);
    assert!(titles(&app.agenda(&o.manager_token, &m[0]).await).is_empty());

    set_paused(&app, &o.manager_token, o.series, false).await;
    app.post(
        &format!("/api/v1/meetings/{}/complete", m[0]),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let upcoming = app.series_meetings(&o.manager_token, o.series).await;
    assert_eq!(upcoming.len(), 9, "{upcoming:?}");
    assert_eq!(
        titles(&app.agenda(&o.report_token, &upcoming[1]).await),
        ["Raise"]
    );

    // Paused after a held meeting: nothing upcoming holds anything shared, so all of it goes
    // and the private point waits on the held meeting, still open, for its author alone.
    set_paused(&app, &o.manager_token, o.series, true).await;
    assert_eq!(
        app.series_meetings(&o.manager_token, o.series).await,
        vec![m[0].clone()]
    );
    let parked = app.agenda(&o.report_token, &m[0]).await;
    assert_eq!(titles(&parked), ["Raise"]);
    assert_eq!(parked.body["data"][0]["checked"], false);
    assert!(titles(&app.agenda(&o.manager_token, &m[0]).await).is_empty());

    set_paused(&app, &o.manager_token, o.series, false).await;
    let resumed = app.series_meetings(&o.manager_token, o.series).await;
    assert_eq!(resumed.len(), 9, "{resumed:?}");
    assert!(titles(&app.agenda(&o.report_token, &m[0]).await).is_empty());
    let first_new = app.agenda(&o.report_token, &resumed[1]).await;
    assert_eq!(titles(&first_new), ["Raise"]);
    assert!(titles(&app.agenda(&o.manager_token, &resumed[1]).await).is_empty());
}
