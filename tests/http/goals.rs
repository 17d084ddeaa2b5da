//! Goals: set, aligned, updated with history; who sees and edits them; bad input changes nothing.

use oneonone_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

/// boss → manager → report, and a peer of the manager's (under the boss, not in the report's
/// chain): ids and tokens.
struct Org {
    boss: (Uuid, String),
    manager: (Uuid, String),
    report: (Uuid, String),
    peer: (Uuid, String),
}

async fn org(app: &TestApp) -> Org {
    let boss = app.person_with_login("ceo@example.com", "Ceo", None).await;
    let manager = app
        .person_with_login("m@example.com", "Manager", Some(boss.0))
        .await;
    let report = app
        .person_with_login("r@example.com", "Report", Some(manager.0))
        .await;
    let peer = app
        .person_with_login("p@example.com", "Peer", Some(boss.0))
        .await;
    Org {
        boss,
        manager,
        report,
        peer,
    }
}

fn smart(title: &str, extra: Value) -> Value {
    let mut body = json!({
        "title": title,
        "kind": "smart",
        "start_date": "2027-01-01",
        "due_date": "2027-03-31",
        "key_results": [{"title": "p99 checkout latency", "measure": "numeric",
            "start": 800, "target": 200, "unit": "ms"}]
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

fn progress_of(reply: &Reply) -> Vec<i64> {
    reply.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|u| u["progress_percent"].as_i64().expect("percent"))
        .collect()
}

#[tokio::test]
async fn a_goal_keeps_its_history_and_shows_its_alignment() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let company = app
        .post(
            "/api/v1/goals",
            &o.boss.1,
            &json!({"title": "Win the mid-market", "kind": "objective", "visibility": "public",
                "start_date": "2027-01-01", "due_date": "2027-12-31",
                "key_results": [
                    {"title": "New mid-market customers", "measure": "numeric", "start": 0, "target": 40, "unit": "customers"},
                    {"title": "Launch the partner programme", "measure": "milestone"}
                ]}),
        )
        .await
        .expect(201);
    assert_eq!(company.body["progress_percent"], 0);
    // What a create answers is what a read returns (instants at the databases' precision).
    let company_read = app
        .get(&format!("/api/v1/goals/{}", company.id()), &o.peer.1)
        .await
        .expect(200);
    for field in ["created_at", "updated_at", "key_results", "title"] {
        assert_eq!(company_read.body[field], company.body[field], "{field}");
    }
    assert_eq!(company.body["owner_id"], o.boss.0.to_string());
    assert_eq!(
        company.header("location"),
        Some(format!("/api/v1/goals/{}", company.id()).as_str())
    );
    // The manager sets the team's goal under it, and a private one for the report under that.
    let team = app
        .post(
            "/api/v1/goals",
            &o.manager.1,
            &smart(
                "Checkout that never keeps a customer waiting",
                json!({"visibility": "public", "parent_id": company.id()}),
            ),
        )
        .await
        .expect(201);
    let mine = app
        .post(
            "/api/v1/goals",
            &o.manager.1,
            &smart(
                "Cut p99 checkout latency to 200 ms",
                json!({"owner_id": o.report.0, "parent_id": team.id()}),
            ),
        )
        .await
        .expect(201);
    assert_eq!(mine.body["visibility"], "private");
    assert_eq!(mine.body["owner_id"], o.report.0.to_string());
    assert_eq!(mine.body["created_by"], o.manager.0.to_string());
    let kr = mine.body["key_results"][0]["id"].clone();
    let path = format!("/api/v1/goals/{}", mine.id());

    // Progress is derived from the readings (down is progress: 800 → 500 ms is half way), kept
    // in history with who, status and comment.
    let first = app
        .post(
            &format!("{path}/updates"),
            &o.report.1,
            &json!({"readings": [{"key_result_id": kr, "value": 500}], "status": "at_risk",
                "comment": "The cache helped; the database is next."}),
        )
        .await
        .expect(201);
    assert_eq!(first.body["update"]["progress_percent"], 50);
    assert_eq!(first.body["update"]["author_id"], o.report.0.to_string());
    assert_eq!(first.body["goal"]["status"], "at_risk");
    assert_eq!(first.body["goal"]["key_results"][0]["current"], 500.0);
    assert_eq!(first.body["goal"]["parent_id"], team.id().to_string());
    // The skip level (in the owner's chain) updates too; a status-only update keeps progress.
    app.post(
        &format!("{path}/updates"),
        &o.boss.1,
        &json!({"readings": [{"key_result_id": kr, "value": 350}]}),
    )
    .await
    .expect(201);
    app.post(
        &format!("{path}/updates"),
        &o.manager.1,
        &json!({"status": "on_track"}),
    )
    .await
    .expect(201);

    let read = app.get(&path, &o.report.1).await.expect(200);
    assert_eq!(progress_of(&read), [0, 50, 75, 75]);
    let history = read.body["history"].as_array().unwrap();
    let authors: Vec<&str> = history
        .iter()
        .map(|u| u["author_id"].as_str().unwrap())
        .collect();
    let (m, r, b) = (
        o.manager.0.to_string(),
        o.report.0.to_string(),
        o.boss.0.to_string(),
    );
    assert_eq!(authors, [&m, &r, &b, &m]);
    let statuses: Vec<&str> = history
        .iter()
        .map(|u| u["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["on_track", "at_risk", "at_risk", "on_track"]);
    assert_eq!(
        history[1]["comment"],
        "The cache helped; the database is next."
    );
    assert_eq!(history[2]["readings"][0]["value"], 350.0);
    assert!(history[3]["readings"].as_array().unwrap().is_empty());
    let times: Vec<&str> = history
        .iter()
        .map(|u| u["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(read.body["progress_percent"], 75);
    assert_eq!(read.header("etag"), Some("\"v4\""));
    // Alignment: parents nearest first; the team goal's children.
    let parents: Vec<&str> = read.body["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(parents, [team.id().to_string(), company.id().to_string()]);
    let team_read = app
        .get(&format!("/api/v1/goals/{}", team.id()), &o.manager.1)
        .await
        .expect(200);
    assert_eq!(team_read.body["children"][0]["id"], mine.id().to_string());
    assert_eq!(team_read.body["children"][0]["progress_percent"], 75);
    // The peer sees the public goals, not the private child.
    let peer_view = app
        .get(&format!("/api/v1/goals/{}", team.id()), &o.peer.1)
        .await
        .expect(200);
    assert_eq!(peer_view.body["children"], json!([]));
    // Lists: a person's goals, a team's goals (the manager's subtree), children, status.
    let list = |q: &str, token: &str| {
        let (q, token) = (q.to_owned(), token.to_owned());
        let app = &app;
        async move {
            ids(&app
                .get(&format!("/api/v1/goals?{q}"), &token)
                .await
                .expect(200))
        }
    };
    let (c, t, g) = (
        company.id().to_string(),
        team.id().to_string(),
        mine.id().to_string(),
    );
    assert_eq!(list("owner_id=me", &o.report.1).await, [g.as_str()]);
    assert_eq!(
        list("team_of=me", &o.manager.1).await,
        [t.clone(), g.clone()]
    );
    assert_eq!(
        list(&format!("team_of={}", o.boss.0), &o.boss.1).await,
        [c.clone(), t.clone(), g.clone()]
    );
    assert_eq!(
        list(&format!("team_of={}", o.boss.0), &o.peer.1).await,
        [c.clone(), t.clone()]
    );
    assert_eq!(
        list(&format!("parent_id={}", team.id()), &o.boss.1).await,
        [g.as_str()]
    );
    assert_eq!(list("status=on_track", &o.peer.1).await, [c, t]);
    // Paging goes through every goal once.
    let page = app
        .get(
            &format!("/api/v1/goals?team_of={}&limit=2", o.boss.0),
            &o.boss.1,
        )
        .await
        .expect(200);
    let cursor = page.body["next_cursor"].as_str().expect("a next page");
    let rest = app
        .get(
            &format!("/api/v1/goals?team_of={}&limit=2&cursor={cursor}", o.boss.0),
            &o.boss.1,
        )
        .await
        .expect(200);
    assert_eq!(ids(&rest), [g]);
    assert!(rest.body["next_cursor"].is_null());
}

#[tokio::test]
async fn private_goals_reach_the_owner_their_chain_hr_and_goal_tokens_alone() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let goal = app
        .post("/api/v1/goals", &o.report.1, &smart("Private", json!({})))
        .await
        .expect(201);
    let kr = goal.body["key_results"][0]["id"].clone();
    let public = app
        .post(
            "/api/v1/goals",
            &o.peer.1,
            &smart("Public", json!({"visibility": "public"})),
        )
        .await
        .expect(201);
    let path = format!("/api/v1/goals/{}", goal.id());
    let (_, goals_token) = app.api_token(&["goals:read"]).await;
    let (_, other_token) = app
        .api_token(&["people:write", "meetings:write", "reports:read"])
        .await;

    // Reading.
    for token in [
        &o.report.1,
        &o.manager.1,
        &o.boss.1,
        &app.admin_token,
        &goals_token,
    ] {
        app.get(&path, token).await.expect(200);
    }
    app.get(&path, &o.peer.1)
        .await
        .expect_problem(404, "not_found");
    app.get(&path, &other_token)
        .await
        .expect_problem(403, "forbidden");
    app.get("/api/v1/goals", &other_token)
        .await
        .expect_problem(403, "forbidden");
    let listed = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move { ids(&app.get("/api/v1/goals", &token).await.expect(200)) }
    };
    let (p, g) = (public.id().to_string(), goal.id().to_string());
    assert_eq!(listed(&o.peer.1).await, [p.as_str()]);
    assert_eq!(listed(&o.boss.1).await, [g.clone(), p.clone()]);
    assert_eq!(listed(&app.admin_token).await, [g.clone(), p.clone()]);
    assert_eq!(listed(&goals_token).await, [g.clone(), p]);

    // Changing: the owner and their chain; not HR, not a peer (404: it does not exist for them,
    // whatever the body), not a token.
    let patch = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &app;
        let path = path.clone();
        async move {
            app.send(
                app.request(Method::PATCH, &path, Some(&token))
                    .header("content-type", "application/merge-patch+json")
                    .body(body.to_string()),
            )
            .await
        }
    };
    patch(&o.report.1, json!({"title": "Mine"}))
        .await
        .expect(200);
    patch(&o.boss.1, json!({"due_date": "2027-04-30"}))
        .await
        .expect(200);
    patch(&app.admin_token, json!({"title": "HR's"}))
        .await
        .expect_problem(403, "forbidden");
    patch(&o.peer.1, json!({"title": "Peer's"}))
        .await
        .expect_problem(404, "not_found");
    patch(&o.peer.1, json!({"no_such_field": 1}))
        .await
        .expect_problem(404, "not_found");
    patch(&goals_token, json!({"title": "Token's"}))
        .await
        .expect_problem(403, "forbidden");
    let update = json!({"readings": [{"key_result_id": kr, "value": 500}]});
    app.post(&format!("{path}/updates"), &o.manager.1, &update)
        .await
        .expect(201);
    app.post(&format!("{path}/updates"), &app.admin_token, &update)
        .await
        .expect_problem(403, "forbidden");
    app.post(&format!("{path}/updates"), &o.peer.1, &update)
        .await
        .expect_problem(404, "not_found");
    app.post(&format!("{path}/updates"), &goals_token, &update)
        .await
        .expect_problem(403, "forbidden");
    // Setting a goal for someone outside your subtree is refused.
    app.post(
        "/api/v1/goals",
        &o.peer.1,
        &smart("For you", json!({"owner_id": o.report.0})),
    )
    .await
    .expect_problem(403, "forbidden");
    app.post(
        "/api/v1/goals",
        &app.admin_token,
        &smart("HR's own", json!({})),
    )
    .await
    .expect(201);
    let read = app.get(&path, &o.report.1).await.expect(200);
    assert_eq!(read.body["title"], "Mine");
    assert_eq!(read.body["due_date"], "2027-04-30");
    assert_eq!(progress_of(&read), [0, 50]);

    // The change feed: the owner and their manager follow the private goal; the peer and a
    // goals:read token only the public one.
    let id = goal.id().to_string();
    let goal_changes = |changes: &[Value]| -> Vec<String> {
        changes
            .iter()
            .filter(|c| c["resource"] == "goal")
            .map(|c| c["resource_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    for token in [&o.report.1, &o.manager.1] {
        let (seen, _) = app
            .follow_until(token, None, |c| goal_changes(c).contains(&id))
            .await;
        assert!(goal_changes(&seen).contains(&id));
        assert!(
            seen.iter()
                .all(|c| !c["data"].to_string().contains("Private"))
        );
    }
    let public_id = public.id().to_string();
    for token in [&o.peer.1, &goals_token] {
        let (seen, _) = app
            .follow_until(token, None, |c| goal_changes(c).contains(&public_id))
            .await;
        let seen = goal_changes(&seen);
        assert!(seen.contains(&public_id), "{seen:?}");
        assert!(!seen.contains(&id), "{seen:?}");
    }
}

#[tokio::test]
async fn bad_goals_and_updates_are_problems_that_change_nothing() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let top = app
        .post(
            "/api/v1/goals",
            &o.manager.1,
            &smart("Top", json!({"visibility": "public"})),
        )
        .await
        .expect(201);
    let below = app
        .post(
            "/api/v1/goals",
            &o.manager.1,
            &smart("Below", json!({"parent_id": top.id()})),
        )
        .await
        .expect(201);
    let token = &o.manager.1;
    let fields = |reply: Reply| -> Vec<String> {
        let reply = reply.expect_problem(422, "validation_failed");
        reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let create = |body: Value| {
        let app = &app;
        async move { app.post("/api/v1/goals", token, &body).await }
    };
    let two = json!({"key_results": [
        {"title": "a", "measure": "milestone"}, {"title": "b", "measure": "milestone"}]});
    assert_eq!(fields(create(smart("Two", two)).await), ["key_results"]);
    assert_eq!(
        fields(
            create(smart(
                "",
                json!({"due_date": "2026-12-31", "description": "x".repeat(5001)})
            ))
            .await
        ),
        ["title", "description", "due_date"]
    );
    let numeric = |kr: Value| smart("Numeric", json!({"key_results": [kr]}));
    assert_eq!(
        fields(
            create(numeric(
                json!({"title": "t", "measure": "numeric", "start": 1})
            ))
            .await
        ),
        ["key_results[0].target", "key_results[0].unit"]
    );
    assert_eq!(
        fields(
            create(numeric(
                json!({"title": "t", "measure": "numeric", "start": 1, "target": 1, "unit": "x"})
            ))
            .await
        ),
        ["key_results[0]"]
    );
    assert_eq!(
        fields(
            create(numeric(
                json!({"title": "t", "measure": "milestone", "done": true, "unit": "x"})
            ))
            .await
        ),
        ["key_results[0].unit"]
    );
    let objective = json!({"kind": "objective", "key_results": (0..11)
        .map(|i| json!({"title": format!("kr {i}"), "measure": "milestone"}))
        .collect::<Vec<_>>()});
    app.post("/api/v1/goals", token, &smart("Eleven", objective))
        .await
        .expect_problem(422, "validation_failed");
    create(smart("Orphan", json!({"parent_id": Uuid::now_v7()})))
        .await
        .expect_problem(422, "unknown_reference");
    create(smart("Nobody's", json!({"owner_id": Uuid::now_v7()})))
        .await
        .expect_problem(422, "unknown_reference");
    create(smart("Typo", json!({"kind": "okr"})))
        .await
        .expect_problem(422, "validation_failed");
    // A private goal of someone else's is unknown as a parent, like one that does not exist.
    let secret = app
        .post("/api/v1/goals", &o.peer.1, &smart("Secret", json!({})))
        .await
        .expect(201);
    create(smart("Under a secret", json!({"parent_id": secret.id()})))
        .await
        .expect_problem(422, "unknown_reference");

    // Updates.
    let path = format!("/api/v1/goals/{}", below.id());
    let kr = below.body["key_results"][0]["id"].clone();
    let progress = |body: Value| {
        let app = &app;
        let path = path.clone();
        async move { app.post(&format!("{path}/updates"), token, &body).await }
    };
    assert_eq!(fields(progress(json!({})).await), ["readings"]);
    assert_eq!(
        fields(
            progress(json!({"readings": [{"key_result_id": Uuid::now_v7(), "value": 1}]})).await
        ),
        ["readings[0].key_result_id"]
    );
    assert_eq!(
        fields(progress(json!({"readings": [{"key_result_id": kr, "done": true}]})).await),
        ["readings[0]"]
    );
    assert_eq!(
        fields(
            progress(json!({"readings": [{"key_result_id": kr, "value": 1, "done": true}]})).await
        ),
        ["readings[0]"]
    );
    assert_eq!(
        fields(
            progress(json!({"readings": [{"key_result_id": kr, "value": 1}, {"key_result_id": kr, "value": 2}]}))
                .await
        ),
        ["readings[1].key_result_id"]
    );
    progress(json!({"status": "finished"}))
        .await
        .expect_problem(422, "validation_failed");
    // A loop in the alignment, and a stale version.
    let patch_top = |body: Value, etag: &str| {
        let app = &app;
        let path = format!("/api/v1/goals/{}", top.id());
        let etag = etag.to_owned();
        async move {
            app.send_if_match(Method::PATCH, &path, token, &etag, Some(body))
                .await
        }
    };
    assert_eq!(
        fields(patch_top(json!({"parent_id": below.id()}), "*").await),
        ["parent_id"]
    );
    assert_eq!(
        fields(patch_top(json!({"parent_id": top.id()}), "*").await),
        ["parent_id"]
    );
    patch_top(json!({"title": "Stale"}), "\"v9\"")
        .await
        .expect_problem(412, "precondition_failed");
    app.send_if_match(
        Method::POST,
        &format!("{path}/updates"),
        token,
        "\"v9\"",
        Some(json!({"status": "done"})),
    )
    .await
    .expect_problem(412, "precondition_failed");

    // Nothing changed.
    let after = app.get(&path, token).await.expect(200);
    assert_eq!(progress_of(&after), [0]);
    assert_eq!(after.body["status"], "on_track");
    let top_after = app
        .get(&format!("/api/v1/goals/{}", top.id()), token)
        .await
        .expect(200);
    assert_eq!(top_after.body["title"], "Top");
    assert!(top_after.body["parent_id"].is_null());
    assert_eq!(top_after.header("etag"), Some("\"v1\""));
    assert_eq!(
        ids(&app
            .get("/api/v1/goals?owner_id=me", token)
            .await
            .expect(200))
        .len(),
        2
    );
    app.get("/api/v1/goals?owner_id=someone", token)
        .await
        .expect_problem(400, "invalid_query");
}

#[tokio::test]
async fn the_meeting_page_shows_the_pairs_goals_and_a_discussed_goal_remembers_the_1_1() {
    let app = spawn_app().await;
    let o = app.one_on_one().await;
    let (_, peer_token) = app.person_with_login("p@example.com", "Peer", None).await;
    let set = |token: &str, title: &str, extra: Value| {
        let token = token.to_owned();
        let body = smart(title, extra);
        let app = &app;
        async move { app.post("/api/v1/goals", &token, &body).await.expect(201) }
    };
    let status = |goal: &Reply, token: &str, status: &str, comment: &str| {
        let path = format!("/api/v1/goals/{}/updates", goal.id());
        let (token, body) = (
            token.to_owned(),
            json!({"status": status, "comment": comment}),
        );
        let app = &app;
        async move { app.post(&path, &token, &body).await.expect(201) }
    };
    let report_private = set(&o.report_token, "Report private", json!({})).await;
    status(
        &report_private,
        &o.report_token,
        "off_track",
        "Blocked on the schema freeze.",
    )
    .await;
    set(
        &o.report_token,
        "Report public",
        json!({"visibility": "public", "due_date": "2027-02-01"}),
    )
    .await;
    let manager_private = set(&o.manager_token, "Manager private", json!({})).await;
    let manager_public = set(
        &o.manager_token,
        "Manager public",
        json!({"visibility": "public"}),
    )
    .await;
    status(
        &manager_public,
        &o.manager_token,
        "at_risk",
        "Hiring is slow.",
    )
    .await;
    let finished = set(&o.report_token, "Finished", json!({})).await;
    status(&finished, &o.report_token, "done", "Shipped.").await;
    let peers = set(&peer_token, "Peer public", json!({"visibility": "public"})).await;

    let meeting = &o.meetings[0];
    let page = |token: &str| {
        let path = format!("/api/v1/meetings/{meeting}");
        let token = token.to_owned();
        let app = &app;
        async move { app.get(&path, &token).await.expect(200) }
    };
    let titles_on = |reply: &Reply| -> Vec<String> {
        reply.body["content"]["goals"]
            .as_array()
            .expect("goals on the page")
            .iter()
            .map(|g| g["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    // Off track, then at risk, then on track by due date; the manager sees the report's private
    // goal (they are in its owner's chain), the report not the manager's.
    let manager_page = page(&o.manager_token).await;
    assert_eq!(
        titles_on(&manager_page),
        [
            "Report private",
            "Manager public",
            "Report public",
            "Manager private"
        ]
    );
    let first = &manager_page.body["content"]["goals"][0];
    assert_eq!(first["status"], "off_track");
    assert_eq!(
        first["last_update"]["comment"],
        "Blocked on the schema freeze."
    );
    assert_eq!(first["last_update"]["author_id"], o.report.to_string());
    assert_eq!(
        titles_on(&page(&o.report_token).await),
        ["Report private", "Manager public", "Report public"]
    );
    assert!(!page(&o.report_token).await.text.contains("Manager private"));

    // Talking points about goals.
    let items = format!("/api/v1/meetings/{meeting}/agenda-items");
    let about = app
        .post(
            &items,
            &o.report_token,
            &json!({"goal_id": report_private.id()}),
        )
        .await
        .expect(201);
    assert_eq!(about.body["title"], "Report private");
    assert_eq!(about.body["category"], "goals");
    assert_eq!(about.body["goal_id"], report_private.id().to_string());
    // A shared point may not point at a goal the other participant cannot read; a private one
    // may; a goal of neither participant, or none at all, is the same 422.
    let refused = app
        .post(
            &items,
            &o.manager_token,
            &json!({"goal_id": manager_private.id()}),
        )
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "goal_id");
    let private_point = app
        .post(
            &items,
            &o.manager_token,
            &json!({"goal_id": manager_private.id(), "private": true, "title": "Raise my goal"}),
        )
        .await
        .expect(201);
    // The report sees no trace of the manager's private point about the manager's goal: not in
    // the agenda, not on the page.
    let their_agenda = app.get(&items, &o.report_token).await.expect(200);
    assert!(!their_agenda.text.contains("Raise my goal"));
    assert!(!ids(&their_agenda).contains(&private_point.id().to_string()));
    assert!(
        !page(&o.report_token)
            .await
            .text
            .contains(&private_point.id().to_string())
    );
    for goal in [peers.id(), Uuid::now_v7()] {
        let reply = app
            .post(&items, &o.report_token, &json!({"goal_id": goal}))
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], "goal_id");
        assert_eq!(reply.body["errors"][0]["message"], refused_unknown());
    }
    for (item, token) in [
        (about.id(), &o.manager_token),
        (private_point.id(), &o.manager_token),
    ] {
        app.patch(&format!("{items}/{item}"), token, &json!({"checked": true}))
            .await
            .expect(200);
    }
    app.post(
        &format!("/api/v1/meetings/{meeting}/complete"),
        &o.manager_token,
        &json!({}),
    )
    .await
    .expect(200);
    // The shared point's goal remembers the 1:1; the private point's goal does not (the report
    // must not learn of a private point through it).
    let discussed = app
        .get(
            &format!("/api/v1/goals/{}", report_private.id()),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(
        discussed.body["last_discussed_meeting_id"],
        meeting.as_str()
    );
    assert!(discussed.body["last_discussed_at"].is_string());
    let untouched = app
        .get(
            &format!("/api/v1/goals/{}", manager_private.id()),
            &o.manager_token,
        )
        .await
        .expect(200);
    assert!(untouched.body["last_discussed_meeting_id"].is_null());
    let next_page = app
        .get(
            &format!("/api/v1/meetings/{}", o.meetings[1]),
            &o.report_token,
        )
        .await
        .expect(200);
    assert_eq!(
        next_page.body["content"]["goals"][0]["last_discussed_meeting_id"],
        meeting.as_str()
    );

    // A skip-level 1:1: the skip level is in the report's chain (two levels up) and sees their
    // private goal; the report does not see the skip level's.
    let boss = app
        .get("/api/v1/me", &o.skip_level_token)
        .await
        .expect(200)
        .id();
    set(&o.skip_level_token, "Boss private", json!({})).await;
    let skip = app
        .post(
            "/api/v1/meetings",
            &o.skip_level_token,
            &json!({"manager_id": boss, "report_id": o.report,
                "starts_at": "2030-06-01T10:00:00Z", "kind": "skip_level"}),
        )
        .await
        .expect(201)
        .id();
    let seen_by = |token: &str| {
        let (path, token) = (format!("/api/v1/meetings/{skip}"), token.to_owned());
        let app = &app;
        async move { titles_on(&app.get(&path, &token).await.expect(200)) }
    };
    let boss_sees = seen_by(&o.skip_level_token).await;
    assert!(
        boss_sees.contains(&"Report private".to_owned()),
        "{boss_sees:?}"
    );
    assert!(
        boss_sees.contains(&"Boss private".to_owned()),
        "{boss_sees:?}"
    );
    let report_sees = seen_by(&o.report_token).await;
    assert!(
        report_sees.contains(&"Report private".to_owned()),
        "{report_sees:?}"
    );
    assert!(
        !report_sees.contains(&"Boss private".to_owned()),
        "{report_sees:?}"
    );
}

fn refused_unknown() -> &'static str {
    "no such goal of yours or the other participant's"
}

#[tokio::test]
async fn concurrent_progress_updates_all_join_the_history() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let goal = app
        .post("/api/v1/goals", &o.report.1, &smart("Busy", json!({})))
        .await
        .expect(201);
    let kr = goal.body["key_results"][0]["id"].clone();
    let path = format!("/api/v1/goals/{}/updates", goal.id());
    // Without If-Match, updates at the same moment queue: none fails as if it were stale.
    let updates = (0..12).map(|i| {
        let (path, kr) = (path.clone(), kr.clone());
        let token = if i % 2 == 0 {
            &o.report.1
        } else {
            &o.manager.1
        };
        let app = &app;
        async move {
            app.post(
                &path,
                token,
                &json!({"readings": [{"key_result_id": kr, "value": 700 - i * 10}]}),
            )
            .await
        }
    });
    for reply in futures_util::future::join_all(updates).await {
        reply.expect(201);
    }
    let read = app
        .get(&format!("/api/v1/goals/{}", goal.id()), &o.report.1)
        .await
        .expect(200);
    assert_eq!(read.body["history"].as_array().unwrap().len(), 13);
    assert_eq!(read.header("etag"), Some("\"v13\""));
}

/// A server keeps goals' histories between reads; another replica's update, a change of
/// visibility or a deactivated reader is seen at once all the same: every read checks the
/// goal's version, the reader and the policy in the database.
#[tokio::test]
async fn a_replica_never_serves_a_goal_history_or_a_goal_stale() {
    let app = spawn_app().await;
    let o = org(&app).await;
    let replica = app.replica(|_| {}).await;
    let goal = app
        .post(
            "/api/v1/goals",
            &o.report.1,
            &smart("Cached", json!({"visibility": "public"})),
        )
        .await
        .expect(201);
    let kr = goal.body["key_results"][0]["id"].clone();
    let on_replica = |token: &str| {
        let req = app
            .client
            .get(format!("{}/api/v1/goals/{}", replica.base, goal.id()))
            .bearer_auth(token);
        app.send(req)
    };
    // Read twice on the replica: the second answer comes from its copy, and is the same.
    let first = on_replica(&o.peer.1).await.expect(200);
    let again = on_replica(&o.peer.1).await.expect(200);
    assert_eq!(first.body, again.body);
    assert_eq!(progress_of(&again), [0]);
    // An update through the other server shows on the replica's next read.
    app.post(
        &format!("/api/v1/goals/{}/updates", goal.id()),
        &o.report.1,
        &json!({"readings": [{"key_result_id": kr, "value": 500}], "comment": "Halfway"}),
    )
    .await
    .expect(201);
    let after = on_replica(&o.manager.1).await.expect(200);
    assert_eq!(progress_of(&after), [0, 50]);
    assert_eq!(after.body["history"][1]["comment"], "Halfway");
    assert_eq!(after.header("etag"), Some("\"v2\""));
    assert_eq!(after.body["parents"], json!([]));
    // Aligned through the other server: the replica, which knew it without a parent, shows
    // the chain.
    let team = app
        .post(
            "/api/v1/goals",
            &o.manager.1,
            &smart("Team", json!({"visibility": "public"})),
        )
        .await
        .expect(201);
    app.patch(
        &format!("/api/v1/goals/{}", goal.id()),
        &o.report.1,
        &json!({"parent_id": team.id()}),
    )
    .await
    .expect(200);
    let aligned = on_replica(&o.peer.1).await.expect(200);
    assert_eq!(aligned.body["parents"][0]["id"], team.id().to_string());
    assert_eq!(aligned.body["parent_id"], team.id().to_string());
    assert_eq!(progress_of(&aligned), [0, 50]);
    // Made private: the peer, who read it a moment ago, gets 404 from the replica.
    app.patch(
        &format!("/api/v1/goals/{}", goal.id()),
        &o.report.1,
        &json!({"visibility": "private"}),
    )
    .await
    .expect(200);
    on_replica(&o.peer.1).await.expect_problem(404, "not_found");
    let chain = on_replica(&o.boss.1).await.expect(200);
    assert_eq!(progress_of(&chain), [0, 50]);
    // A deactivated reader is refused, however fresh the copy.
    on_replica(&o.report.1).await.expect(200);
    app.patch(
        &format!("/api/v1/people/{}", o.report.0),
        &app.admin_token,
        &json!({"active": false}),
    )
    .await
    .expect(200);
    on_replica(&o.report.1).await.expect(401);
}
