//! Calendars: a person's secret feed and one meeting's `.ics`, read back with a real iCalendar
//! parser (the `icalendar` crate) and expanded with a real recurrence engine (`rrule`, through
//! it), the way a calendar app shows them: across a daylight-saving change, a reschedule, a skip.

use std::collections::BTreeSet;

use chrono::{DateTime, TimeZone, Utc};
use icalendar::{Calendar, CalendarComponent, Component, DatePerhapsTime, Event, EventLike};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

/// A Monday 10:00 Berlin series from 18 March 2030 (clocks go forward on 31 March).
fn berlin() -> Value {
    json!({"cadence": {"frequency": "weekly", "weekday": "monday"},
        "local_time": "10:00", "time_zone": "Europe/Berlin", "start_date": "2030-03-18"})
}

/// Make a feed address for `token`'s person; its path on this server.
async fn feed_path(app: &TestApp, token: &str) -> String {
    let made = app
        .post("/api/v1/me/calendar-feed", token, &json!({}))
        .await
        .expect(201);
    let url = made.body["url"].as_str().expect("url").to_owned();
    assert_eq!(
        made.body["webcal_url"].as_str(),
        Some(url.replacen("http://", "webcal://", 1).as_str())
    );
    let at = url.find("/api/v1/").expect("an API path");
    url[at..].to_owned()
}

/// Read a feed without signing in.
async fn read_feed(app: &TestApp, path: &str) -> Reply {
    app.send(app.request(Method::GET, path, None)).await
}

fn parse(text: &str) -> Calendar {
    match text.parse::<Calendar>() {
        Ok(c) => c,
        Err(e) => panic!("not iCalendar ({e}):\n{text}"),
    }
}

fn events(cal: &Calendar) -> Vec<Event> {
    cal.components
        .iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn instant(d: Option<DatePerhapsTime>) -> DateTime<Utc> {
    use icalendar::CalendarDateTime;
    match d {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(t))) => t,
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone { date_time, tzid })) => {
            let tz: chrono_tz::Tz = tzid.parse().expect("an IANA zone");
            tz.from_local_datetime(&date_time)
                .earliest()
                .expect("a local time that exists")
                .with_timezone(&Utc)
        }
        other => panic!("a date-time, not {other:?}"),
    }
}

/// Every occurrence the calendar holds between `from` and `to`, as a calendar app lists them:
/// rules expanded (without their EXDATEs), overrides in place of the slots they replace,
/// cancelled ones left out.
fn occurrences(cal: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeSet<DateTime<Utc>> {
    let all = events(cal);
    let mut out = BTreeSet::new();
    for e in all.iter().filter(|e| e.get_recurrence_id().is_none()) {
        if e.property_value("RRULE").is_some() {
            let set = e.get_recurrence().expect("a rule the engine reads");
            let tz = icalendar::rrule::Tz::UTC;
            let found = set
                .after(tz.from_utc_datetime(&from.naive_utc()))
                .before(tz.from_utc_datetime(&to.naive_utc()))
                .all(500);
            out.extend(found.dates.iter().map(|d| d.with_timezone(&Utc)));
        } else if e.get_status() != Some(icalendar::EventStatus::Cancelled) {
            let at = instant(e.get_start());
            if at >= from && at < to {
                out.insert(at);
            }
        }
    }
    for o in all.iter().filter(|e| e.get_recurrence_id().is_some()) {
        out.remove(&instant(o.get_recurrence_id()));
        let at = instant(o.get_start());
        if o.get_status() != Some(icalendar::EventStatus::Cancelled) && at >= from && at < to {
            out.insert(at);
        }
    }
    out
}

/// A private talking point of the manager's and a shared one of the report's: content that
/// must never reach a calendar.
async fn add_content(app: &TestApp, o: &OneOnOne, meeting: &str) {
    let agenda = format!("/api/v1/meetings/{meeting}/agenda-items");
    for (token, body) in [
        (
            &o.manager_token,
            json!({"title": "Private worry of the manager", "private": true}),
        ),
        (&o.report_token, json!({"title": "Shared point about pay"})),
    ] {
        app.post(&agenda, token, &body).await.expect(201);
    }
}

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("an RFC 3339 time")
}

