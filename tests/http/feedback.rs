//! Feedback: who reads it (giver, recipient, the recipient's manager only when the giver chose,
//! everyone for recognition; never the giver's managers, HR or a token), requests answered once
//! or declined, and anonymous answers that carry no giver, time or order and come in threes.

use oneonone_tests::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn data(reply: &Reply) -> Vec<Value> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {}", reply.text))
        .clone()
}

async fn received(app: &TestApp, token: &str) -> Vec<Value> {
    data(&app.get("/api/v1/feedback", token).await.expect(200))
}

#[tokio::test]
async fn feedback_reaches_its_recipient_and_their_manager_only_when_the_giver_chose() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (giver_boss, giver_boss_token) = app
        .person_with_login("gb@example.com", "Giver's Boss", None)
        .await;
    let (giver, giver_token) = app
        .person_with_login("g@example.com", "Gina Giver", Some(giver_boss))
        .await;
    let (_, peer_token) = app
        .person_with_login("p@example.com", "Pat Peer", Some(o.manager))
        .await;
    let give = |body: Value| {
        let (app, token) = (&app, giver_token.clone());
        async move { app.post("/api/v1/feedback", &token, &body).await }
    };
    let private = give(json!({"recipient_id": o.report, "kind": "constructive",
        "body": "Your status updates ramble; lead with the decision."}))
    .await
    .expect(201);
    assert_eq!(private.body["visibility"], "recipient");
    assert_eq!(private.body["giver_id"], json!(giver));
    let shared = give(json!({"recipient_id": o.report, "kind": "praise",
        "body": "The launch demo was crisp.", "visibility": "recipient_and_manager",
        "category": "coaching"}))
    .await
    .expect(201);
    let thanks = give(json!({"recipient_id": o.report, "kind": "recognition",
        "body": "Thank you for covering on-call over the holidays!"}))
    .await
    .expect(201);
    assert_eq!(thanks.body["visibility"], "organisation");

    // The recipient reads all three, newest first; the giver reads what they gave.
    let mine = received(&app, &o.report_token).await;
    assert_eq!(mine.len(), 3);
    assert_eq!(mine[0]["id"], thanks.body["id"]);
    let given = data(
        &app.get("/api/v1/feedback?role=given", &giver_token)
            .await
            .expect(200),
    );
    assert_eq!(given.len(), 3);
    // The recipient's manager: only what the giver shared with them (and the recognition).
    let managed = data(
        &app.get(
            &format!("/api/v1/feedback?person_id={}", o.report),
            &o.manager_token,
        )
        .await
        .expect(200),
    );
    let ids: Vec<&Value> = managed.iter().map(|f| &f["id"]).collect();
    assert_eq!(ids, vec![&thanks.body["id"], &shared.body["id"]]);
    let private_path = format!("/api/v1/feedback/{}", private.id());
    let shared_path = format!("/api/v1/feedback/{}", shared.id());
    app.get(&private_path, &o.manager_token)
        .await
        .expect_problem(404, "not_found");
    app.get(&shared_path, &o.manager_token).await.expect(200);
    // Nobody else: not the giver's manager, not the manager's manager, not a peer, not HR.
    for token in [
        &giver_boss_token,
        &o.skip_level_token,
        &peer_token,
        &app.admin_token,
    ] {
        app.get(&private_path, token)
            .await
            .expect_problem(404, "not_found");
        app.get(&shared_path, token)
            .await
            .expect_problem(404, "not_found");
        app.get(&format!("/api/v1/feedback?person_id={}", o.report), token)
            .await
            .expect_problem(403, "forbidden");
        assert!(received(&app, token).await.is_empty());
    }
    // Recognition is the organisation's.
    let feed = data(
        &app.get("/api/v1/recognitions", &peer_token)
            .await
            .expect(200),
    );
    assert_eq!(feed.len(), 1);
    assert_eq!(
        feed[0]["body"],
        "Thank you for covering on-call over the holidays!"
    );
    app.get(
        &format!("/api/v1/feedback/{}", thanks.id()),
        &giver_boss_token,
    )
    .await
    .expect(200);
    // A token reads no feedback text at all.
    let (_, token) = app
        .api_token(&["people:read", "meetings:read", "goals:read", "reports:read"])
        .await;
    for path in ["/api/v1/feedback", "/api/v1/recognitions", &shared_path] {
        app.get(path, &token).await.expect_problem(403, "forbidden");
    }

    // Bad input changes nothing.
    let (gone, _) = app
        .person_with_login("gone@example.com", "Gone", None)
        .await;
    app.post(
        &format!("/api/v1/people/{gone}/deactivate"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    let goal = app
        .post(
            "/api/v1/goals",
            &o.manager_token,
            &json!({"title": "Ship the billing revamp", "kind": "smart", "visibility": "public",
                "start_date": "2027-01-01", "due_date": "2027-03-31",
                "key_results": [{"title": "p99 checkout latency", "measure": "numeric",
                    "start": 800, "target": 200, "unit": "ms"}]}),
        )
        .await
        .expect(201);
    for (body, status, code, field) in [
        (
            json!({"recipient_id": giver, "kind": "praise", "body": "Me!"}),
            422,
            "validation_failed",
            "recipient_id",
        ),
        (
            json!({"recipient_id": Uuid::now_v7(), "kind": "praise", "body": "Hi"}),
            422,
            "unknown_reference",
            "",
        ),
        (
            json!({"recipient_id": gone, "kind": "praise", "body": "Hi"}),
            422,
            "validation_failed",
            "recipient_id",
        ),
        (
            json!({"recipient_id": o.report, "kind": "praise", "body": "  "}),
            422,
            "validation_failed",
            "body",
        ),
        (
            json!({"recipient_id": o.report, "kind": "recognition", "body": "x".repeat(281)}),
            422,
            "validation_failed",
            "body",
        ),
        (
            json!({"recipient_id": o.report, "kind": "praise", "body": "Hi",
            "visibility": "organisation"}),
            422,
            "validation_failed",
            "visibility",
        ),
        (
            json!({"recipient_id": o.report, "kind": "gossip", "body": "Hi"}),
            422,
            "validation_failed",
            "kind",
        ),
        (
            json!({"recipient_id": o.report, "kind": "praise", "body": "Hi",
            "goal_id": Uuid::now_v7()}),
            422,
            "unknown_reference",
            "",
        ),
    ] {
        let reply = give(body.clone()).await.expect_problem(status, code);
        if !field.is_empty() {
            assert_eq!(
                reply.body["errors"][0]["field"], field,
                "{body}: {}",
                reply.text
            );
        }
    }
    // A goal, but the manager's, not the recipient's.
    give(json!({"recipient_id": o.report, "kind": "praise", "body": "Hi", "goal_id": goal.id()}))
        .await
        .expect_problem(422, "validation_failed");
    // HR: counts for a slice large enough, none for a small one, never text.
    let counts = app
        .get("/api/v1/feedback-counts", &app.admin_token)
        .await
        .expect(200);
    assert!(counts.body["people"].as_i64() >= Some(5), "{}", counts.text);
    assert_eq!(counts.body["given"], 3);
    assert_eq!(counts.body["received"], 3);
    assert!(!counts.text.contains("crisp"));
    let small = app
        .get(
            &format!("/api/v1/feedback-counts?manager_id={}", o.manager),
            &token,
        )
        .await
        .expect(200);
    assert_eq!(small.body["people"], 2);
    assert_eq!(small.body["received"], Value::Null, "{}", small.text);
    app.get("/api/v1/feedback-counts", &o.manager_token)
        .await
        .expect_problem(403, "forbidden");
    assert_eq!(received(&app, &o.report_token).await.len(), 3);
    assert_eq!(
        data(
            &app.get("/api/v1/feedback?role=given", &giver_token)
                .await
                .expect(200)
        )
        .len(),
        3
    );
}

#[tokio::test]
async fn requests_are_answered_once_and_anonymous_answers_come_in_threes() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let mut asked = Vec::new();
    for i in 0..5 {
        asked.push(
            app.person_with_login(&format!("a{i}@example.com"), &format!("Asked {i}"), None)
                .await,
        );
    }
    let (_, outsider_token) = app
        .person_with_login("out@example.com", "Outsider", None)
        .await;
    let due = (chrono::Utc::now() + chrono::Duration::days(7)).date_naive();
    let request = app
        .post(
            "/api/v1/feedback-requests",
            &o.report_token,
            &json!({"question": "How did I do in the Q3 launch?",
                "respondent_ids": asked.iter().map(|(id, _)| id).collect::<Vec<_>>(),
                "due_date": due}),
        )
        .await
        .expect(201);
    assert_eq!(request.body["answers_go_to_manager"], false);
    let path = format!("/api/v1/feedback-requests/{}", request.id());
    let answer = |i: usize, body: Value| {
        let (app, token, path) = (&app, asked[i].1.clone(), path.clone());
        async move { app.post(&format!("{path}/answer"), &token, &body).await }
    };
    let answers = |token: String| {
        let (app, path) = (&app, path.clone());
        async move {
            let r = app.get(&path, &token).await.expect(200);
            r.body["answers"].as_array().cloned().unwrap_or_default()
        }
    };
    // Someone asked sees the question and their own status only.
    let as_asked = app.get(&path, &asked[0].1).await.expect(200);
    assert_eq!(as_asked.body["question"], "How did I do in the Q3 launch?");
    assert_eq!(
        as_asked.body["respondents"].as_array().map(Vec::len),
        Some(1)
    );
    let listed = data(
        &app.get("/api/v1/feedback-requests?role=asked", &asked[0].1)
            .await
            .expect(200),
    );
    assert_eq!(listed.len(), 1);

    let named = answer(0, json!({"kind": "praise", "body": "Calm under pressure."}))
        .await
        .expect(201);
    assert!(named.body["feedback_id"].is_string());
    for (i, text) in [
        (1, "The rollout plan reached support late."),
        (2, "Demo was great."),
    ] {
        let r = answer(
            i,
            json!({"kind": "constructive", "body": text, "anonymous": true}),
        )
        .await
        .expect(201);
        assert_eq!(
            r.body["feedback_id"],
            Value::Null,
            "nothing ties it to its giver"
        );
        // One or two anonymous answers are held back: the named one alone shows.
        let seen = answers(o.report_token.clone()).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["giver_id"], json!(asked[0].0));
    }
    app.post(&format!("{path}/decline"), &asked[4].1, &json!({}))
        .await
        .expect(204);
    // Once is all, answered or declined; someone not asked learns nothing.
    answer(0, json!({"kind": "praise", "body": "Again"}))
        .await
        .expect_problem(409, "already_answered");
    answer(4, json!({"kind": "praise", "body": "Changed my mind"}))
        .await
        .expect_problem(409, "already_answered");
    app.post(
        &format!("{path}/answer"),
        &outsider_token,
        &json!({"kind": "praise", "body": "Hi"}),
    )
    .await
    .expect_problem(404, "not_found");
    for token in [&outsider_token, &o.manager_token, &app.admin_token] {
        app.get(&path, token).await.expect_problem(404, "not_found");
    }
    answer(
        3,
        json!({"kind": "praise", "body": "x".repeat(5001), "anonymous": true}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // The third anonymous answer releases all three: no giver, no time.
    answer(
        3,
        json!({"kind": "praise", "body": "Clear goals.", "anonymous": true}),
    )
    .await
    .expect(201);
    let seen = answers(o.report_token.clone()).await;
    assert_eq!(seen.len(), 4);
    let anonymous: Vec<&Value> = seen.iter().filter(|a| a["giver_id"].is_null()).collect();
    assert_eq!(anonymous.len(), 3);
    for a in &anonymous {
        assert_eq!(a["created_at"], Value::Null);
    }
    let statuses = app.get(&path, &o.report_token).await.expect(200).body["respondents"].clone();
    let status_of = |id: Uuid| {
        statuses
            .as_array()
            .and_then(|r| r.iter().find(|x| x["person_id"] == json!(id)))
            .map(|x| x["status"].clone())
    };
    assert_eq!(status_of(asked[1].0), Some(json!("answered")));
    assert_eq!(status_of(asked[4].0), Some(json!("declined")));
    // The manager did not ask: they read none of it.
    let shared = data(
        &app.get(
            &format!("/api/v1/feedback?person_id={}", o.report),
            &o.manager_token,
        )
        .await
        .expect(200),
    );
    assert!(shared.is_empty(), "{shared:?}");

    // At the database: an anonymous answer has no giver, no time and a random id, and the
    // event log never names it.
    for a in &anonymous {
        let id: Uuid = a["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an id");
        assert_eq!(
            id.get_version_num(),
            4,
            "a random id, not a time-ordered one"
        );
        let stored = app.db.get_feedback(id).await.expect("stored");
        assert_eq!(stored.giver_id, None);
        assert_eq!(stored.created_at, None);
        let mentions = app
            .count_sql(&format!(
                "SELECT COUNT(*) FROM events WHERE data LIKE '%{id}%'"
            ))
            .await;
        assert_eq!(mentions, 0, "no event names an anonymous answer");
    }
    assert_eq!(
        app.count_sql(
            "SELECT COUNT(*) FROM feedback WHERE giver_id IS NULL AND created_at IS NULL",
        )
        .await,
        3
    );

    // A manager asks about their report: the answers are the manager's and the report's.
    let theirs = app
        .post(
            "/api/v1/feedback-requests",
            &o.manager_token,
            &json!({"subject_id": o.report, "question": "How is onboarding going with Report?",
                "respondent_ids": [asked[0].0], "due_date": due}),
        )
        .await
        .expect(201);
    assert_eq!(theirs.body["answers_go_to_manager"], true);
    let theirs_path = format!("/api/v1/feedback-requests/{}", theirs.id());
    app.post(
        &format!("{theirs_path}/answer"),
        &asked[0].1,
        &json!({"kind": "praise", "body": "Ramping up fast."}),
    )
    .await
    .expect(201);
    for token in [&o.manager_token, &o.report_token] {
        let r = app.get(&theirs_path, token).await.expect(200);
        assert_eq!(
            r.body["answers"].as_array().map(Vec::len),
            Some(1),
            "{}",
            r.text
        );
    }

    // Bad requests change nothing; a request past its due date takes no answer.
    let before = data(
        &app.get("/api/v1/feedback-requests", &o.report_token)
            .await
            .expect(200),
    )
    .len();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).date_naive();
    for (token, body, status, code) in [
        (
            &o.report_token,
            json!({"question": "Q", "respondent_ids": [asked[0].0],
            "due_date": yesterday}),
            422,
            "validation_failed",
        ),
        (
            &o.report_token,
            json!({"question": "Q", "respondent_ids": [o.report],
            "due_date": due}),
            422,
            "validation_failed",
        ),
        (
            &o.report_token,
            json!({"question": "Q", "respondent_ids": [], "due_date": due}),
            422,
            "validation_failed",
        ),
        (
            &o.report_token,
            json!({"question": "Q", "respondent_ids": [asked[0].0, asked[0].0],
            "due_date": due}),
            422,
            "validation_failed",
        ),
        (
            &o.report_token,
            json!({"question": " ", "respondent_ids": [asked[0].0],
            "due_date": due}),
            422,
            "validation_failed",
        ),
        (
            &outsider_token,
            json!({"subject_id": o.report, "question": "Q",
            "respondent_ids": [asked[0].0], "due_date": due}),
            403,
            "forbidden",
        ),
    ] {
        app.post("/api/v1/feedback-requests", token, &body)
            .await
            .expect_problem(status, code);
    }
    assert_eq!(
        data(
            &app.get("/api/v1/feedback-requests", &o.report_token)
                .await
                .expect(200)
        )
        .len(),
        before
    );
    let late = app
        .post(
            "/api/v1/feedback-requests",
            &o.report_token,
            &json!({"question": "Quick one?", "respondent_ids": [asked[1].0],
                "due_date": chrono::Utc::now().date_naive()}),
        )
        .await
        .expect(201);
    let id = app.sql_uuid(late.id());
    app.exec_sql(&format!(
        "UPDATE feedback_requests SET due_date = '{yesterday}' WHERE id = {id}"
    ))
    .await;
    app.post(
        &format!("/api/v1/feedback-requests/{}/answer", late.id()),
        &asked[1].1,
        &json!({"kind": "praise", "body": "Too late?"}),
    )
    .await
    .expect_problem(409, "request_closed");
    app.post(
        &format!("/api/v1/feedback-requests/{}/decline", late.id()),
        &asked[1].1,
        &json!({}),
    )
    .await
    .expect_problem(409, "request_closed");
}

