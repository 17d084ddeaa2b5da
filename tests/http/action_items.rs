//! Action items: agreed in a meeting, open until done, shown in every following meeting.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn action_items_stay_open_across_meetings_until_done() {
    let app = spawn_app().await;
    let OneOnOne {
        manager_token,
        report,
        report_token,
        meetings: m,
        ..
    } = app.one_on_one().await;

    let item = app
        .post(
            &format!("/api/v1/meetings/{}/action-items", m[0]),
            &manager_token,
            &json!({"title": "Draft the RFC", "assignee_id": report, "due_date": "2020-01-01"}),
        )
        .await
        .expect(201);
    let id = item.id();
    assert_eq!(item.body["status"], "open");
    assert_eq!(item.body["overdue"], true);
    app.post(
        &format!("/api/v1/meetings/{}/action-items", m[0]),
        &manager_token,
        &json!({"title": "Someone else's job", "assignee_id": app.admin_id}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // It shows in the following meetings while open…
    let later = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[2]),
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(later.body["data"][0]["id"], id.to_string());
    let mine = app
        .get(
            "/api/v1/action-items?assignee=me&status=open",
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(mine.body["data"].as_array().unwrap().len(), 1);
    let overdue = app
        .get(
            "/api/v1/action-items?assignee=me&overdue=true",
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(overdue.body["data"].as_array().unwrap().len(), 1);
    let managers = app
        .get(
            "/api/v1/action-items?assignee=me&status=open",
            &manager_token,
        )
        .await
        .expect(200);
    assert!(managers.body["data"].as_array().unwrap().is_empty());

    // …until done; a stale edit gets 412.
    let etag = item.header("etag").unwrap().to_owned();
    let done = app
        .send(
            app.request(
                Method::PATCH,
                &format!("/api/v1/action-items/{id}"),
                Some(&report_token),
            )
            .header("content-type", "application/merge-patch+json")
            .header("if-match", &etag)
            .body(json!({"status": "done"}).to_string()),
        )
        .await
        .expect(200);
    assert_eq!(done.body["status"], "done");
    assert_eq!(done.body["overdue"], false);
    assert!(done.body["completed_at"].is_string());
    app.send(
        app.request(
            Method::PATCH,
            &format!("/api/v1/action-items/{id}"),
            Some(&manager_token),
        )
        .header("content-type", "application/merge-patch+json")
        .header("if-match", &etag)
        .body(json!({"title": "Changed"}).to_string()),
    )
    .await
    .expect_problem(412, "precondition_failed");
    let later = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[2]),
            &report_token,
        )
        .await
        .expect(200);
    assert!(later.body["data"].as_array().unwrap().is_empty());
    let first = app
        .get(
            &format!("/api/v1/meetings/{}/action-items", m[0]),
            &report_token,
        )
        .await
        .expect(200);
    assert_eq!(first.body["data"][0]["status"], "done");

    // Content belongs to the participants: HR and tokens get 403, others 404.
    let (_, outsider) = app
        .person_with_login("o@example.com", "Outsider", None)
        .await;
    app.get(&format!("/api/v1/action-items/{id}"), &outsider)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/action-items/{id}"), &app.admin_token)
        .await
        .expect_problem(403, "forbidden");
    let (_, token) = app.api_token(&["meetings:read"]).await;
    app.get("/api/v1/action-items", &token)
        .await
        .expect_problem(403, "forbidden");
    let theirs = app.get("/api/v1/action-items", &outsider).await.expect(200);
    assert!(theirs.body["data"].as_array().unwrap().is_empty());
}