/// What the API says the person's calendar should hold: their meetings in the window that
/// were not skipped or cancelled.
async fn meetings_in(app: &TestApp, token: &str, from: &str, to: &str) -> BTreeSet<DateTime<Utc>> {
    let list = app
        .get(
            &format!("/api/v1/meetings?participant=me&from={from}&to={to}&limit=200"),
            token,
        )
        .await
        .expect(200);
    list.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|m| m["status"] == "scheduled" || m["status"] == "completed")
        .map(|m| utc(m["starts_at"].as_str().expect("starts_at")))
        .collect()
}

#[tokio::test]
async fn a_feed_expands_to_the_meetings_across_dst_a_reschedule_and_a_skip() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    // 25 March is skipped; 1 April moves to Tuesday 2 April, 15:00 Berlin, for 45 minutes.
    app.post(
        &format!("/api/v1/meetings/{}/skip", o.meetings[1]),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.send_after_read(
        Method::PATCH,
        &format!("/api/v1/meetings/{}", o.meetings[2]),
        &format!("/api/v1/meetings/{}", o.meetings[2]),
        &o.manager_token,
        json!({"starts_at": "2030-04-02T13:00:00Z", "duration_minutes": 45}),
    )
    .await
    .expect(200);
    // Content that must never reach a calendar.
    add_content(&app, &o, &o.meetings[3]).await;

    let (from, to) = ("2030-03-01T00:00:00Z", "2030-05-20T00:00:00Z");
    for token in [&o.report_token, &o.manager_token] {
        let path = feed_path(&app, token).await;
        let reply = read_feed(&app, &path).await.expect(200);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|c| c.starts_with("text/calendar")),
            "{:?}",
            reply.header("content-type")
        );
        let text = reply.text.clone();
        assert!(
            !text.contains("Private worry") && !text.contains("about pay"),
            "{text}"
        );
        let cal = parse(&text);
        let expanded = occurrences(&cal, utc(from), utc(to));
        let expected = meetings_in(&app, token, from, to).await;
        assert_eq!(
            expanded, expected,
            "the feed as a calendar app expands it:\n{text}"
        );
        // Eight meetings exist; the rule goes on past them, at 10:00 Berlin = 08:00 UTC in summer.
        assert!(
            expanded.contains(&utc("2030-05-13T08:00:00Z")),
            "{expanded:?}"
        );
        // Before the change 10:00 Berlin is 09:00 UTC, after it 08:00; the move and the skip.
        assert!(expanded.contains(&utc("2030-03-18T09:00:00Z")));
        assert!(expanded.contains(&utc("2030-04-08T08:00:00Z")));
        assert!(expanded.contains(&utc("2030-04-02T13:00:00Z")));
        assert!(!expanded.contains(&utc("2030-03-25T09:00:00Z")));
        assert!(!expanded.contains(&utc("2030-04-01T08:00:00Z")));

        // One rule in the series' zone with its VTIMEZONE, and the moved meeting's override.
        let all = events(&cal);
        let uid = format!("series-{}@oneonone", o.series);
        let master: Vec<_> = all
            .iter()
            .filter(|e| e.get_uid() == Some(uid.as_str()) && e.get_recurrence_id().is_none())
            .collect();
        assert_eq!(master.len(), 1, "{text}");
        assert!(
            text.contains("DTSTART;TZID=Europe/Berlin:20300318T100000"),
            "{text}"
        );
        assert!(
            text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"),
            "{text}"
        );
        assert!(
            text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20300331T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200"),
            "{text}"
        );
        let moved: Vec<_> = all
            .iter()
            .filter(|e| e.get_recurrence_id().is_some())
            .collect();
        assert_eq!(moved.len(), 1, "{text}");
        assert_eq!(moved[0].get_uid(), Some(uid.as_str()));
        assert_eq!(
            instant(moved[0].get_recurrence_id()),
            utc("2030-04-01T08:00:00Z")
        );
        assert_eq!(instant(moved[0].get_end()), utc("2030-04-02T13:45:00Z"));
        assert!(
            moved[0].get_sequence().unwrap_or(0) >= 1,
            "a moved meeting's sequence grew"
        );
        assert!(
            moved[0]
                .get_description()
                .is_some_and(|d| d.contains(&format!("/meetings/{}", o.meetings[2]))),
            "the agenda link"
        );
    }
    // The report's feed names the manager, and the other way round.
    let report_feed = read_feed(&app, &feed_path(&app, &o.report_token).await)
        .await
        .expect(200);
    assert!(
        report_feed.text.contains("SUMMARY:1:1 with Manager"),
        "{}",
        report_feed.text
    );
}

