//! The attention list: each early warning with its reason and ids, a manager's own and HR's by
//! slice; private talking points never named, team clarity only as a group's figure.

use chrono::{Datelike, Duration, SecondsFormat, TimeZone, Utc};
use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// The whole list `token` reads with `query`, page by page (`limit` per page).
async fn attention(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/attention?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&path, token).await.expect(200).body;
        out.extend(page["data"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert!(out.len() < 10_000, "the pages never end: {path}");
                cursor = Some(c.to_owned());
            }
            None => return out,
        }
    }
}

fn of<'a>(list: &'a [Value], reason: &str) -> Vec<&'a Value> {
    list.iter().filter(|e| e["reason"] == reason).collect()
}

fn at(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A held one-off 1:1 of `manager` and `report` at `when`.
async fn held(
    app: &TestApp,
    manager: Uuid,
    manager_token: &str,
    report: Uuid,
    when: chrono::DateTime<Utc>,
) -> String {
    let meeting = app
        .post(
            "/api/v1/meetings",
            manager_token,
            &json!({"manager_id": manager, "report_id": report, "starts_at": at(when),
                "kind": "manager_report"}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/meetings/{meeting}/complete"),
        manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    meeting.to_string()
}

#[tokio::test]
async fn a_manager_sees_why_each_pair_needs_attention_and_never_a_private_point() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (other, _) = app
        .person_with_login("newcomer@example.com", "Newcomer", Some(o.manager))
        .await;
    let now = Utc::now();

    // Nothing held yet: both reports never met (the first has a series, the second none); the
    // series starts in 2030, so it is not behind.
    let list = attention(&app, &o.manager_token, "", 50).await;
    let never = of(&list, "never_met");
    assert_eq!(never.len(), 2, "{list:?}");
    let first = never
        .iter()
        .find(|e| e["person_id"] == o.report.to_string())
        .expect("the report");
    assert_eq!(first["series_id"], o.series.to_string());
    assert_eq!(first["manager_id"], o.manager.to_string());
    let second = never
        .iter()
        .find(|e| e["person_id"] == other.to_string())
        .expect("the newcomer");
    assert_eq!(second["series_id"], Value::Null);
    assert!(
        second["why"].as_str().unwrap().contains("no recurring 1:1"),
        "{second}"
    );
    assert!(of(&list, "overdue_one_on_one").is_empty(), "{list:?}");

    // The series began 60 days ago and the pair last met 20 days ago: more than twice a week.
    let series = app.sql_uuid(o.series);
    app.exec_sql(&format!(
        "UPDATE meeting_series SET start_date = '{}', created_at = {} WHERE id = {series}",
        (now - Duration::days(60)).date_naive(),
        app.sql_time(now - Duration::days(60))
    ))
    .await;
    // The series now falls behind sooner than the server knows: until it recomputes, the list
    // goes by what it kept.
    let list = attention(&app, &o.manager_token, "", 50).await;
    assert!(of(&list, "overdue_one_on_one").is_empty(), "{list:?}");
    app.db.refresh_all_series_due().await.expect("recompute");
    let list = attention(&app, &o.manager_token, "", 50).await;
    let late = of(&list, "overdue_one_on_one");
    assert_eq!(late.len(), 1, "{list:?}");
    assert_eq!(late[0]["series_id"], o.series.to_string());
    assert_eq!(late[0]["days_since"], 60);
    assert_eq!(late[0]["cadence_days"], 7);
    assert_eq!(late[0]["last_held_at"], Value::Null);
    let last = held(
        &app,
        o.manager,
        &o.manager_token,
        o.report,
        now - Duration::days(20),
    )
    .await;
    let list = attention(&app, &o.manager_token, "", 50).await;
    let late = of(&list, "overdue_one_on_one");
    assert_eq!(late[0]["days_since"], 20, "{list:?}");
    assert!(late[0]["last_held_at"].is_string());
    assert_eq!(
        of(&list, "never_met").len(),
        1,
        "only the newcomer: {list:?}"
    );

    // An action item past due; a shared and a private talking point carried over and over.
    let item = app
        .post(
            &format!("/api/v1/meetings/{last}/action-items"),
            &o.manager_token,
            &json!({"title": "Send the plan", "assignee_id": o.report,
                "due_date": (now - Duration::days(3)).date_naive()}),
        )
        .await
        .expect(201)
        .id();
    let next = o.meetings[0].clone();
    let shared = app
        .post(
            &format!("/api/v1/meetings/{next}/agenda-items"),
            &o.report_token,
            &json!({"title": "My promotion case", "private": false}),
        )
        .await
        .expect(201)
        .id();
    let private = app
        .post(
            &format!("/api/v1/meetings/{next}/agenda-items"),
            &o.report_token,
            &json!({"title": "Should I look elsewhere?", "private": true}),
        )
        .await
        .expect(201)
        .id();
    app.exec_sql(&format!(
        "UPDATE agenda_items SET times_carried = 4 WHERE id IN ({}, {})",
        app.sql_uuid(shared),
        app.sql_uuid(private)
    ))
    .await;

    // A goal at risk, never discussed.
    let goal = app
        .post(
            "/api/v1/goals",
            &o.report_token,
            &json!({"title": "Ship the importer", "kind": "smart", "start_date": "2026-01-01",
                "due_date": "2027-03-31", "key_results": [{"title": "Customers on it",
                "measure": "numeric", "start": 0, "target": 10, "unit": "customers"}]}),
        )
        .await
        .expect(201);
    let kr = goal.body["key_results"][0]["id"].clone();
    let goal = goal.id();
    app.post(
        &format!("/api/v1/goals/{goal}/updates"),
        &o.report_token,
        &json!({"readings": [{"key_result_id": kr, "value": 1}], "status": "at_risk"}),
    )
    .await
    .expect(201);

    let list = attention(&app, &o.manager_token, "", 50).await;
    let overdue = of(&list, "overdue_action_item");
    assert_eq!(overdue.len(), 1, "{list:?}");
    assert_eq!(overdue[0]["action_item_id"], item.to_string());
    assert_eq!(overdue[0]["assignee_id"], o.report.to_string());
    assert_eq!(overdue[0]["meeting_id"], last);
    let carried = of(&list, "carried_over");
    assert_eq!(carried.len(), 1, "the shared point only: {list:?}");
    assert_eq!(carried[0]["agenda_item_id"], shared.to_string());
    assert_eq!(carried[0]["times_carried"], 4);
    let goals = of(&list, "goal_not_discussed");
    assert_eq!(goals.len(), 1, "{list:?}");
    assert_eq!(goals[0]["goal_id"], goal.to_string());
    assert_eq!(goals[0]["goal_status"], "at_risk");
    assert_eq!(goals[0]["meeting_id"], last, "the pair's last held 1:1");

    // No entry anyone reads names the private point, nor tells its text: not the manager's,
    // not HR's, not the report's own (they lead no 1:1).
    let hr = attention(&app, &app.admin_token, "", 50).await;
    let mine = attention(&app, &o.report_token, "", 50).await;
    assert!(mine.is_empty(), "{mine:?}");
    for list in [&list, &hr] {
        let text = serde_json::to_string(list).unwrap();
        assert!(!text.contains(&private.to_string()), "{text}");
        assert!(
            !text.contains("elsewhere") && !text.contains("promotion"),
            "{text}"
        );
    }
    // HR's list holds the manager's entries (and the demo-free server has no others).
    for e in &list {
        assert!(hr.contains(e), "{e} missing from HR's list");
    }

    // Discussed in a later held 1:1 (a shared point about the goal, checked off): the goal
    // leaves the list.
    let meeting = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": o.report,
                "starts_at": at(now - Duration::days(1)), "kind": "manager_report"}),
        )
        .await
        .expect(201)
        .id();
    let point = app
        .post(
            &format!("/api/v1/meetings/{meeting}/agenda-items"),
            &o.report_token,
            &json!({"title": "The importer", "goal_id": goal}),
        )
        .await
        .expect(201)
        .id();
    app.patch(
        &format!("/api/v1/meetings/{meeting}/agenda-items/{point}"),
        &o.report_token,
        &json!({"checked": true}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/meetings/{meeting}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let list = attention(&app, &o.manager_token, "", 50).await;
    assert!(of(&list, "goal_not_discussed").is_empty(), "{list:?}");
    assert!(
        of(&list, "overdue_one_on_one").is_empty(),
        "met a day ago: {list:?}"
    );

    // Paging one entry at a time walks the same list in the same order; a reason filters.
    let whole = attention(&app, &o.manager_token, "", 50).await;
    assert!(whole.len() >= 3, "{whole:?}");
    assert_eq!(attention(&app, &o.manager_token, "", 1).await, whole);
    let only = attention(&app, &o.manager_token, "&reason=carried_over", 50).await;
    assert_eq!(only.len(), 1);
    assert!(only.iter().all(|e| e["reason"] == "carried_over"));

    // A deactivated report leaves the list.
    app.patch(
        &format!("/api/v1/people/{other}"),
        &app.admin_token,
        &json!({"active": false}),
    )
    .await
    .expect(200);
    let list = attention(&app, &o.manager_token, "", 50).await;
    assert!(
        !list.iter().any(|e| e["person_id"] == other.to_string()),
        "{list:?}"
    );
}

/// The first days of the two latest closed months (ratings close 14 days after a meeting).
fn closed_months() -> (chrono::NaiveDate, chrono::NaiveDate) {
    let settled = (Utc::now() - Duration::days(14)).date_naive();
    let open = settled.with_day(1).unwrap();
    let later = open.checked_sub_months(chrono::Months::new(1)).unwrap();
    let earlier = later.checked_sub_months(chrono::Months::new(1)).unwrap();
    (earlier, later)
}

#[tokio::test]
async fn falling_clarity_is_named_only_for_groups_no_subtraction_breaks_down() {
    let app = spawn_app().await;
    let (lead, lead_token) = app
        .person_with_login("lead@example.com", "Lead", None)
        .await;
    let (sub, sub_token) = app
        .person_with_login("sub@example.com", "Sub-lead", Some(lead))
        .await;
    // Five report to the lead, four to the sub-lead (who reports to the lead).
    let mut team = Vec::new();
    for i in 0..5 {
        team.push(
            app.person_with_login(&format!("t{i}@example.com"), "Member", Some(lead))
                .await,
        );
    }
    let mut small = Vec::new();
    for i in 0..4 {
        small.push(
            app.person_with_login(&format!("u{i}@example.com"), "Member", Some(sub))
                .await,
        );
    }
    let (earlier, later) = closed_months();
    let on = |d: chrono::NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap());
    let rate = |meeting: String, person: Uuid, clear: i32, when| {
        format!(
            "INSERT INTO meeting_ratings (meeting_id, person_id, useful, expectations_clear, \
             created_at, updated_at) VALUES ({m}, {p}, 4, {clear}, {t}, {t})",
            m = app.sql_uuid(meeting.parse().unwrap()),
            p = app.sql_uuid(person),
            t = app.sql_time(when)
        )
    };
    // Every member rated their 1:1 of each closed month. The lead's five: 5 → 4 (one 4 → 3);
    // the sub-lead's four: 5 → 1, a fall their group alone may never show.
    let members = team
        .iter()
        .map(|(m, _)| (lead, lead_token.as_str(), *m))
        .chain(small.iter().map(|(m, _)| (sub, sub_token.as_str(), *m)));
    for (i, (manager, token, member)) in members.enumerate() {
        let (before, after) = match i {
            0 => (4, 3),
            1..=4 => (5, 4),
            _ => (5, 1),
        };
        for (month, score) in [(earlier, before), (later, after)] {
            let when = on(month + Duration::days(9));
            let meeting = held(&app, manager, token, member, when).await;
            app.exec_sql(&rate(meeting, member, score, when)).await;
        }
    }
    // The sub-lead's four go up into the lead's cell: everyone below the lead (nine) is shown,
    // everyone below the sub-lead (four: the lead's group minus the lead's five) never is.
    for token in [&lead_token, &app.admin_token] {
        let list = attention(&app, token, "&reason=clarity_falling", 50).await;
        assert_eq!(list.len(), 1, "{list:?}");
        let c = &list[0]["clarity"];
        assert_eq!(list[0]["manager_id"], lead.to_string());
        assert_eq!(list[0]["person_id"], Value::Null);
        assert_eq!(c["month"], later.to_string());
        assert_eq!(c["previous_month"], earlier.to_string());
        // (3 + 4·4 + 4·1) / 9 and (4 + 4·5 + 4·5) / 9
        assert_eq!(c["mean"], 2.56);
        assert_eq!(c["previous_mean"], 4.89);
        assert_eq!(c["raters"], 9);
        assert_eq!(c["previous_raters"], 9);
    }
    let sub_list = attention(&app, &sub_token, "&reason=clarity_falling", 50).await;
    assert!(sub_list.is_empty(), "{sub_list:?}");
    // A slice of the lead's subtree holds the group; another department does not.
    let sliced = attention(
        &app,
        &app.admin_token,
        &format!("&manager_id={lead}&reason=clarity_falling"),
        50,
    )
    .await;
    assert_eq!(sliced.len(), 1);
    let elsewhere = attention(
        &app,
        &app.admin_token,
        "&department=Nowhere&reason=clarity_falling",
        50,
    )
    .await;
    assert!(elsewhere.is_empty());

    // The program report shows the same groups: the lead's, never the sub-lead's.
    let range = format!(
        "?from={earlier}&to={}",
        later + chrono::Months::new(1) - Duration::days(1)
    );
    let lead_report = app
        .get(
            &format!("/api/v1/reports/program{range}&manager_id={lead}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let clear = &lead_report.body["figures"]["outcomes"]["ratings"]["expectations_clear"];
    assert_eq!(clear["ratings"], 18, "{}", lead_report.text);
    assert_eq!(clear["months_shown"], json!([earlier, later]));
    let sub_report = app
        .get(
            &format!("/api/v1/reports/program{range}&manager_id={sub}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let clear = &sub_report.body["figures"]["outcomes"]["ratings"]["expectations_clear"];
    assert_eq!(clear["ratings"], 0, "{}", sub_report.text);
    assert_eq!(clear["mean"], Value::Null);
    assert_eq!(
        sub_report.body["figures"]["outcomes"]["ratings"]["closed_months"],
        json!([earlier, later])
    );

    // A rating closes 14 days after its meeting: a month's figure never moves once shown.
    let (member, member_token) = &team[0];
    let old = held(
        &app,
        lead,
        &lead_token,
        *member,
        Utc::now() - Duration::days(20),
    )
    .await;
    app.send(
        app.request(
            Method::PUT,
            &format!("/api/v1/meetings/{old}/rating"),
            Some(member_token),
        )
        .json(&json!({"useful": 4, "expectations_clear": 2})),
    )
    .await
    .expect_problem(409, "rating_closed");
}

#[tokio::test]
async fn months_of_ratings_close_in_the_background_as_they_close_and_no_sooner() {
    let app = spawn_app().await;
    let (lead, lead_token) = app
        .person_with_login("lead@example.com", "Lead", None)
        .await;
    let mut team = Vec::new();
    for i in 0..5 {
        team.push(
            app.create_person(&format!("t{i}@example.com"), "Member", Some(lead))
                .await,
        );
    }
    let (earlier, later) = closed_months();
    let first = earlier - chrono::Months::new(2);
    let on = |d: chrono::NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap());
    // Each member held and rated a 1:1 in three closed months (none in the one between the
    // first two) and one in the month still open (its ratings may still change).
    let months = [
        (on(first + Duration::days(3)), 2),
        (on(earlier + Duration::days(3)), 3),
        (on(later + Duration::days(3)), 4),
        (Utc::now() - Duration::days(1), 5),
    ];
    for member in &team {
        for (when, clear) in months {
            let meeting = held(&app, lead, &lead_token, *member, when).await;
            app.exec_sql(&format!(
                "INSERT INTO meeting_ratings (meeting_id, person_id, useful, expectations_clear, \
                 created_at, updated_at) VALUES ({m}, {p}, 4, {clear}, {t}, {t})",
                m = app.sql_uuid(meeting.parse().unwrap()),
                p = app.sql_uuid(*member),
                t = app.sql_time(when)
            ))
            .await;
        }
    }
    // This server started with no 1:1 held: it closed nothing, and no report has asked yet.
    assert_eq!(app.count_sql("SELECT COUNT(*) FROM rating_months").await, 0);
    // Another replica starts: its background job closes the four closed months (the empty one
    // too) by itself, and not the open one.
    let _replica = app.replica(|_| {}).await;
    let mut closed = 0;
    for _ in 0..200 {
        closed = app.count_sql("SELECT COUNT(*) FROM rating_months").await;
        if closed >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(closed, 4, "the job closed {closed} months");
    // Nothing below the minimum group size is kept by the job: no one else can learn a rating.
    assert_eq!(
        app.count_sql("SELECT COUNT(*) FROM rating_groups WHERE raters < 5")
            .await,
        0
    );
    let kept = "SELECT COUNT(*) FROM rating_groups WHERE measure = 'expectations_clear' AND ";
    assert_eq!(
        app.count_sql(&format!("{kept} group_kind = 'organisation'"))
            .await,
        3
    );
    assert_eq!(
        app.count_sql(&format!("{kept} group_kind = 'subtree' AND raters = 5"))
            .await,
        3
    );
    // The report reads what the job kept, and closes nothing more.
    let report = app
        .get(
            &format!(
                "/api/v1/reports/program?from={first}&to={}&manager_id={lead}",
                Utc::now().date_naive() - Duration::days(1)
            ),
            &app.admin_token,
        )
        .await
        .expect(200);
    let ratings = &report.body["figures"]["outcomes"]["ratings"];
    assert_eq!(
        ratings["closed_months"],
        json!([first, earlier - chrono::Months::new(1), earlier, later]),
        "{}",
        report.text
    );
    let clear = &ratings["expectations_clear"];
    assert_eq!(clear["months_shown"], json!([first, earlier, later]));
    assert_eq!(clear["ratings"], 15);
    assert_eq!(clear["mean"], 3.0);
    assert_eq!(app.count_sql("SELECT COUNT(*) FROM rating_months").await, 4);
}

#[tokio::test]
async fn the_attention_list_is_hrs_by_slice_and_everyone_elses_own() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    // A manager naming a slice (even their own) is refused; so is a token without
    // reports:read; a reports:read token reads any slice.
    for query in [
        format!("?manager_id={}", o.manager),
        "?department=Engineering".to_owned(),
    ] {
        app.get(&format!("/api/v1/attention{query}"), &o.manager_token)
            .await
            .expect_problem(403, "forbidden");
    }
    let (_, people_token) = app.api_token(&["people:read"]).await;
    app.get("/api/v1/attention", &people_token)
        .await
        .expect_problem(403, "forbidden");
    let (_, reports_token) = app.api_token(&["reports:read"]).await;
    let list = attention(
        &app,
        &reports_token,
        &format!("&manager_id={}", o.manager),
        50,
    )
    .await;
    assert_eq!(of(&list, "never_met").len(), 1, "{list:?}");
    // The skip level reads their own (they lead no 1:1 with the report): nothing about the pair.
    let skip = attention(&app, &o.skip_level_token, "", 50).await;
    assert!(
        !skip.iter().any(|e| e["person_id"] == o.report.to_string()),
        "{skip:?}"
    );

    // Bad queries are 400 and say why.
    for (query, code) in [
        ("?reason=bored", "invalid_query"),
        (
            "?department=Eng&manager_id=019a6a5e-8f5e-7cc0-9a53-000000000001",
            "invalid_query",
        ),
        (
            "?manager_id=019a6a5e-8f5e-7cc0-9a53-000000000001",
            "invalid_query",
        ),
        ("?limit=0", "invalid_query"),
        ("?cursor=bm90LW91cnM", "invalid_cursor"),
        ("?colour=red", "invalid_query"),
    ] {
        app.get(&format!("/api/v1/attention{query}"), &app.admin_token)
            .await
            .expect_problem(400, code);
    }
}

/// A list longer than one read of the database (the list is read a chunk of facts at a time,
/// at least 100, in its order): every page of any size walks the same entries as one read of
/// the whole, including entries that come after a whole chunk the rules left out (series set up
/// today, never held: not behind yet).
#[tokio::test]
async fn a_long_list_pages_in_order_past_every_chunk() {
    let app = spawn_app().await;
    let (manager, token) = app
        .person_with_login("lead@example.com", "Lead", None)
        .await;
    let mut series = Vec::new();
    let mut reports = Vec::new();
    for i in 0..130 {
        let report = app
            .create_person(
                &format!("r{i}@example.com"),
                &format!("Report {i}"),
                Some(manager),
            )
            .await;
        reports.push(report.to_string());
        let id = app
            .post(
                "/api/v1/meeting-series",
                &token,
                &json!({"manager_id": manager, "report_id": report,
                    "cadence": {"frequency": "weekly", "weekday": "wednesday"},
                    "local_time": "09:30", "time_zone": "UTC", "start_date": "2030-01-02"}),
            )
            .await
            .expect(201)
            .id();
        series.push(id.to_string());
    }
    series.sort();
    reports.sort();

    // Behind: the first and sixth series, and three after the first 100 (their pairs began 60
    // days ago and never met); the other 125 began today.
    let behind: Vec<String> = [0, 5, 110, 120, 129]
        .iter()
        .map(|&i| series[i].clone())
        .collect();
    let began = Utc::now() - Duration::days(60);
    for id in &behind {
        app.exec_sql(&format!(
            "UPDATE meeting_series SET start_date = '{}', created_at = {} WHERE id = {}",
            began.date_naive(),
            app.sql_time(began),
            app.sql_uuid(id.parse().unwrap())
        ))
        .await;
    }
    app.db.refresh_all_series_due().await.expect("recompute");

    let whole = attention(&app, &token, "", 200).await;
    let late: Vec<&str> = of(&whole, "overdue_one_on_one")
        .iter()
        .filter_map(|e| e["series_id"].as_str())
        .collect();
    assert_eq!(late, behind, "every series behind, in order");
    let never: Vec<&str> = of(&whole, "never_met")
        .iter()
        .filter_map(|e| e["person_id"].as_str())
        .collect();
    assert_eq!(never, reports, "all 130 never met, in order");
    assert_eq!(whole.len(), 135, "nothing else: {whole:?}");

    for limit in [1, 2, 7, 50] {
        assert_eq!(
            attention(&app, &token, "", limit).await,
            whole,
            "pages of {limit}"
        );
    }
    let only = attention(&app, &token, "&reason=overdue_one_on_one", 2).await;
    assert_eq!(only, whole[..5].to_vec());
    let only = attention(&app, &token, "&reason=never_met", 3).await;
    assert_eq!(only, whole[5..].to_vec());
    let hr = attention(
        &app,
        &app.admin_token,
        &format!("&manager_id={manager}"),
        50,
    )
    .await;
    assert_eq!(hr, whole, "HR's list of the subtree is the lead's own");
}

/// HR gives `report` the manager `lead`.
async fn move_report(app: &TestApp, report: Uuid, lead: Uuid) {
    app.patch(
        &format!("/api/v1/people/{report}"),
        &app.admin_token,
        &json!({"manager_id": lead}),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn never_met_follows_the_reporting_line_and_any_held_one_on_one() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (other, other_token) = app
        .person_with_login("other-lead@example.com", "Other lead", None)
        .await;
    let never = |list: &[Value]| -> Vec<(String, String)> {
        of(list, "never_met")
            .iter()
            .map(|e| {
                (
                    e["manager_id"].as_str().unwrap_or_default().to_owned(),
                    e["person_id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let pair = |m: Uuid, r: Uuid| (m.to_string(), r.to_string());
    assert_eq!(
        never(&attention(&app, &o.manager_token, "", 50).await),
        vec![pair(o.manager, o.report)]
    );

    // A held 1:1 of another kind meets the pair too.
    let peer = app
        .post(
            "/api/v1/meetings",
            &o.manager_token,
            &json!({"manager_id": o.manager, "report_id": o.report,
                "starts_at": at(Utc::now() - Duration::days(2)), "kind": "peer"}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/meetings/{peer}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    assert!(never(&attention(&app, &o.manager_token, "", 50).await).is_empty());

    // Moved to a lead they never met: on the new lead's list, gone from the old one's; HR's
    // organisation list says the same.
    move_report(&app, o.report, other).await;
    assert!(never(&attention(&app, &o.manager_token, "", 50).await).is_empty());
    assert_eq!(
        never(&attention(&app, &other_token, "", 50).await),
        vec![pair(other, o.report)]
    );
    let (_, reports_token) = app.api_token(&["reports:read"]).await;
    let organisation = never(&attention(&app, &reports_token, "&reason=never_met", 50).await);
    assert!(
        organisation.contains(&pair(other, o.report)),
        "{organisation:?}"
    );
    assert!(
        !organisation.contains(&pair(o.manager, o.report)),
        "{organisation:?}"
    );

    // Back to the lead they met: on nobody's list.
    move_report(&app, o.report, o.manager).await;
    assert!(never(&attention(&app, &other_token, "", 50).await).is_empty());
    assert!(never(&attention(&app, &o.manager_token, "", 50).await).is_empty());

    // A lead who leaves takes their lines along; back, they are there again.
    move_report(&app, o.report, other).await;
    for active in [false, true] {
        app.patch(
            &format!("/api/v1/people/{other}"),
            &app.admin_token,
            &json!({"active": active}),
        )
        .await
        .expect(200);
        let organisation = never(&attention(&app, &reports_token, "&reason=never_met", 50).await);
        assert_eq!(
            organisation.contains(&pair(other, o.report)),
            active,
            "{organisation:?}"
        );
    }
    let drift = app.db.program_days_drift().await.expect("drift");
    assert!(drift.is_empty(), "{drift:?}");
}

#[tokio::test]
async fn when_series_fall_behind_is_recomputed_a_thousand_at_a_time() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    // 1,500 more series of the pair, written behind the server's back, none computed: a
    // recomputation writes them in batches of a thousand (SQLite caps what one statement
    // holds: a compound SELECT of 1,000 rows failed the start of a 100,000-person server).
    let new_id = if app.database_url.starts_with("postgres") {
        "gen_random_uuid()"
    } else {
        "randomblob(16)"
    };
    let columns = "kind, manager_id, report_id, frequency, interval_weeks, weekday, nth, \
        day_of_month, local_time, time_zone, duration_minutes, start_date, end_date, paused, \
        version, created_at, updated_at, agenda_template_id";
    app.exec_sql(&format!(
        "INSERT INTO meeting_series (id, {columns}) WITH RECURSIVE n (i) AS (SELECT 1 \
         UNION ALL SELECT i + 1 FROM n WHERE i < 1500) SELECT {new_id}, {columns} \
         FROM meeting_series CROSS JOIN n WHERE id = {}",
        app.sql_uuid(o.series)
    ))
    .await;
    let drift = app.db.program_days_drift().await.expect("drift");
    assert_eq!(drift.len(), 1500, "none computed yet");
    app.db.refresh_all_series_due().await.expect("recompute");
    let drift = app.db.program_days_drift().await.expect("drift");
    assert!(drift.is_empty(), "{drift:?}");
}
