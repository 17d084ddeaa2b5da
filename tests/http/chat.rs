//! Slack and Teams: a person's own destination gets their reminders (the shared agenda, never a
//! private point, not even their own) and digest; a manager's team channel gets who meets whom
//! and when, and the digest in counts. Every message goes to a real HTTP receiver on 127.0.0.1
//! (`support/receiver.rs`) and is read back as the JSON Slack or Teams would get. The address is
//! a secret never returned; destinations are their owners' alone.

use std::time::Duration;

use chrono::Utc;
use oneonone_tests::receiver::{Mode, Received, Receiver};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A server with no email at all (chat does not need it), scanning and retrying often; its
/// weekly digest is three days off, so no test meets it by the calendar (the default, Monday
/// from 08:00 UTC, posted to the team channel in the middle of the reminders test on Mondays).
fn chatty(s: &mut oneonone_api::config::Settings) {
    use chrono::Datelike;
    s.jobs.digest = oneonone_domain::notify::DigestTime {
        weekday: Utc::now().weekday().succ().succ().succ(),
        hour: 0,
    };
    s.app_url = Some("https://app.oneonone.test".into());
    s.reminder_scan = Duration::from_millis(100);
    s.jobs.poll = Duration::from_millis(50);
    s.jobs.retry_base = Duration::from_millis(100);
    s.jobs.retry_cap = Duration::from_millis(300);
    s.jobs.timeout = Duration::from_secs(2);
}

async fn destination(app: &TestApp, token: &str, body: Value) -> Reply {
    app.post("/api/v1/chat-destinations", token, &body).await
}