#[tokio::test]
async fn a_changed_series_keeps_its_uid_and_raises_its_sequence() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    let path = feed_path(&app, &o.report_token).await;
    let sequence = |text: &str| {
        let cal = parse(text);
        let uid = format!("series-{}@oneonone", o.series);
        events(&cal)
            .iter()
            .find(|e| e.get_uid() == Some(uid.as_str()) && e.get_recurrence_id().is_none())
            .and_then(|e| e.get_sequence())
            .expect("the series with a sequence")
    };
    let before = sequence(&read_feed(&app, &path).await.expect(200).text);
    // From 15 April on, Thursdays at 16:00.
    app.send_after_read(
        Method::POST,
        &format!("/api/v1/meeting-series/{}", o.series),
        &format!("/api/v1/meeting-series/{}/reschedule", o.series),
        &o.manager_token,
        json!({"cadence": {"frequency": "weekly", "weekday": "thursday"},
            "local_time": "16:00", "time_zone": "Europe/Berlin", "from": "2030-04-15"}),
    )
    .await
    .expect(200);
    let text = read_feed(&app, &path).await.expect(200).text;
    assert!(sequence(&text) > before, "{text}");
    let cal = parse(&text);
    // The eight meetings that exist: four before the change, four after it (the meetings before
    // the change become events of their own).
    let (from, to) = ("2030-03-01T00:00:00Z", "2030-05-10T00:00:00Z");
    assert_eq!(
        occurrences(&cal, utc(from), utc(to)),
        meetings_in(&app, &o.report_token, from, to).await,
        "{text}"
    );
    assert!(
        occurrences(&cal, utc(from), utc("2030-06-01T00:00:00Z"))
            .contains(&utc("2030-05-30T14:00:00Z")),
        "the new rule goes on: {text}"
    );

    // Paused: the meetings held or prepared stay, nothing comes after them until it resumes.
    app.send_after_read(
        Method::PATCH,
        &format!("/api/v1/meeting-series/{}", o.series),
        &format!("/api/v1/meeting-series/{}", o.series),
        &o.manager_token,
        json!({"paused": true}),
    )
    .await
    .expect(200);
    let text = read_feed(&app, &path).await.expect(200).text;
    let (from, to) = ("2030-01-01T00:00:00Z", "2031-06-01T00:00:00Z");
    assert_eq!(
        occurrences(&parse(&text), utc(from), utc(to)),
        meetings_in(&app, &o.report_token, from, to).await,
        "{text}"
    );
}

#[tokio::test]
async fn feed_addresses_are_secret_rotatable_and_revocable() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    let status = app
        .get("/api/v1/me/calendar-feed", &o.report_token)
        .await
        .expect(200);
    assert_eq!(status.body["active"], false);

    let first = feed_path(&app, &o.report_token).await;
    read_feed(&app, &first).await.expect(200);
    let status = app
        .get("/api/v1/me/calendar-feed", &o.report_token)
        .await
        .expect(200);
    assert_eq!(status.body["active"], true);
    assert!(status.body["last_read_at"].is_string(), "{}", status.body);
    assert!(
        !status.body.to_string().contains("ocf_"),
        "the secret is shown once"
    );

    // Rotating: the old address stops working at once.
    let second = feed_path(&app, &o.report_token).await;
    assert_ne!(first, second);
    read_feed(&app, &first)
        .await
        .expect_problem(404, "not_found");
    read_feed(&app, &second).await.expect(200);
    // Forged or malformed addresses.
    read_feed(&app, "/api/v1/calendar-feeds/ocf_forged.ics")
        .await
        .expect_problem(404, "not_found");
    read_feed(&app, "/api/v1/calendar-feeds/nope.ics")
        .await
        .expect_problem(404, "not_found");
    // Revoking.
    app.delete("/api/v1/me/calendar-feed", &o.report_token)
        .await
        .expect(204);
    read_feed(&app, &second)
        .await
        .expect_problem(404, "not_found");
    let status = app
        .get("/api/v1/me/calendar-feed", &o.report_token)
        .await
        .expect(200);
    assert_eq!(status.body["active"], false);

    // A feed belongs to a person: a token cannot make one; nobody without sign-in can.
    let (_, token) = app.api_token(&["meetings:read"]).await;
    app.post("/api/v1/me/calendar-feed", &token, &json!({}))
        .await
        .expect_problem(403, "forbidden");
    app.send(app.request(Method::POST, "/api/v1/me/calendar-feed", None))
        .await
        .expect(401);

    // A deactivated person's feed goes dark.
    let third = feed_path(&app, &o.report_token).await;
    read_feed(&app, &third).await.expect(200);
    let (_, hr) = app
        .signed_in(&json!({"email": "hr2@example.com", "display_name": "HR", "hr_admin": true}))
        .await;
    app.send_after_read(
        Method::PATCH,
        &format!("/api/v1/people/{}", o.report),
        &format!("/api/v1/people/{}", o.report),
        &hr,
        json!({"active": false}),
    )
    .await
    .expect(200);
    read_feed(&app, &third)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test]