#[tokio::test]
async fn feedback_brought_into_a_one_on_one_shows_its_follow_up_to_its_recipient_alone() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (_, giver_token) = app
        .person_with_login("g@example.com", "Gina Giver", None)
        .await;
    let feedback = app
        .post(
            "/api/v1/feedback",
            &giver_token,
            &json!({"recipient_id": o.report, "kind": "constructive",
                "body": "Status updates: lead with the decision.",
                "visibility": "recipient_and_manager"}),
        )
        .await
        .expect(201)
        .id();
    let m = o.meetings[0].clone();
    let before = titles(&app.agenda(&o.manager_token, &m).await);
    let path = format!("/api/v1/feedback/{feedback}");
    // Only its recipient brings it in: not its giver, not the manager who may read it.
    app.post(
        &format!("{path}/talking-points"),
        &giver_token,
        &json!({"meeting_id": m}),
    )
    .await
    .expect_problem(404, "not_found");
    app.post(
        &format!("{path}/talking-points"),
        &o.manager_token,
        &json!({"meeting_id": m}),
    )
    .await
    .expect_problem(404, "not_found");
    let point = app
        .post(
            &format!("{path}/talking-points"),
            &o.report_token,
            &json!({"meeting_id": m}),
        )
        .await
        .expect(201);
    assert_eq!(point.body["private"], true);
    assert_eq!(point.body["category"], "feedback");
    assert_eq!(
        point.body["title"],
        "Feedback from Gina Giver: what to do about it"
    );
    // The other participant cannot tell it is there.
    assert_eq!(titles(&app.agenda(&o.manager_token, &m).await), before);
    assert!(
        titles(&app.agenda(&o.report_token, &m).await)
            .contains(&"Feedback from Gina Giver: what to do about it".to_owned())
    );
    // An action item on it, agreed in the 1:1 and done; the point discussed.
    let action = app
        .post(
            &format!("{path}/action-items"),
            &o.report_token,
            &json!({"meeting_id": m, "title": "Rewrite the weekly update template",
                "assignee_id": o.report}),
        )
        .await
        .expect(201);
    app.post(
        &format!("{path}/action-items"),
        &o.report_token,
        &json!({"meeting_id": m, "title": "x", "assignee_id": Uuid::now_v7()}),
    )
    .await
    .expect_problem(422, "validation_failed");
    app.patch(
        &format!("/api/v1/action-items/{}", action.id()),
        &o.report_token,
        &json!({"status": "done"}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/meetings/{m}/agenda-items/{}", point.id()),
        &o.report_token,
        &json!({"checked": true}),
    )
    .await
    .expect(200);
    let mine = app.get(&path, &o.report_token).await.expect(200);
    let follow_up = &mine.body["follow_up"];
    assert!(follow_up["discussed_at"].is_string(), "{}", mine.text);
    assert_eq!(follow_up["action_items_done"], 1);
    assert_eq!(follow_up["talking_points"][0]["meeting_id"], json!(m));
    assert_eq!(follow_up["action_items"][0]["status"], "done");
    let listed = received(&app, &o.report_token).await;
    assert_eq!(listed[0]["follow_up"]["action_items_done"], 1);
    // The manager reads the feedback (shared with them), never its follow-up; nor the giver.
    for token in [&o.manager_token, &giver_token] {
        let r = app.get(&path, token).await.expect(200);
        assert_eq!(r.body["follow_up"], Value::Null, "{}", r.text);
    }
}