/// Open action items follow the pair, not the series: a one-off 1:1 of the same two people (or
/// a new series between them) shows them; someone else's 1:1 does not. Lists filter by due
/// range and meeting; meetings by kind and by manager or report.
#[tokio::test]
async fn open_items_follow_the_pair_and_lists_filter() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let item = app
        .post(
            &format!("/api/v1/meetings/{}/action-items", p.meetings[0]),
            &p.manager_token,
            &json!({"title": "Book the offsite", "assignee_id": p.report, "due_date": "2030-02-01"}),
        )
        .await
        .expect(201)
        .id();
    let one_off = app
        .post(
            "/api/v1/meetings",
            &p.report_token,
            &json!({"manager_id": p.manager, "report_id": p.report, "starts_at": "2030-06-01T10:00:00Z", "kind": "manager_report"}),
        )
        .await
        .expect(201)
        .id();
    let shown = app
        .get(
            &format!("/api/v1/meetings/{one_off}/action-items"),
            &p.report_token,
        )
        .await
        .expect(200);
    assert!(shown.text.contains(&item.to_string()), "{}", shown.text);
    // Another pair's meeting with the same manager does not show it.
    let (other, _) = app
        .person_with_login("other@example.com", "Other", Some(p.manager))
        .await;
    let theirs = app
        .post(
            "/api/v1/meetings",
            &p.manager_token,
            &json!({"manager_id": p.manager, "report_id": other, "starts_at": "2030-06-02T10:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    let not_shown = app
        .get(
            &format!("/api/v1/meetings/{theirs}/action-items"),
            &p.manager_token,
        )
        .await
        .expect(200);
    assert!(!not_shown.text.contains(&item.to_string()));
    // The meeting page, read in one query, shows the same action items as the meeting's list:
    // the open item on the pair's later one-off, not on another pair's meeting nor on a meeting
    // of the pair before it was agreed.
    let earlier = app
        .post(
            "/api/v1/meetings",
            &p.report_token,
            &json!({"manager_id": p.manager, "report_id": p.report, "starts_at": "2026-01-05T10:00:00Z", "kind": "manager_report"}),
        )
        .await
        .expect(201)
        .id();
    for (meeting, token, shows) in [
        (one_off, &p.report_token, true),
        (one_off, &p.manager_token, true),
        (theirs, &p.manager_token, false),
        (earlier, &p.report_token, false),
    ] {
        let page = app
            .get(&format!("/api/v1/meetings/{meeting}"), token)
            .await
            .expect(200);
        let listed = app
            .get(&format!("/api/v1/meetings/{meeting}/action-items"), token)
            .await
            .expect(200);
        let on_page: Vec<&str> = page.body["content"]["action_items"]
            .as_array()
            .expect("participants see content")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        let in_list: Vec<&str> = listed.body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|a| a["id"].as_str())
            .collect();
        assert_eq!(on_page, in_list, "{meeting}");
        assert_eq!(
            on_page.contains(&item.to_string().as_str()),
            shows,
            "{meeting}"
        );
    }
    // Filters.
    let count = |reply: &Reply| reply.body["data"].as_array().unwrap().len();
    let in_range = app
        .get(
            "/api/v1/action-items?due_from=2030-01-01&due_to=2030-02-01",
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(count(&in_range), 1);
    let out_of_range = app
        .get("/api/v1/action-items?due_from=2030-02-02", &p.report_token)
        .await
        .expect(200);
    assert_eq!(count(&out_of_range), 0);
    let by_meeting = app
        .get(
            &format!("/api/v1/action-items?meeting_id={one_off}"),
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(count(&by_meeting), 0);
    let by_meeting = app
        .get(
            &format!("/api/v1/action-items?meeting_id={}", p.meetings[0]),
            &p.report_token,
        )
        .await
        .expect(200);
    assert_eq!(count(&by_meeting), 1);
    let with_other = app
        .get(
            &format!("/api/v1/meetings?participant=me&report_id={other}&limit=200"),
            &p.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(ids(&with_other), [theirs.to_string()]);
    let skip_level = app
        .get(
            "/api/v1/meetings?participant=me&kind=skip_level",
            &p.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(count(&skip_level), 0);
    let as_manager = app
        .get(
            &format!(
                "/api/v1/meetings?participant=me&manager_id={}&limit=200",
                p.manager
            ),
            &p.report_token,
        )
        .await
        .expect(200);
    // The series' meetings, the one-off and the earlier one.
    assert_eq!(count(&as_manager), p.meetings.len() + 2);
}