async fn one_meeting_as_ics_for_whoever_may_read_it() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    let path = format!("/api/v1/meetings/{}/calendar.ics", o.meetings[0]);
    let reply = app.get(&path, &o.report_token).await.expect(200);
    let cal = parse(&reply.text);
    let all = events(&cal);
    assert_eq!(all.len(), 1, "{}", reply.text);
    assert_eq!(instant(all[0].get_start()), utc("2030-03-18T09:00:00Z"));
    assert_eq!(instant(all[0].get_end()), utc("2030-03-18T09:30:00Z"));
    assert_eq!(
        all[0].get_uid(),
        Some(format!("meeting-{}@oneonone", o.meetings[0]).as_str())
    );
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    assert_eq!(all[0].get_summary(), Some("1:1 with Manager"));
    // HR reads it too (metadata): both names.
    let hr = app.get(&path, &app.admin_token).await.expect(200);
    assert_eq!(
        events(&parse(&hr.text))[0].get_summary(),
        Some("1:1 with Manager and Report")
    );
    // Someone outside the pair does not learn the meeting exists; no sign-in, no calendar.
    let (_, stranger) = app
        .signed_in(&json!({"email": "stranger@example.com", "display_name": "Stranger"}))
        .await;
    app.get(&path, &stranger)
        .await
        .expect_problem(404, "not_found");
    app.send(app.request(Method::GET, &path, None))
        .await
        .expect(401);
}

#[tokio::test]
async fn a_handed_over_series_shows_each_manager_the_meetings_they_held() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    app.post(
        &format!("/api/v1/meetings/{}/complete", o.meetings[0]),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let (new_manager, new_token) = app
        .person_with_login("n@example.com", "New manager", None)
        .await;
    app.send_after_read(
        Method::PATCH,
        &format!("/api/v1/people/{}", o.report),
        &format!("/api/v1/people/{}", o.report),
        &app.admin_token,
        json!({"manager_id": new_manager}),
    )
    .await
    .expect(200);

    let (from, to) = ("2030-03-01T00:00:00Z", "2030-05-10T00:00:00Z");
    for (token, who) in [
        (&o.manager_token, "the old manager: the meeting they held"),
        (&new_token, "the new manager: the meetings from now on"),
        (&o.report_token, "the report: all of them"),
    ] {
        let text = read_feed(&app, &feed_path(&app, token).await)
            .await
            .expect(200)
            .text;
        let expanded = occurrences(&parse(&text), utc(from), utc(to));
        assert_eq!(
            expanded,
            meetings_in(&app, token, from, to).await,
            "{who}:\n{text}"
        );
        assert!(!expanded.is_empty(), "{who}");
    }
}

/// A server that mails through `smtp` and sends its jobs at once.
async fn mailing_app(smtp: &oneonone_tests::smtp::SmtpReceiver) -> TestApp {
    let url = smtp.url.clone();
    spawn_app_with(move |s| {
        s.smtp_url = Some(oneonone_api::config::Secret::new(url));
        s.mail_from = "oneonone <noreply@oneonone.test>".into();
        s.app_url = Some("https://app.oneonone.test".into());
        s.jobs.poll = std::time::Duration::from_millis(50);
    })
    .await
}