#[tokio::test]
async fn a_manager_takes_survey_results_to_each_report_s_next_one_on_one_in_one_call() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (newcomer, _) = app
        .person_with_login("new@example.com", "Newcomer", Some(o.manager))
        .await;
    let now = chrono::Utc::now();
    let survey = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &json!({"name": "Autumn pulse", "population": "everyone",
                "opens_at": now - chrono::Duration::minutes(1),
                "closes_at": now + chrono::Duration::hours(1)}),
        )
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/enps-surveys/{survey}/team-talking-points");
    // Not before the results land; not for someone with no reports.
    app.post(&path, &o.manager_token, &json!({}))
        .await
        .expect_problem(409, "results_not_ready");
    app.post(
        &format!("/api/v1/enps-surveys/{survey}/close"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    app.post(&path, &o.report_token, &json!({}))
        .await
        .expect_problem(403, "forbidden");
    let placed = app
        .post(&path, &o.manager_token, &json!({}))
        .await
        .expect(200);
    let title =
        "Autumn pulse results: what is one thing that would make this a better place to work?";
    assert_eq!(placed.body["talking_point"], title);
    assert_eq!(placed.body["added"][0]["report_id"], json!(o.report));
    assert_eq!(placed.body["added"][0]["meeting_id"], json!(o.meetings[0]));
    assert_eq!(placed.body["without_meeting"], json!([newcomer]));
    // Shared: the report sees it on their next 1:1.
    assert!(titles(&app.agenda(&o.report_token, &o.meetings[0]).await).contains(&title.to_owned()));
    // Twice adds nothing twice.
    let again = app
        .post(&path, &o.manager_token, &json!({}))
        .await
        .expect(200);
    assert_eq!(again.body["added"], json!([]));
    assert_eq!(again.body["already_there"], json!([o.report]));
    let count = titles(&app.agenda(&o.report_token, &o.meetings[0]).await)
        .iter()
        .filter(|t| *t == title)
        .count();
    assert_eq!(count, 1);
}