/// Everything a receiver got, as text (to look for what must or must not be in it).
fn text_of(got: &[Received]) -> String {
    got.iter()
        .map(|r| r.body.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn reminders_carry_the_shared_agenda_to_a_person_and_only_who_and_when_to_a_team() {
    let app = spawn_app_with(chatty).await;
    let (mine, theirs, team) = (
        Receiver::start(Mode::Ok).await,
        Receiver::start(Mode::Ok).await,
        Receiver::start(Mode::Ok).await,
    );
    let o = app.one_on_one().await;
    // Not due yet: the 1:1 is in two hours, the reminders 30 minutes before.
    for token in [&o.manager_token, &o.report_token] {
        app.patch(
            "/api/v1/me/notification-settings",
            token,
            &json!({"reminder_lead_minutes": 30}),
        )
        .await
        .expect(200);
    }
    let manager_slack = destination(
        &app,
        &o.manager_token,
        json!({"platform": "slack", "url": mine.url, "label": "DM", "kinds": ["meeting_reminder"]}),
    )
    .await
    .expect(201);
    destination(
        &app,
        &o.report_token,
        json!({"platform": "teams", "url": theirs.url}),
    )
    .await
    .expect(201);
    // The manager's team channel, set up by HR for them.
    let team_id = destination(
        &app,
        &app.admin_token,
        json!({"platform": "slack", "url": team.url, "audience": "team",
            "person_id": o.manager, "label": "#team"}),
    )
    .await
    .expect(201)
    .id();
    let starts_at = Utc::now() + chrono::Duration::minutes(120);
    let starts_at =
        starts_at - chrono::Duration::nanoseconds(i64::from(starts_at.timestamp_subsec_nanos()));
    let m = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": o.report, "starts_at": starts_at}),
        )
        .await
        .expect(201)
        .id();
    for (token, title, private) in [
        (&o.report_token, "Career path <!channel> & next year", false),
        (&o.report_token, "Worried about my health", true),
        (&o.manager_token, "Reorg rumours", true),
        (&o.manager_token, "Q3 launch retro", false),
    ] {
        app.post(
            &format!("/api/v1/meetings/{m}/agenda-items"),
            token,
            &json!({"title": title, "private": private}),
        )
        .await
        .expect(201);
    }
    app.post(
        &format!("/api/v1/meetings/{m}/action-items"),
        &o.manager_token,
        &json!({"title": "Book the training", "assignee_id": o.report, "due_date": "2020-01-01"}),
    )
    .await
    .expect(201);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        mine.received().is_empty() && theirs.received().is_empty() && team.received().is_empty(),
        "nothing before its time"
    );

    // Now it is due for both (and for the team, at the manager's lead).
    for token in [&o.manager_token, &o.report_token] {
        app.patch(
            "/api/v1/me/notification-settings",
            token,
            &json!({"reminder_lead_minutes": 180}),
        )
        .await
        .expect(200);
    }
    let slack = mine
        .wait_for("the manager's reminder", |r| !r.is_empty())
        .await;
    let teams = theirs
        .wait_for("the report's reminder", |r| !r.is_empty())
        .await;
    let channel = team.wait_for("the team's line", |r| !r.is_empty()).await;

    // Slack: Block Kit, the job's id as the first block's id and the Idempotency-Key; people's
    // text escaped (no `<!channel>` ping).
    let body = slack[0].json();
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][0]["text"]["text"], "Your 1:1 with Report");
    assert_eq!(body["blocks"][0]["block_id"], slack[0].idempotency_key);
    assert!(!slack[0].idempotency_key.is_empty());
    let all = slack[0].body.clone();
    assert!(
        all.contains("Career path &lt;!channel&gt; &amp; next year"),
        "{all}"
    );
    assert!(!all.contains("<!channel>"), "{all}");
    assert!(
        all.contains("Q3 launch retro") && all.contains("Book the training"),
        "{all}"
    );
    assert!(all.contains("overdue"), "{all}");
    assert!(
        all.contains(&format!("https://app.oneonone.test/meetings/{m}")),
        "{all}"
    );
    // Teams: an Adaptive Card in a message.
    let card = teams[0].json();
    assert_eq!(card["type"], "message");
    assert_eq!(
        card["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        card["attachments"][0]["content"]["body"][0]["text"],
        "Your 1:1 with Manager"
    );
    assert_eq!(
        card["attachments"][0]["content"]["id"],
        teams[0].idempotency_key
    );
    assert!(
        teams[0].body.contains("Q3 launch retro"),
        "{}",
        teams[0].body
    );
    // No private point reaches a chat, not even its author's own channel.
    for got in [&slack, &teams, &channel] {
        let text = text_of(got);
        assert!(!text.contains("Worried"), "{text}");
        assert!(!text.contains("Reorg"), "{text}");
    }
    // The team's channel: who meets whom and when, nothing of the 1:1's content.
    let line = channel[0].json();
    assert_eq!(line["blocks"][0]["text"]["text"], "1:1: Manager and Report");
    for word in ["Career", "Q3", "Book the training"] {
        assert!(!channel[0].body.contains(word), "{}", channel[0].body);
    }

    // Once each, however often the schedule is read.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(mine.received().len(), 1);
    assert_eq!(theirs.received().len(), 1);
    assert_eq!(team.received().len(), 1);

    // The address is never read back; the destination shows what was sent to it.
    let read = app
        .get(
            &format!("/api/v1/chat-destinations/{}", manager_slack.id()),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert!(!read.text.contains(&mine.url), "{}", read.text);
    assert!(read.body.get("url").is_none());
    // A short path shows only the host.
    assert_eq!(
        read.body["url_hint"],
        mine.url
            .trim_start_matches("http://")
            .trim_end_matches("/hooks")
    );
    assert_eq!(read.body["kinds"], json!(["meeting_reminder"]));
    assert_eq!(read.body["recent_messages"][0]["state"], "delivered");
    assert_eq!(
        read.body["recent_messages"][0]["event_type"],
        "meeting.reminder"
    );
    // The manager sees their team's destination too (HR made it for them).
    let listed = app
        .get("/api/v1/chat-destinations", &o.manager_token)
        .await
        .expect(200);
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(2));
    assert!(ids(&listed).contains(&team_id.to_string()));
}