/// The invitations `address` received, in order: (subject, METHOD, the calendar).
fn invitations(
    mails: &[oneonone_tests::smtp::Mail],
    address: &str,
) -> Vec<(String, String, Calendar)> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .filter(|m| m.header("X-Oneonone-Kind").as_deref() == Some("meeting_invitation"))
        .map(|m| {
            let parts = m.parts_of_type("text/calendar");
            let (text, method) = parts.first().cloned().expect("a text/calendar part");
            let cal = parse(&text);
            let method = method.expect("the part's method parameter");
            assert_eq!(cal.property_value("METHOD"), Some(method.as_str()));
            assert!(
                !text.contains("Private worry") && !text.contains("about pay"),
                "{text}"
            );
            assert!(!m.text().contains("Private worry"), "{}", m.text());
            (m.subject(), method, cal)
        })
        .collect()
}

#[tokio::test]
async fn scheduling_emails_carry_itip_invitations_calendar_apps_apply() {
    use oneonone_tests::smtp::{SmtpMode, SmtpReceiver};
    let smtp = SmtpReceiver::start(SmtpMode::Accept);
    let app = mailing_app(&smtp).await;
    let o = app.one_on_one_with(berlin()).await;
    let count = |n: usize| move |m: &[oneonone_tests::smtp::Mail]| m.len() >= n;
    // The series: one invitation each (not one per meeting prepared ahead).
    let mails = smtp.wait_for("the series' invitations", count(2)).await;
    for (address, other) in [("m@example.com", "Report"), ("r@example.com", "Manager")] {
        let got = invitations(&mails, address);
        assert_eq!(got.len(), 1, "{address}");
        let (subject, method, cal) = &got[0];
        assert_eq!(method, "REQUEST");
        assert_eq!(
            subject,
            &format!("Invitation: 1:1 with {other} (weekly on Monday at 10:00 (Europe/Berlin))")
        );
        let all = events(cal);
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].get_uid(),
            Some(format!("series-{}@oneonone", o.series).as_str())
        );
        assert_eq!(
            all[0].property_value("ORGANIZER"),
            Some("mailto:noreply@oneonone.test")
        );
        let expanded = occurrences(
            cal,
            utc("2030-03-01T00:00:00Z"),
            utc("2030-04-10T00:00:00Z"),
        );
        assert_eq!(
            expanded.into_iter().collect::<Vec<_>>(),
            [
                "2030-03-18T09:00:00Z",
                "2030-03-25T09:00:00Z",
                "2030-04-01T08:00:00Z",
                "2030-04-08T08:00:00Z"
            ]
            .map(utc)
            .to_vec()
        );
    }
    // Private and shared content exists, and never reaches an invitation.
    add_content(&app, &o, &o.meetings[1]).await;

    // Skipping one occurrence cancels that occurrence only.
    app.post(
        &format!("/api/v1/meetings/{}/skip", o.meetings[1]),
        &o.report_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp.wait_for("the cancellations", count(4)).await;
    let mut master_sequence = 0;
    for address in ["m@example.com", "r@example.com"] {
        let got = invitations(&mails, address);
        assert_eq!(got.len(), 2, "{address}");
        master_sequence = events(&got[0].2)[0].get_sequence().unwrap_or(0);
        let (subject, method, cal) = &got[1];
        assert_eq!(method, "CANCEL");
        assert!(subject.starts_with("Cancelled: 1:1 with"), "{subject}");
        assert!(
            subject.contains("Monday 25 March 2030, 10:00 CET"),
            "{subject}"
        );
        let all = events(cal);
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].get_uid(),
            Some(format!("series-{}@oneonone", o.series).as_str())
        );
        assert_eq!(
            instant(all[0].get_recurrence_id()),
            utc("2030-03-25T09:00:00Z")
        );
        assert!(all[0].get_sequence().unwrap_or(0) > master_sequence);
    }
    // Moving one occurrence updates that occurrence only.
    app.send_after_read(
        Method::PATCH,
        &format!("/api/v1/meetings/{}", o.meetings[2]),
        &format!("/api/v1/meetings/{}", o.meetings[2]),
        &o.manager_token,
        json!({"starts_at": "2030-04-02T13:00:00Z"}),
    )
    .await
    .expect(200);
    let mails = smtp.wait_for("the updates", count(6)).await;
    for address in ["m@example.com", "r@example.com"] {
        let got = invitations(&mails, address);
        assert_eq!(got.len(), 3, "{address}");
        let (_, method, cal) = &got[2];
        assert_eq!(method, "REQUEST");
        let all = events(cal);
        assert_eq!(
            instant(all[0].get_recurrence_id()),
            utc("2030-04-01T08:00:00Z")
        );
        assert_eq!(instant(all[0].get_start()), utc("2030-04-02T13:00:00Z"));
        assert!(all[0].get_sequence().unwrap_or(0) > master_sequence);
    }

    // A one-off: invited, then cancelled, with its own UID.
    let one_off = app
        .post(
            "/api/v1/meetings",
            &o.report_token,
            &json!({"manager_id": o.manager, "report_id": o.report, "starts_at": "2030-06-03T12:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    smtp.wait_for("the one-off's invitations", count(8)).await;
    app.post(
        &format!("/api/v1/meetings/{one_off}/cancel"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("the one-off's cancellations", count(10))
        .await;
    for address in ["m@example.com", "r@example.com"] {
        let got = invitations(&mails, address);
        assert_eq!(got.len(), 5, "{address}");
        let uid = format!("meeting-{one_off}@oneonone");
        let methods: Vec<&str> = got[3..].iter().map(|(_, m, _)| m.as_str()).collect();
        assert_eq!(methods, ["REQUEST", "CANCEL"]);
        for (_, _, cal) in &got[3..] {
            assert_eq!(events(cal)[0].get_uid(), Some(uid.as_str()));
        }
        assert_eq!(
            instant(events(&got[3].2)[0].get_start()),
            utc("2030-06-03T12:00:00Z")
        );
    }

    // Turned off: no more invitations for that person.
    app.patch(
        "/api/v1/me/notification-settings",
        &o.report_token,
        &json!({"email": {"meeting_invitation": false}}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/meetings/{}/skip", o.meetings[3]),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let mails = smtp
        .wait_for("the manager's cancellation", |m| {
            invitations(m, "m@example.com").len() == 6
        })
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        invitations(&smtp.accepted(), "r@example.com").len(),
        5,
        "{}",
        mails.len()
    );
}

#[tokio::test]
async fn monthly_rules_expand_to_the_meetings_a_recurrence_engine_agrees_with() {
    let app = spawn_app().await;
    // Day 31 falls back to the month's last day (30 April, 28 February…); the last Friday;
    // every other Tuesday in New York across its daylight-saving change.
    for (cadence, zone, start) in [
        (
            json!({"frequency": "monthly_day", "day_of_month": 31}),
            "Europe/Berlin",
            "2030-01-01",
        ),
        (
            json!({"frequency": "monthly_weekday", "nth": -1, "weekday": "friday"}),
            "Asia/Tokyo",
            "2030-01-01",
        ),
        (
            json!({"frequency": "weekly", "interval_weeks": 2, "weekday": "tuesday"}),
            "America/New_York",
            "2030-02-05",
        ),
    ] {
        let o = app
            .one_on_one_made_fresh(json!({"cadence": cadence, "local_time": "09:15",
                "time_zone": zone, "start_date": start}))
            .await;
        let text = read_feed(&app, &feed_path(&app, &o.report_token).await)
            .await
            .expect(200)
            .text;
        // The eight meetings prepared ahead, as the engine expands the rule over them.
        let (from, to) = ("2029-12-01T00:00:00Z", "2030-09-01T00:00:00Z");
        let expected = meetings_in(&app, &o.report_token, from, to).await;
        assert_eq!(expected.len(), 8, "{cadence}");
        let last = *expected.iter().next_back().expect("a last meeting");
        let expanded: BTreeSet<_> = occurrences(&parse(&text), utc(from), utc(to))
            .into_iter()
            .filter(|t| *t <= last)
            .collect();
        assert_eq!(expanded, expected, "{cadence} in {zone}:\n{text}");
    }
}

#[tokio::test]
async fn a_private_talking_point_leaves_the_other_persons_feed_byte_for_byte_unchanged() {
    let app = spawn_app().await;
    let o = app.one_on_one_with(berlin()).await;
    let path = feed_path(&app, &o.report_token).await;
    let before = read_feed(&app, &path).await.expect(200).text;
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", o.meetings[1]),
        &o.manager_token,
        &json!({"title": "Private worry of the manager", "private": true}),
    )
    .await
    .expect(201);
    let after = read_feed(&app, &path).await.expect(200).text;
    // No count, version, sequence or timestamp moves: the report cannot tell it exists.
    assert_eq!(before, after);
}
