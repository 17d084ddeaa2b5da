//! Email: reminders before a 1:1 and summaries after it, written for their recipient (their
//! own private talking points, never the other's), in their time zone, with a one-click
//! unsubscribe (RFC 8058); settings; a relay that defers or rejects. Every message goes to a
//! real SMTP receiver on 127.0.0.1 (`support/smtp.rs`) and is read back with a MIME parser.

use std::time::Duration;

use chrono::{DateTime, Utc};
use oneonone_tests::smtp::{Mail, SmtpMode, SmtpReceiver};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A server that mails through `smtp`, looks for due reminders often and retries soon.
async fn mail_app(smtp: &SmtpReceiver) -> TestApp {
    let url = smtp.url.clone();
    spawn_app_with(move |s| {
        s.smtp_url = Some(oneonone_api::config::Secret::new(url));
        s.mail_from = "oneonone <noreply@oneonone.test>".into();
        s.public_url = Some("https://api.oneonone.test".into());
        s.app_url = Some("https://app.oneonone.test".into());
        s.reminder_scan = Duration::from_millis(100);
        s.jobs.poll = Duration::from_millis(50);
        s.jobs.retry_base = Duration::from_millis(100);
        s.jobs.retry_cap = Duration::from_millis(300);
        s.jobs.timeout = Duration::from_secs(2);
    })
    .await
}

async fn set(app: &TestApp, token: &str, patch: Value) -> Reply {
    app.patch("/api/v1/me/notification-settings", token, &patch)
        .await
        .expect(200)
}

/// A one-off 1:1 of the pair starting `in_minutes` from now.
async fn meeting_in(app: &TestApp, o: &OneOnOne, in_minutes: i64) -> (String, DateTime<Utc>) {
    let starts_at = Utc::now() + chrono::Duration::minutes(in_minutes);
    let starts_at =
        starts_at - chrono::Duration::nanoseconds(i64::from(starts_at.timestamp_subsec_nanos()));
    let id = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": o.report, "starts_at": starts_at}),
        )
        .await
        .expect(201)
        .id()
        .to_string();
    (id, starts_at)
}

fn to(mails: &[Mail], address: &str) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .cloned()
        .collect()
}

/// The path of a message's one-click link, from its `List-Unsubscribe` header.
fn unsubscribe_path(mail: &Mail) -> String {
    let header = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    let url = header.trim().trim_start_matches('<').trim_end_matches('>');
    url.strip_prefix("https://api.oneonone.test")
        .unwrap_or_else(|| panic!("a link to the public URL: {url}"))
        .to_owned()
}