#[tokio::test]
async fn destinations_are_their_owners_and_bad_input_changes_nothing() {
    let app = spawn_app_with(chatty).await;
    let hook = Receiver::start(Mode::Ok).await;
    let o = app.one_on_one().await;
    let count = |token: String| {
        let app = &app;
        async move {
            app.get("/api/v1/chat-destinations", &token)
                .await
                .expect(200)
                .body["data"]
                .as_array()
                .map_or(0, Vec::len)
        }
    };
    // Someone else's own destination, or a team that is not yours: refused.
    destination(
        &app,
        &o.report_token,
        json!({"platform": "slack", "url": hook.url, "person_id": o.manager}),
    )
    .await
    .expect_problem(403, "forbidden");
    destination(
        &app,
        &o.report_token,
        json!({"platform": "slack", "url": hook.url, "audience": "team", "person_id": o.manager}),
    )
    .await
    .expect_problem(403, "forbidden");
    // HR sets a team's up, never a person's own.
    destination(
        &app,
        &app.admin_token,
        json!({"platform": "slack", "url": hook.url, "person_id": o.report}),
    )
    .await
    .expect_problem(403, "forbidden");
    // A token posts nowhere.
    let (_, token) = app.api_token(&["meetings:read"]).await;
    destination(&app, &token, json!({"platform": "slack", "url": hook.url}))
        .await
        .expect_problem(403, "forbidden");
    // Bad addresses and bodies.
    for (body, field) in [
        (
            json!({"platform": "slack", "url": "http://hooks.example.com/x"}),
            "url",
        ),
        (
            json!({"platform": "slack", "url": "ftp://127.0.0.1/x"}),
            "url",
        ),
        (
            json!({"platform": "slack", "url": "https://user:pw@hooks.example.com/x"}),
            "url",
        ),
        (json!({"platform": "discord", "url": hook.url}), "platform"),
        (
            json!({"platform": "slack", "url": hook.url, "kinds": ["gossip"]}),
            "kinds[0]",
        ),
        (
            json!({"platform": "slack", "url": hook.url, "label": "a\u{7}b"}),
            "label",
        ),
        (
            json!({"platform": "slack", "url": hook.url, "audience": "everyone"}),
            "audience",
        ),
    ] {
        let reply = destination(&app, &o.manager_token, body.clone())
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(
            reply.body["errors"][0]["field"], field,
            "{body}: {}",
            reply.text
        );
    }
    destination(
        &app,
        &o.manager_token,
        json!({"platform": "slack", "url": hook.url, "colour": "red"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    assert_eq!(count(o.manager_token.clone()).await, 0, "nothing was made");

    let made = destination(
        &app,
        &o.manager_token,
        json!({"platform": "slack", "url": "https://hooks.slack.com/services/T1/B2/abcdefSECRETwxyz"}),
    )
    .await
    .expect(201);
    assert!(!made.text.contains("SECRET"), "{}", made.text);
    assert_eq!(made.body["url_hint"], "hooks.slack.com/…wxyz");
    assert_eq!(made.body["audience"], "person");
    assert_eq!(
        made.body["kinds"],
        json!(["meeting_reminder", "weekly_digest"])
    );
    let path = format!("/api/v1/chat-destinations/{}", made.id());
    // Nobody else learns it exists: not the report, not HR, not in their lists.
    for token in [&o.report_token, &app.admin_token] {
        app.get(&path, token).await.expect_problem(404, "not_found");
        app.delete(&path, token)
            .await
            .expect_problem(404, "not_found");
        app.post(&format!("{path}/test"), token, &json!({}))
            .await
            .expect_problem(404, "not_found");
    }
    assert_eq!(count(o.report_token.clone()).await, 0);
    assert_eq!(count(app.admin_token.clone()).await, 0);

    // A new address (write-only) and fewer kinds; a stale ETag changes nothing.
    let changed = app
        .send_after_read(
            Method::PATCH,
            &path,
            &path,
            &o.manager_token,
            json!({"url": hook.url, "kinds": ["weekly_digest"], "label": "me"}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["kinds"], json!(["weekly_digest"]));
    assert_ne!(changed.body["url_hint"], made.body["url_hint"]);
    let stale = app
        .send_if_match(
            Method::PATCH,
            &path,
            &o.manager_token,
            made.header("etag").expect("an ETag"),
            Some(json!({"label": "stale"})),
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.text);
    app.patch(
        &path,
        &o.manager_token,
        &json!({"url": "http://example.com/"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let read = app.get(&path, &o.manager_token).await.expect(200);
    assert_eq!(read.body["label"], "me");
    assert_eq!(read.body["url_hint"], changed.body["url_hint"]);

    // A test message arrives at the new address.
    app.post(&format!("{path}/test"), &o.manager_token, &json!({}))
        .await
        .expect(202);
    let got = hook.wait_for("the test message", |r| !r.is_empty()).await;
    assert_eq!(
        got[0].json()["blocks"][0]["text"]["text"],
        "oneonone is connected"
    );

    // At most ten of one audience each.
    for i in 1..10 {
        destination(
            &app,
            &o.manager_token,
            json!({"platform": "slack", "url": hook.url, "label": format!("#{i}")}),
        )
        .await
        .expect(201);
    }
    destination(
        &app,
        &o.manager_token,
        json!({"platform": "slack", "url": hook.url}),
    )
    .await
    .expect_problem(422, "too_many_destinations");
    assert_eq!(count(o.manager_token.clone()).await, 10);
    app.delete(&path, &o.manager_token).await.expect(204);
    app.get(&path, &o.manager_token)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn a_failing_channel_gets_its_message_once_it_recovers_and_a_removed_one_is_not_hammered() {
    let app = spawn_app_with(chatty).await;
    let hook = Receiver::start(Mode::Fail).await;
    let o = app.one_on_one().await;
    let made = destination(
        &app,
        &o.manager_token,
        json!({"platform": "teams", "url": hook.url}),
    )
    .await
    .expect(201);
    let path = format!("/api/v1/chat-destinations/{}", made.id());
    app.post(&format!("{path}/test"), &o.manager_token, &json!({}))
        .await
        .expect(202);
    hook.wait_for("two failed attempts", |r| r.len() >= 2).await;
    hook.set_mode(Mode::Ok);
    let got = hook
        .wait_for("the message, once the channel is back", |r| {
            r.iter().any(|x| x.mode == Mode::Ok)
        })
        .await;
    // Every attempt was the same message.
    assert!(
        got.iter()
            .all(|r| r.idempotency_key == got[0].idempotency_key)
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(hook.acknowledged().len(), 1, "nothing after the success");

    // Slack's answer for a removed webhook: 404 `no_service`. Tried once, then dead.
    hook.set_mode(Mode::Gone);
    let before = hook.received().len();
    app.post(&format!("{path}/test"), &o.manager_token, &json!({}))
        .await
        .expect(202);
    hook.wait_for("the attempt", |r| r.len() > before).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(hook.received().len(), before + 1, "no retry of a 404");
    let read = app.get(&path, &o.manager_token).await.expect(200);
    let last = &read.body["recent_messages"][0];
    assert_eq!(last["state"], "dead", "{}", read.text);
    assert_eq!(last["last_status"], 404);
    assert_eq!(last["attempts"], 1);
}

#[tokio::test]
async fn the_digest_names_who_is_behind_to_the_manager_and_only_counts_to_the_team() {
    use chrono::Datelike;
    let digest_on = |day: chrono::Weekday| {
        move |s: &mut oneonone_api::config::Settings| {
            chatty(s);
            s.jobs.digest = oneonone_domain::notify::DigestTime {
                weekday: day,
                hour: 0,
            };
        }
    };
    // Nothing is due while the team is set up (its day is tomorrow)…
    let today = Utc::now().weekday();
    let app = spawn_app_with(digest_on(today.succ())).await;
    let (own, team) = (
        Receiver::start(Mode::Ok).await,
        Receiver::start(Mode::Ok).await,
    );
    let (manager, manager_token) = app
        .person_with_login("lead@example.com", "Lena Lead", None)
        .await;
    for (email, name) in [
        ("late@example.com", "Lara Late"),
        ("none@example.com", "Nina No-series"),
        ("fine@example.com", "Fred Fine"),
    ] {
        let (report, _) = app.person_with_login(email, name, Some(manager)).await;
        if name == "Nina No-series" {
            continue;
        }
        app.post(
            "/api/v1/meeting-series",
            &manager_token,
            &json!({"manager_id": manager, "report_id": report,
                "cadence": {"frequency": "weekly", "weekday": "monday"},
                "local_time": "10:00", "time_zone": "Europe/Berlin", "start_date": "2030-01-07"}),
        )
        .await
        .expect(201);
        let days_ago = if name == "Fred Fine" { 2 } else { 20 };
        let held_at = Utc::now() - chrono::Duration::days(days_ago);
        let held_at =
            held_at - chrono::Duration::nanoseconds(i64::from(held_at.timestamp_subsec_nanos()));
        let m = app
            .post(
                "/api/v1/meetings",
                &manager_token,
                &json!({"manager_id": manager, "report_id": report, "starts_at": held_at}),
            )
            .await
            .expect(201)
            .id();
        app.post(
            &format!("/api/v1/meetings/{m}/complete"),
            &manager_token,
            &json!({}),
        )
        .await
        .expect(200);
    }
    destination(
        &app,
        &manager_token,
        json!({"platform": "slack", "url": own.url, "kinds": ["weekly_digest"]}),
    )
    .await
    .expect(201);
    destination(
        &app,
        &manager_token,
        json!({"platform": "teams", "url": team.url, "audience": "team"}),
    )
    .await
    .expect(201);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(own.received().is_empty() && team.received().is_empty());

    // …then a replica whose digest is due from midnight today takes part.
    let _replica = app.replica(digest_on(today)).await;
    let mine = own
        .wait_for("the manager's digest", |r| !r.is_empty())
        .await;
    let ours = team.wait_for("the team's digest", |r| !r.is_empty()).await;
    let text = &mine[0].body;
    assert!(text.contains("Your team this week"), "{text}");
    assert!(
        text.contains("Lara Late") && text.contains("Nina No-series"),
        "{text}"
    );
    assert!(!text.contains("Fred Fine"), "{text}");
    let card = ours[0].json();
    let card_text = ours[0].body.clone();
    assert_eq!(card["type"], "message");
    assert!(
        card_text.contains("1 of 3 direct reports met within their cadence."),
        "{card_text}"
    );
    for name in ["Lara", "Nina", "Fred"] {
        assert!(
            !card_text.contains(name),
            "no names in a team's channel: {card_text}"
        );
    }
    // Once, across both replicas' scans.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(own.received().len(), 1);
    assert_eq!(team.received().len(), 1);
}
