//! The conversation-starter library and agenda templates.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_seeded_library_suggestions_that_rotate_and_hr_curation() {
    let app = spawn_app().await;
    let OneOnOne {
        manager_token,
        report_token,
        meetings: m,
        ..
    } = app.one_on_one().await;
    let library = app
        .get("/api/v1/conversation-starters", &report_token)
        .await
        .expect(200);
    let starters = library.body["data"].as_array().unwrap();
    assert!(starters.len() >= 40, "only {} starters", starters.len());

    let suggested = app
        .get(
            &format!("/api/v1/meetings/{}/suggested-starters?limit=3", m[0]),
            &report_token,
        )
        .await
        .expect(200);
    let first = suggested.body["data"][0].clone();
    assert_eq!(suggested.body["data"].as_array().unwrap().len(), 3);
    // Using a starter puts it on the agenda and it is not suggested again for this pair.
    let item = app
        .post(
            &format!("/api/v1/meetings/{}/agenda-items", m[0]),
            &report_token,
            &json!({"starter_id": first["id"]}),
        )
        .await
        .expect(201);
    assert_eq!(item.body["title"], first["question"]);
    assert_eq!(item.body["category"], first["category"]);
    let again = app
        .get(
            &format!("/api/v1/meetings/{}/suggested-starters?limit=20", m[1]),
            &manager_token,
        )
        .await
        .expect(200);
    assert!(!again.text.contains(first["id"].as_str().unwrap()));
    // A starter used for a private talking point leaves no trace in what the other participant
    // is offered: the same starters, in the same order (issue 11, item 1).
    let offered = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        let meeting = m[1].clone();
        async move {
            app.get(
                &format!("/api/v1/meetings/{meeting}/suggested-starters?limit=20"),
                &token,
            )
            .await
            .expect(200)
            .body["data"]
                .clone()
        }
    };
    let before = offered(&manager_token).await;
    let secret = before[0].clone();
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", m[0]),
        &report_token,
        &json!({"starter_id": secret["id"], "private": true}),
    )
    .await
    .expect(201);
    assert_eq!(offered(&manager_token).await, before);
    // Its author is not offered it again.
    let mine = offered(&report_token).await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != secret["id"])
    );
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", m[0]),
        &report_token,
        &json!({"starter_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // HR admins curate; others cannot.
    app.post(
        "/api/v1/conversation-starters",
        &report_token,
        &json!({"category": "ideas", "question": "Q?"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let created = app
        .post(
            "/api/v1/conversation-starters",
            &app.admin_token,
            &json!({"category": "ideas", "question": "What should we stop doing?"}),
        )
        .await
        .expect(201);
    let etag = created.header("etag").unwrap().to_owned();
    let retired = app
        .send_if_match(
            Method::PATCH,
            &format!("/api/v1/conversation-starters/{}", created.id()),
            &app.admin_token,
            &etag,
            Some(json!({"active": false})),
        )
        .await
        .expect(200);
    assert_eq!(retired.body["active"], false);
    let active = app
        .get(
            "/api/v1/conversation-starters?category=ideas",
            &report_token,
        )
        .await
        .expect(200);
    assert!(!active.text.contains("What should we stop doing?"));
}

#[tokio::test]
async fn templates_are_seeded_editable_and_applied() {
    let app = spawn_app().await;
    let (manager, manager_token) = app
        .person_with_login("m@example.com", "Manager", None)
        .await;
    let (report, _) = app
        .person_with_login("r@example.com", "Report", Some(manager))
        .await;
    let templates = app
        .get("/api/v1/agenda-templates", &manager_token)
        .await
        .expect(200);
    let kinds: Vec<&str> = templates.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "weekly",
        "first_one_on_one",
        "career",
        "skip_level",
        "peer",
        "new_hire_30_60_90",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing");
    }
    let career = templates.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "career")
        .unwrap()
        .clone();
    let one_off = app
        .post(
            "/api/v1/meetings",
            &manager_token,
            &json!({"manager_id": manager, "report_id": report, "starts_at": "2030-10-01T10:00:00Z"}),
        )
        .await
        .expect(201)
        .id();
    let applied = app
        .post(
            &format!("/api/v1/meetings/{one_off}/apply-template"),
            &manager_token,
            &json!({"template_id": career["id"]}),
        )
        .await
        .expect(200);
    assert_eq!(
        applied.body["data"].as_array().unwrap().len(),
        career["items"].as_array().unwrap().len()
    );
    app.patch(
        &format!(
            "/api/v1/agenda-templates/{}",
            career["id"].as_str().unwrap()
        ),
        &manager_token,
        &json!({"name": "Mine"}),
    )
    .await
    .expect_problem(403, "forbidden");
    let renamed = app
        .patch(
            &format!("/api/v1/agenda-templates/{}", career["id"].as_str().unwrap()),
            &app.admin_token,
            &json!({"name": "Career check-in", "items": [{"category": "career", "title": "Where next?"}]}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.body["items"].as_array().unwrap().len(), 1);
    app.patch(
        &format!(
            "/api/v1/agenda-templates/{}",
            career["id"].as_str().unwrap()
        ),
        &app.admin_token,
        &json!({"items": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
}

#[tokio::test]
async fn a_series_template_starts_every_meeting_without_piling_up() {
    let app = spawn_app().await;
    let templates = app
        .get("/api/v1/agenda-templates", &app.admin_token)
        .await
        .expect(200);
    let template = |kind: &str| {
        templates.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["kind"] == kind)
            .unwrap()
            .clone()
    };
    let (weekly, career) = (template("weekly"), template("career"));
    let weekly_titles: Vec<String> = weekly["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    let o = app
        .one_on_one_with(json!({"agenda_template_id": weekly["id"]}))
        .await;
    let series = app
        .get(
            &format!("/api/v1/meeting-series/{}", o.series),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(series.body["agenda_template_id"], weekly["id"]);

    // Every scheduled meeting starts with the template's points: shared, by the manager.
    for m in &o.meetings {
        let agenda = app.agenda(&o.report_token, m).await;
        assert_eq!(titles(&agenda), weekly_titles, "meeting {m}");
        let items = agenda.body["data"].as_array().unwrap();
        assert!(items.iter().all(|i| i["private"] == false));
        assert!(
            items
                .iter()
                .all(|i| i["author_id"] == o.manager.to_string())
        );
    }

    // Completing a meeting carries the report's own open point, not the template's (the next
    // meeting has those already).
    app.post(
        &format!("/api/v1/meetings/{}/agenda-items", o.meetings[0]),
        &o.report_token,
        &json!({"title": "My promotion case", "category": "career"}),
    )
    .await
    .expect(201);
    app.post(
        &format!("/api/v1/meetings/{}/complete", o.meetings[0]),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    let next = app.agenda(&o.report_token, &o.meetings[1]).await;
    assert_eq!(
        titles(&next).len(),
        weekly_titles.len() + 1,
        "{}",
        next.text
    );
    assert_eq!(next.body["data"][0]["title"], "My promotion case");
    assert_eq!(next.body["data"][0]["times_carried"], 1);
    let held = app.agenda(&o.report_token, &o.meetings[0]).await;
    assert_eq!(
        titles(&held),
        weekly_titles,
        "template points stay where they were"
    );

    // A template that does not exist is refused, on create and on change, and changes nothing.
    let nowhere = uuid::Uuid::now_v7();
    app.post(
        "/api/v1/meeting-series",
        &o.manager_token,
        &json!({"manager_id": o.manager, "report_id": o.report, "local_time": "10:00",
                "time_zone": "UTC", "agenda_template_id": nowhere}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/meeting-series/{}", o.series),
        &o.manager_token,
        &json!({"agenda_template_id": nowhere}),
    )
    .await
    .expect_problem(422, "validation_failed");
    let unchanged = app
        .get(
            &format!("/api/v1/meeting-series/{}", o.series),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert_eq!(unchanged.body["agenda_template_id"], weekly["id"]);
    assert_eq!(unchanged.body["updated_at"], series.body["updated_at"]);

    // A new template reaches the meetings already scheduled; clearing it removes nothing.
    let changed = app
        .patch(
            &format!("/api/v1/meeting-series/{}", o.series),
            &o.manager_token,
            &json!({"agenda_template_id": career["id"]}),
        )
        .await
        .expect(200);
    assert_eq!(changed.body["agenda_template_id"], career["id"]);
    let career_count = career["items"].as_array().unwrap().len();
    let later = app.agenda(&o.manager_token, &o.meetings[3]).await;
    assert_eq!(titles(&later).len(), weekly_titles.len() + career_count);
    let cleared = app
        .patch(
            &format!("/api/v1/meeting-series/{}", o.series),
            &o.manager_token,
            &json!({"agenda_template_id": null}),
        )
        .await
        .expect(200);
    assert!(cleared.body["agenda_template_id"].is_null());
    let kept = app.agenda(&o.manager_token, &o.meetings[3]).await;
    assert_eq!(titles(&kept).len(), weekly_titles.len() + career_count);
}

/// People make templates of their own, which nobody else sees or uses; HR admins add to the
/// shared library and may delete any template; deleting one detaches it from the series that
/// used it. Starters can be read where their `Location` says; keyed creates replay.
#[tokio::test]
async fn own_templates_are_private_and_deletable() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let body =
        json!({"name": "My prep", "items": [{"category": "goals", "title": "Quarter goals"}]});
    let mine = app
        .send(
            app.request(
                Method::POST,
                "/api/v1/agenda-templates",
                Some(&p.manager_token),
            )
            .header("idempotency-key", "tpl-1")
            .json(&body),
        )
        .await
        .expect(201);
    let id = mine.id();
    assert_eq!(mine.body["owner_id"], p.manager.to_string());
    assert_eq!(mine.body["kind"], "custom");
    let location = mine.header("location").unwrap().to_owned();
    let again = app
        .send(
            app.request(
                Method::POST,
                "/api/v1/agenda-templates",
                Some(&p.manager_token),
            )
            .header("idempotency-key", "tpl-1")
            .json(&body),
        )
        .await
        .expect(201);
    assert_eq!(again.id(), id);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    app.get(&location, &p.manager_token).await.expect(200);
    // The report neither sees nor uses the manager's own template.
    app.get(&location, &p.report_token)
        .await
        .expect_problem(404, "not_found");
    let listed = app
        .get("/api/v1/agenda-templates", &p.report_token)
        .await
        .expect(200);
    assert!(!listed.text.contains(&id.to_string()));
    app.post(
        &format!("/api/v1/meetings/{}/apply-template", p.meetings[0]),
        &p.report_token,
        &json!({"template_id": id}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.delete(&location, &p.report_token)
        .await
        .expect_problem(404, "not_found");
    // The manager's series starts every meeting with it, until it is deleted.
    app.patch(
        &format!("/api/v1/meeting-series/{}", p.series),
        &p.manager_token,
        &json!({"agenda_template_id": id}),
    )
    .await
    .expect(200);
    let applied = app
        .post(
            &format!("/api/v1/meetings/{}/apply-template", p.meetings[1]),
            &p.manager_token,
            &json!({"template_id": id}),
        )
        .await
        .expect(200);
    assert!(applied.text.contains("Quarter goals"));
    app.send_if_match(Method::DELETE, &location, &p.manager_token, "\"v9\"", None)
        .await
        .expect_problem(412, "precondition_failed");
    app.send_if_match(Method::DELETE, &location, &p.manager_token, "\"v1\"", None)
        .await
        .expect(204);
    app.get(&location, &p.manager_token)
        .await
        .expect_problem(404, "not_found");
    let series = app
        .get(
            &format!("/api/v1/meeting-series/{}", p.series),
            &p.manager_token,
        )
        .await
        .expect(200);
    assert!(series.body["agenda_template_id"].is_null());
    // Items it put on agendas stay.
    assert!(
        app.agenda(&p.manager_token, &p.meetings[1])
            .await
            .text
            .contains("Quarter goals")
    );
    // HR's templates are the shared library's: everyone sees them.
    let shared = app
        .post("/api/v1/agenda-templates", &app.admin_token, &body)
        .await
        .expect(201);
    assert!(shared.body["owner_id"].is_null());
    app.get(
        &format!("/api/v1/agenda-templates/{}", shared.id()),
        &p.report_token,
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/agenda-templates",
        &p.manager_token,
        &json!({"name": "x", "items": []}),
    )
    .await
    .expect_problem(422, "validation_failed");
    // A created starter is readable where its Location points.
    let starter = app
        .post(
            "/api/v1/conversation-starters",
            &app.admin_token,
            &json!({"category": "ideas", "question": "What would you change first?"}),
        )
        .await
        .expect(201);
    let read = app
        .get(starter.header("location").unwrap(), &p.report_token)
        .await
        .expect(200);
    assert_eq!(read.body["question"], "What would you change first?");
}

/// Applying a template with an Idempotency-Key twice adds its points once.
#[tokio::test]
async fn a_retried_apply_template_adds_its_points_once() {
    let app = spawn_app().await;
    let p = app.one_on_one().await;
    let templates = app
        .get("/api/v1/agenda-templates", &p.manager_token)
        .await
        .expect(200);
    let weekly = templates.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "weekly")
        .unwrap()["id"]
        .clone();
    let apply = || {
        app.request(
            Method::POST,
            &format!("/api/v1/meetings/{}/apply-template", p.meetings[2]),
            Some(&p.manager_token),
        )
        .header("idempotency-key", "apply-once")
        .json(&json!({"template_id": weekly}))
    };
    let first = app.send(apply()).await.expect(200);
    let second = app.send(apply()).await.expect(200);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.body, second.body);
    let agenda = app.agenda(&p.manager_token, &p.meetings[2]).await;
    assert_eq!(agenda.body["data"], first.body["data"]);
}