#[tokio::test]
async fn reminders_list_open_points_with_only_your_own_private_ones_once_each() {
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let app = mail_app(&smtp).await;
    let o = app.one_on_one_without_invitations().await;
    // Not due yet: both want a reminder 30 minutes before, the 1:1 is in two hours.
    set(&app, &o.manager_token, json!({"reminder_lead_minutes": 30})).await;
    set(
        &app,
        &o.report_token,
        json!({"reminder_lead_minutes": 30, "time_zone": "Europe/Berlin"}),
    )
    .await;
    let (m, starts_at) = meeting_in(&app, &o, 120).await;
    for (token, title, private) in [
        (&o.report_token, "Career path next year", false),
        (
            &o.report_token,
            "Worried about my health (report only)",
            true,
        ),
        (&o.manager_token, "Reorg rumours (manager only)", true),
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
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(smtp.accepted().is_empty(), "no reminder before its time");

    // Now it is due for both.
    set(
        &app,
        &o.manager_token,
        json!({"reminder_lead_minutes": 180}),
    )
    .await;
    set(&app, &o.report_token, json!({"reminder_lead_minutes": 180})).await;
    let mails = smtp.wait_for("two reminders", |m| m.len() >= 2).await;
    let (report_mail, manager_mail) = (
        to(&mails, "r@example.com").remove(0),
        to(&mails, "m@example.com").remove(0),
    );
    for mail in [&report_mail, &manager_mail] {
        assert!(mail.is_alternative(), "a text and an HTML part");
        assert_eq!(mail.from, "noreply@oneonone.test");
        for part in [mail.text(), mail.html()] {
            assert!(part.contains("Career path next year"), "{part}");
            assert!(part.contains("Q3 launch retro"));
            assert!(part.contains("Book the training"));
            assert!(part.contains("overdue"));
            assert!(part.contains(&format!("https://app.oneonone.test/meetings/{m}")));
        }
        assert_eq!(
            mail.header("List-Unsubscribe-Post").as_deref(),
            Some("List-Unsubscribe=One-Click")
        );
        assert!(unsubscribe_path(mail).starts_with("/api/v1/unsubscribe/"));
        assert!(mail.message_id().ends_with("@oneonone.test"));
    }
    assert!(report_mail.subject().contains("Manager"));
    assert!(manager_mail.subject().contains("Report"));
    for part in [report_mail.text(), report_mail.html()] {
        assert!(part.contains("Worried about my health"));
        assert!(
            !part.contains("Reorg rumours"),
            "never the other's private point"
        );
    }
    for part in [manager_mail.text(), manager_mail.html()] {
        assert!(part.contains("Reorg rumours"));
        assert!(
            !part.contains("Worried about my health"),
            "never the other's private point"
        );
    }
    // In each reader's zone: the report chose Berlin, the manager has the 1:1's own (UTC for a
    // one-off).
    let berlin = starts_at.with_timezone(&chrono_tz::Europe::Berlin);
    assert!(
        report_mail
            .text()
            .contains(&berlin.format("%H:%M %Z").to_string()),
        "{}",
        report_mail.text()
    );
    assert!(
        manager_mail
            .text()
            .contains(&starts_at.format("%H:%M UTC").to_string())
    );

    // Once each, however often the schedule runs.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(smtp.accepted().len(), 2, "each reminder once");

    // Moved: a reminder for the new time; the old one is never sent again.
    let moved = starts_at + chrono::Duration::minutes(30);
    app.patch(
        &format!("/api/v1/meetings/{m}"),
        &o.manager_token,
        &json!({"starts_at": moved}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("reminders for the new time", |m| m.len() >= 4)
        .await;
    let later = to(&mails, "m@example.com");
    assert_eq!(later.len(), 2);
    assert!(
        later[1]
            .text()
            .contains(&moved.format("%H:%M UTC").to_string())
    );
    assert_ne!(later[0].message_id(), later[1].message_id());
    // Cancelled: nothing more.
    app.post(
        &format!("/api/v1/meetings/{m}/cancel"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.accepted().len(), 4);
}

#[tokio::test]
async fn a_held_one_on_one_sends_its_summary_and_one_click_turns_that_kind_off() {
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let app = mail_app(&smtp).await;
    let o = app.one_on_one_without_invitations().await;
    let m = &o.meetings[0];
    for (which, body) in [
        ("shared", "Agreed: <b>ship</b> the beta first."),
        ("private", "Seems tired lately"),
    ] {
        app.send(
            app.request(
                Method::PUT,
                &format!("/api/v1/meetings/{m}/notes/{which}"),
                Some(&o.manager_token),
            )
            .json(&json!({ "body": body })),
        )
        .await
        .expect(200);
    }
    app.post(
        &format!("/api/v1/meetings/{m}/action-items"),
        &o.report_token,
        &json!({"title": "Draft the beta plan", "assignee_id": o.report}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/meetings/{m}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp.wait_for("two summaries", |m| m.len() >= 2).await;
    assert_eq!(mails.len(), 2);
    for mail in &mails {
        assert!(mail.subject().starts_with("Summary of your 1:1"));
        assert!(mail.text().contains("Agreed: <b>ship</b> the beta first."));
        assert!(
            mail.html().contains("ship") && !mail.html().contains("<b>"),
            "escaped in HTML: {}",
            mail.html()
        );
        assert!(mail.text().contains("Draft the beta plan"));
        assert!(
            !mail.text().contains("Seems tired"),
            "a private note stays out"
        );
        assert!(!mail.html().contains("Seems tired"));
    }
    let report_mail = to(&mails, "r@example.com").remove(0);
    assert_eq!(report_mail.to_address(), "r@example.com");

    // The page a link opens changes nothing; a one-click POST (no sign-in) turns summaries off.
    let path = unsubscribe_path(&report_mail);
    let page = app.send(app.client.get(app.url(&path))).await.expect(200);
    assert!(page.text.contains("<form method=\"post\""));
    let settings = app
        .get("/api/v1/me/notification-settings", &o.report_token)
        .await
        .expect(200);
    assert_eq!(settings.body["email"]["meeting_summary"], true);
    for _ in 0..2 {
        let done = app
            .send(
                app.client
                    .post(app.url(&path))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("List-Unsubscribe=One-Click"),
            )
            .await
            .expect(200);
        assert!(done.text.contains("no longer receive summaries"));
    }
    let settings = app
        .get("/api/v1/me/notification-settings", &o.report_token)
        .await
        .expect(200);
    assert_eq!(
        settings.body["email"],
        json!({"meeting_reminder": true, "meeting_summary": false, "weekly_digest": true,
            "meeting_invitation": false, "webhook_disabled": true, "checkin_reminder": true,
            "enps_reminder": true})
    );
    // A forged or altered link does nothing.
    let mut forged = path.clone();
    forged.push('x');
    app.send(app.client.post(app.url(&forged)))
        .await
        .expect_problem(404, "not_found");
    app.send(app.client.post(app.url("/api/v1/unsubscribe/not-a-token")))
        .await
        .expect_problem(404, "not_found");

    // The next held 1:1 mails the manager alone.
    let next = &o.meetings[1];
    app.post(
        &format!("/api/v1/meetings/{next}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("the manager's second summary", |m| m.len() >= 3)
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mails_now = smtp.accepted();
    assert_eq!(mails_now.len(), 3, "{mails:?}");
    assert_eq!(to(&mails_now, "r@example.com").len(), 1);
}

#[tokio::test]
async fn settings_are_your_own_and_bad_ones_change_nothing() {
    let app = spawn_app().await;
    let (_, employee) = app
        .signed_in(&json!({"email": "e@example.com", "display_name": "E"}))
        .await;
    let read = app
        .get("/api/v1/me/notification-settings", &employee)
        .await
        .expect(200);
    assert_eq!(
        read.body,
        json!({"time_zone": null, "reminder_lead_minutes": 1440,
            "email": {"meeting_reminder": true, "meeting_summary": true, "weekly_digest": true,
                "meeting_invitation": true, "webhook_disabled": true, "checkin_reminder": true,
                "enps_reminder": true},
            "email_delivery": false, "updated_at": null})
    );
    let etag = read.header("etag").expect("etag").to_owned();
    for (bad, field) in [
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (
            json!({"reminder_lead_minutes": 5000}),
            "reminder_lead_minutes",
        ),
        (
            json!({"reminder_lead_minutes": -1}),
            "reminder_lead_minutes",
        ),
    ] {
        let reply = app
            .patch("/api/v1/me/notification-settings", &employee, &bad)
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.text);
    }
    app.patch(
        "/api/v1/me/notification-settings",
        &employee,
        &json!({"email": {"sms": true}}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let (_, token) = app.api_token(&["people:read"]).await;
    app.get("/api/v1/me/notification-settings", &token)
        .await
        .expect_problem(403, "forbidden");
    let unchanged = app
        .get("/api/v1/me/notification-settings", &employee)
        .await
        .expect(200);
    assert_eq!(unchanged.body, read.body, "refused changes leave nothing");

    let changed = app
        .send_if_match(
            Method::PATCH,
            "/api/v1/me/notification-settings",
            &employee,
            &etag,
            Some(json!({"time_zone": "Asia/Tokyo", "email": {"weekly_digest": false}})),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["time_zone"], "Asia/Tokyo");
    assert_eq!(changed.body["email"]["weekly_digest"], false);
    assert_eq!(changed.body["email"]["meeting_reminder"], true);
    app.send_if_match(
        Method::PATCH,
        "/api/v1/me/notification-settings",
        &employee,
        &etag,
        Some(json!({"time_zone": null})),
    )
    .await
    .expect_problem(412, "precondition_failed");
    // Others' settings are nobody else's business: there is no path to them, and the admin
    // reads their own.
    let admin = app
        .get("/api/v1/me/notification-settings", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(admin.body["time_zone"], Value::Null);
}

#[tokio::test]
async fn a_deferring_relay_gets_the_email_again_and_a_rejecting_one_gets_it_once() {
    let smtp = SmtpReceiver::start(SmtpMode::Defer);
    let app = mail_app(&smtp).await;
    let o = app.one_on_one_without_invitations().await;
    set(
        &app,
        &o.manager_token,
        json!({"email": {"meeting_summary": false}}),
    )
    .await;
    let m = &o.meetings[0];
    app.post(
        &format!("/api/v1/meetings/{m}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    // Deferred (451) a few times, then taken: delivered once, with the same Message-ID
    // whatever the attempt.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while smtp.attempts() < 3 {
        if tokio::time::Instant::now() > deadline {
            let queue = app.get("/api/v1/job-queue", &app.admin_token).await;
            let jobs = app.db.jobs_of(o.report).await.expect("jobs");
            panic!(
                "retries: {} attempts; {}; {:?}",
                smtp.attempts(),
                queue.text,
                jobs.iter()
                    .map(|j| (j.attempts, j.last_error.clone()))
                    .collect::<Vec<_>>()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(smtp.accepted().is_empty());
    smtp.set_mode(SmtpMode::Accept);
    let mails = smtp.wait_for("the summary", |m| !m.is_empty()).await;
    assert_eq!(to(&mails, "r@example.com").len(), 1);
    assert!(
        to(&mails, "m@example.com").is_empty(),
        "the manager turned summaries off"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.accepted().len(), 1, "delivered once");

    // Rejected for good (550): tried once, dead, shown in the queue.
    smtp.set_mode(SmtpMode::Reject);
    let before = smtp.attempts();
    let next = &o.meetings[1];
    app.post(
        &format!("/api/v1/meetings/{next}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let queue = app
            .get("/api/v1/job-queue", &app.admin_token)
            .await
            .expect(200);
        let email = queue.body["channels"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["channel"] == "email").cloned());
        if email.as_ref().is_some_and(|e| e["dead"] == 1) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "dead: {}",
            queue.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        smtp.attempts(),
        before + 1,
        "a permanent refusal is not retried"
    );
}

/// The digests that arrived (by the kind header).
fn digests(mails: &[Mail]) -> Vec<Mail> {
    mails
        .iter()
        .filter(|m| m.header("X-Oneonone-Kind").as_deref() == Some("weekly_digest"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn managers_get_a_weekly_digest_of_reports_not_met_and_overdue_items_once() {
    use chrono::Datelike;
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let mailing = |day: chrono::Weekday| {
        let url = smtp.url.clone();
        move |s: &mut oneonone_api::config::Settings| {
            s.smtp_url = Some(oneonone_api::config::Secret::new(url));
            s.mail_from = "oneonone <noreply@oneonone.test>".into();
            s.app_url = Some("https://app.oneonone.test".into());
            s.reminder_scan = Duration::from_millis(100);
            s.jobs.poll = Duration::from_millis(50);
            s.jobs.digest = oneonone_domain::notify::DigestTime {
                weekday: day,
                hour: 0,
            };
        }
    };
    // No digest is due while the team is set up (its day is tomorrow)…
    let today = Utc::now().weekday();
    let app = spawn_app_with(mailing(today.succ())).await;
    let (manager, manager_token) = app
        .person_with_login("lead@example.com", "Lena Lead", None)
        .await;
    let mut reports = Vec::new();
    for (email, name) in [
        ("ontrack@example.com", "Otto On-track"),
        ("late@example.com", "Lara Late"),
        ("none@example.com", "Nina No-series"),
    ] {
        reports.push(app.person_with_login(email, name, Some(manager)).await);
    }
    // Otto and Lara have a weekly 1:1; Otto met two days ago, Lara twenty days ago.
    for (i, days_ago) in [(0, 2), (1, 20)] {
        let (report, report_token) = &reports[i];
        app.post(
            "/api/v1/meeting-series",
            &manager_token,
            &json!({"manager_id": manager, "report_id": report,
                "cadence": {"frequency": "weekly", "weekday": "monday"},
                "local_time": "10:00", "time_zone": "Europe/Berlin", "start_date": "2030-01-07"}),
        )
        .await
        .expect(201);
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
            &format!("/api/v1/meetings/{m}/agenda-items"),
            report_token,
            &json!({"title": "Private: thinking of leaving", "private": true}),
        )
        .await
        .expect(201);
        if i == 0 {
            app.post(
                &format!("/api/v1/meetings/{m}/action-items"),
                &manager_token,
                &json!({"title": "Send the offsite agenda", "assignee_id": manager, "due_date": "2020-01-01"}),
            )
            .await
            .expect(201);
        }
        app.post(
            &format!("/api/v1/meetings/{m}/complete"),
            &manager_token,
            &json!({}),
        )
        .await
        .expect(200);
    }
    // A manager who turned the digest off gets none.
    let (quiet, quiet_token) = app
        .person_with_login("quiet@example.com", "Quiet Manager", None)
        .await;
    app.person_with_login("quietreport@example.com", "Quinn", Some(quiet))
        .await;
    set(
        &app,
        &quiet_token,
        json!({"email": {"weekly_digest": false}}),
    )
    .await;

    // …then a replica whose digest is due from midnight today (UTC: these managers chose no
    // zone) takes part.
    let _replica = app.replica(mailing(today)).await;
    let mails = smtp
        .wait_for("the digest", |m| !digests(m).is_empty())
        .await;
    let got = digests(&mails);
    let digest = &got[0];
    assert_eq!(digest.to_address(), "lead@example.com");
    assert!(
        digest.subject().starts_with("Your team this week"),
        "{}",
        digest.subject()
    );
    let text = digest.text();
    assert!(text.contains("Lara Late: last 1:1 on"), "{text}");
    assert!(
        text.contains("weekly on Monday at 10:00 (Europe/Berlin)"),
        "{text}"
    );
    assert!(
        text.contains("Nina No-series: no 1:1 held yet; no recurring 1:1"),
        "{text}"
    );
    assert!(!text.contains("Otto On-track:"), "on track: {text}");
    assert!(
        text.contains("Send the offsite agenda (you, due 1 January; 1:1 with Otto On-track)"),
        "{text}"
    );
    assert!(!text.contains("thinking of leaving"), "{text}");
    assert!(digest.html().contains("Lara Late"), "{}", digest.html());
    assert!(digest.header("List-Unsubscribe").is_some());
    // Once a week: later scans queue nothing more.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let all = digests(&smtp.accepted());
    assert_eq!(all.len(), 1, "one digest, to the manager who wants it");
}

#[tokio::test]
async fn whoever_set_up_a_webhook_hears_when_it_is_turned_off() {
    use oneonone_tests::receiver::{Mode, Receiver};
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let url = smtp.url.clone();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(oneonone_api::config::Secret::new(url));
        s.mail_from = "oneonone <noreply@oneonone.test>".into();
        s.public_url = Some("https://api.oneonone.test".into());
        s.jobs.poll = Duration::from_millis(50);
        s.jobs.retry_base = Duration::from_millis(100);
        s.jobs.retry_cap = Duration::from_millis(200);
        s.jobs.retry_window = Duration::from_secs(1);
    })
    .await;
    let receiver = Receiver::start(Mode::Fail).await;
    // One subscription made by the HR admin, one by an API token another admin made.
    let (_, hr_token) = app
        .signed_in(
            &json!({"email": "hr2@example.com", "display_name": "Hanna HR", "hr_admin": true}),
        )
        .await;
    let api_token = app
        .post(
            "/api/v1/api-tokens",
            &hr_token,
            &json!({"name": "HRIS sync", "scopes": ["webhooks:manage"]}),
        )
        .await
        .expect(201)
        .body["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let mut hooks = Vec::new();
    for (token, what) in [
        (&app.admin_token, "by the admin"),
        (&api_token, "by Hanna's token"),
    ] {
        let hook = app
            .post(
                "/api/v1/webhooks",
                token,
                &json!({"url": receiver.url, "event_types": ["person.created"], "description": what}),
            )
            .await
            .expect(201)
            .id();
        app.post(&format!("/api/v1/webhooks/{hook}/ping"), token, &json!({}))
            .await
            .expect(202);
        hooks.push(hook);
    }
    let mails = smtp.wait_for("two alerts", |m| m.len() >= 2).await;
    for (address, hook, what) in [
        (oneonone_tests::ADMIN_EMAIL, hooks[0], "by the admin"),
        ("hr2@example.com", hooks[1], "by Hanna's token"),
    ] {
        let got = to(&mails, address);
        assert_eq!(got.len(), 1, "{address}");
        let mail = &got[0];
        assert_eq!(
            mail.subject(),
            format!("Webhook turned off: {}", receiver.url)
        );
        let text = mail.text();
        assert!(text.contains(&format!("({what}) was turned off")), "{text}");
        assert!(
            text.contains(&format!(
                "https://api.oneonone.test/api/v1/webhooks/{hook}/deliveries"
            )),
            "{text}"
        );
        assert_eq!(
            mail.header("X-Oneonone-Kind").as_deref(),
            Some("webhook_disabled")
        );
    }
}

/// The messages of one kind (by the kind header) to `address`.
fn of_kind(mails: &[Mail], kind: &str, address: &str) -> Vec<Mail> {
    to(mails, address)
        .into_iter()
        .filter(|m| m.header("X-Oneonone-Kind").as_deref() == Some(kind))
        .collect()
}

/// Launch a "Q1 check-in" cycle for everyone, due in `days` days; its due date.
async fn launch_checkins(app: &TestApp, days: i64) -> chrono::NaiveDate {
    let due = (Utc::now() + chrono::Duration::days(days)).date_naive();
    app.post(
        "/api/v1/checkin-cycles",
        &app.admin_token,
        &json!({"name": "Q1 check-in", "frequency": "quarterly",
            "period_start": due - chrono::Duration::days(90),
            "period_end": due - chrono::Duration::days(days + 1), "due_date": due,
            "population": "everyone"}),
    )
    .await
    .expect(201);
    due
}

#[tokio::test]
async fn a_checkin_step_is_mailed_to_whoever_takes_the_next_one_without_its_text() {
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let app = mail_app(&smtp).await;
    let o = app.one_on_one_without_invitations().await;
    let due = launch_checkins(&app, 10).await;
    // Everyone with a manager has a check-in: the manager and the report.
    let kind = "checkin_reminder";
    let mails = smtp
        .wait_for("the check-ins' openings", |m| {
            of_kind(m, kind, "r@example.com").len() == 1
                && of_kind(m, kind, "m@example.com").len() == 1
        })
        .await;
    let opened = &of_kind(&mails, kind, "r@example.com")[0];
    assert_eq!(
        opened.subject(),
        format!(
            "Your check-in for Q1 check-in is due {}",
            due.format("%A %-d %B %Y")
        )
    );
    assert!(
        opened.text().contains("Manager reviews it with you"),
        "{}",
        opened.text()
    );
    let list = app
        .get("/api/v1/checkins?person=me&open=true", &o.report_token)
        .await
        .expect(200);
    let checkin = ids(&list).pop().expect("the report's check-in");
    app.patch(
        &format!("/api/v1/checkins/{checkin}"),
        &o.report_token,
        &json!({"went_well": "Secret: I am burning out"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/checkins/{checkin}/submit"),
        &o.report_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("the manager's review request", |m| {
            of_kind(m, kind, "m@example.com").len() == 2
        })
        .await;
    let review = &of_kind(&mails, kind, "m@example.com")[1];
    assert_eq!(
        review.subject(),
        "Report submitted their check-in for Q1 check-in"
    );
    assert!(
        !review.text().contains("burning out"),
        "never the text: {}",
        review.text()
    );
    assert!(
        review.text().contains(&format!("/checkins/{checkin}")),
        "{}",
        review.text()
    );
    app.post(
        &format!("/api/v1/checkins/{checkin}/review"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("the report's acknowledgement request", |m| {
            of_kind(m, kind, "r@example.com").len() == 2
        })
        .await;
    assert_eq!(
        of_kind(&mails, kind, "r@example.com")[1].subject(),
        "Manager reviewed your check-in for Q1 check-in"
    );
}

#[tokio::test]
async fn a_survey_invites_everyone_it_asks_and_reminds_only_who_has_not_answered() {
    // While the organisation is set up and one person answers, no email goes out…
    let app = spawn_app().await;
    let o = app.one_on_one_without_invitations().await;
    let now = Utc::now();
    let survey = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &json!({"name": "Autumn eNPS", "population": "everyone", "min_group_size": 3,
                "opens_at": now - chrono::Duration::hours(30),
                "closes_at": now + chrono::Duration::hours(2)}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/enps-surveys/{survey}/answers"),
        &o.manager_token,
        &json!({"score": 9}),
    )
    .await
    .expect(204);
    // …then a replica that mails takes part: the survey opened a day ago and closes within
    // two, so those who have not answered get its opening and its last call.
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let url = smtp.url.clone();
    let _replica = app
        .replica(move |s| {
            s.smtp_url = Some(oneonone_api::config::Secret::new(url));
            s.mail_from = "oneonone <noreply@oneonone.test>".into();
            s.app_url = Some("https://app.oneonone.test".into());
            s.reminder_scan = Duration::from_millis(100);
            s.jobs.poll = Duration::from_millis(50);
        })
        .await;
    let kind = "enps_reminder";
    let mails = smtp
        .wait_for("the report's two emails", |m| {
            of_kind(m, kind, "r@example.com").len() == 2
        })
        .await;
    let got = of_kind(&mails, kind, "r@example.com");
    assert!(
        got[0].subject().starts_with("Autumn eNPS: closes"),
        "{}",
        got[0].subject()
    );
    let text = got[0].text();
    assert!(text.contains("anonymous"), "{text}");
    assert!(
        text.contains(&format!("https://app.oneonone.test/enps-surveys/{survey}")),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = smtp.accepted();
    assert!(
        of_kind(&all, kind, "m@example.com").is_empty(),
        "the manager answered"
    );
    assert_eq!(
        of_kind(&all, kind, "r@example.com").len(),
        2,
        "once per step"
    );
    assert_eq!(
        of_kind(&all, kind, "boss@example.com").len(),
        2,
        "everyone asked who has not answered"
    );
}

#[tokio::test]
async fn a_reminder_queued_ahead_goes_out_when_it_is_due_not_before() {
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let url = smtp.url.clone();
    // The schedule is read every 2 s and queues what comes due in the next 4 s.
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(oneonone_api::config::Secret::new(url));
        s.mail_from = "oneonone <noreply@oneonone.test>".into();
        s.reminder_scan = Duration::from_secs(2);
        s.jobs.poll = Duration::from_millis(50);
    })
    .await;
    let o = app.one_on_one_without_invitations().await;
    for token in [&o.manager_token, &o.report_token] {
        set(&app, token, json!({"reminder_lead_minutes": 1})).await;
    }
    // Due 3.5 s from now: within the next scan's look-ahead, so queued before its time.
    let made = std::time::Instant::now();
    let starts_at = Utc::now() + chrono::Duration::milliseconds(63_500);
    app.post(
        "/api/v1/meetings",
        &o.manager_token,
        &json!({"manager_id": o.manager, "report_id": o.report, "starts_at": starts_at}),
    )
    .await
    .expect(201);
    let mut queued_early = false;
    for _ in 0..30 {
        let queue = app
            .get("/api/v1/job-queue", &app.admin_token)
            .await
            .expect(200);
        let pending = queue.body["channels"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["channel"] == "email"))
            .map_or(0, |c| c["pending"].as_i64().unwrap_or(0));
        if pending == 2 && smtp.accepted().is_empty() {
            queued_early = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        queued_early,
        "the reminders wait in the queue before their time"
    );
    smtp.wait_for("both reminders", |m| m.len() >= 2).await;
    let waited = made.elapsed();
    assert!(
        waited >= Duration::from_millis(3_000),
        "sent when due, not when queued: after {waited:?}"
    );
}

/// Run one statement on the test's database, beside the server (to set a record's past).
#[tokio::test]
async fn a_draft_checkin_in_its_last_days_is_reminded_in_the_morning_once() {
    // Check-ins launched yesterday, due tomorrow: set up while no email goes out (the server
    // without a relay reads past the log: the check-ins' openings are not mailed)…
    let app = spawn_app_with(|s| s.jobs.poll = Duration::from_millis(50)).await;
    let o = app.one_on_one_without_invitations().await;
    let due = launch_checkins(&app, 1).await;
    let yesterday = (Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%dT%H:%M:%S%.6fZ");
    app.exec_sql(&format!("UPDATE checkins SET created_at = '{yesterday}'"))
        .await;
    // The manager submitted theirs already.
    let mine = app
        .get("/api/v1/checkins?person=me&open=true", &o.manager_token)
        .await
        .expect(200);
    let mine = ids(&mine).pop().expect("the manager's check-in");
    app.post(
        &format!("/api/v1/checkins/{mine}/submit"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // …then a replica that mails, whose mornings start at midnight (UTC: nobody chose a zone).
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let url = smtp.url.clone();
    let _replica = app
        .replica(move |s| {
            s.smtp_url = Some(oneonone_api::config::Secret::new(url));
            s.mail_from = "oneonone <noreply@oneonone.test>".into();
            s.reminder_scan = Duration::from_millis(100);
            s.jobs.poll = Duration::from_millis(50);
            s.jobs.digest.hour = 0;
        })
        .await;
    let kind = "checkin_reminder";
    let mails = smtp
        .wait_for("the report's reminder", |m| {
            !of_kind(m, kind, "r@example.com").is_empty()
        })
        .await;
    assert_eq!(
        of_kind(&mails, kind, "r@example.com")[0].subject(),
        format!(
            "Your check-in for Q1 check-in is due {}",
            due.format("%A %-d %B %Y")
        )
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let all = smtp.accepted();
    assert_eq!(of_kind(&all, kind, "r@example.com").len(), 1, "once a day");
    assert!(
        of_kind(&all, kind, "m@example.com").is_empty(),
        "a submitted check-in is not reminded"
    );
}
