//! The contract: committed, served byte for byte, complete.

use oneonone_tests::*;

const COMMITTED: &str = include_str!("../../openapi/openapi.json");

#[test]
fn committed_spec_is_current() {
    let generated = oneonone_api::openapi::spec_json();
    assert!(
        generated == COMMITTED,
        "openapi/openapi.json is stale: run `make openapi` and commit the result"
    );
}

#[tokio::test]
async fn server_serves_the_committed_spec_and_swagger_ui() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), COMMITTED);
    let docs = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let redirect = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), 308);
}

#[test]
fn every_operation_is_secured_documented_and_has_examples() {
    let spec: serde_json::Value = serde_json::from_str(COMMITTED).unwrap();
    assert_eq!(spec["security"][0]["bearer"], serde_json::json!([]));
    let paths = spec["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} documents no success"
            );
            let public = op["security"] == serde_json::json!([{}]);
            if path.starts_with("/api/v1") {
                let statuses: &[&str] = if public {
                    &["400", "503"]
                } else {
                    &["400", "401", "403", "503"]
                };
                for status in statuses {
                    assert!(
                        responses.contains_key(*status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("422"), "{method} {path} lacks 422");
            }
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{method} {path} untagged"
            );
        }
    }
    for name in [
        "PersonIn",
        "PersonOut",
        "LoginRequest",
        "ImportRequest",
        "Problem",
    ] {
        assert!(
            spec["components"]["schemas"][name]["example"].is_object(),
            "{name} has no example"
        );
    }
}

/// The contract's schemas, compiled once per response: status and body of every real response
/// are checked against what the spec declares for that operation.
struct Contract {
    spec: serde_json::Value,
    validators: std::collections::HashMap<(String, String), jsonschema::Validator>,
}

impl Contract {
    fn new() -> Self {
        Self {
            spec: serde_json::from_str(COMMITTED).unwrap(),
            validators: Default::default(),
        }
    }

    /// The template of the spec's GET path that `path` (without its query) instantiates.
    fn template(&self, path: &str) -> String {
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, String)> = None;
        for template in self.spec["paths"].as_object().unwrap().keys() {
            let t: Vec<&str> = template.split('/').collect();
            if t.len() != segments.len()
                || !t
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
            {
                continue;
            }
            let literal = t.iter().filter(|t| !t.starts_with('{')).count();
            if best.as_ref().is_none_or(|(l, _)| literal > *l) {
                best = Some((literal, template.clone()));
            }
        }
        best.unwrap_or_else(|| panic!("{path} is in no path of the contract"))
            .1
    }

    /// Assert that `reply` to `GET path` is a documented status with a body its schema allows.
    fn check(&mut self, path: &str, reply: &Reply) {
        let template = self.template(path.split('?').next().unwrap());
        let status = reply.status.as_u16().to_string();
        // The body is checked against the schema of the media type it came as (an export is
        // CSV or NDJSON), else of the response's first.
        let media_type = reply
            .header("content-type")
            .and_then(|t| t.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let key = (template.clone(), format!("{status} {media_type}"));
        if !self.validators.contains_key(&key) {
            let mut response = self.spec["paths"][&template]["get"]["responses"][&status].clone();
            assert!(
                !response.is_null(),
                "GET {template} answered {status}, which the contract does not document: {}",
                reply.text
            );
            if let Some(r) = response["$ref"].as_str() {
                let name = r.rsplit('/').next().unwrap();
                response = self.spec["components"]["responses"][name].clone();
            }
            let content = response["content"].as_object().cloned().unwrap_or_default();
            let media = content
                .get(&media_type)
                .cloned()
                .or_else(|| content.values().next().cloned())
                .unwrap_or_else(|| panic!("GET {template} {status} declares no body"));
            let mut schema = media["schema"].clone();
            // The response's schema as the root, with the spec's components beside it, so its
            // `#/components/schemas/...` references resolve.
            if let Some(obj) = schema.as_object_mut() {
                obj.insert("components".into(), self.spec["components"].clone());
            }
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(&schema)
                .unwrap_or_else(|e| panic!("schema of GET {template} {status}: {e}"));
            self.validators.insert(key.clone(), validator);
        }
        // A text body (`/metrics`) is checked as the string it is.
        let body = match (&reply.body, reply.text.is_empty()) {
            (serde_json::Value::Null, false) => serde_json::Value::String(reply.text.clone()),
            (body, _) => body.clone(),
        };
        let errors = self.errors(&key, &body);
        assert!(
            errors.is_empty(),
            "GET {path} ({status}) does not match the contract: {errors:?}\n{}",
            reply.text
        );
    }
}

impl Contract {
    fn errors(&self, key: &(String, String), body: &serde_json::Value) -> Vec<String> {
        self.validators[key]
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect()
    }
}

fn ids(body: &serde_json::Value, n: usize) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .take(n)
                .collect()
        })
        .unwrap_or_default()
}

/// On the seeded demo organisation, as the HR admin, a manager and an employee: every GET of the
/// contract, with ids followed from the collections, answers a documented status with a body
/// its schema allows (formats included). Every GET path is reached with a 2xx by someone.
#[tokio::test]
async fn real_responses_on_the_demo_organisation_match_the_contract() {
    let app = spawn_app().await;
    oneonone_api::seed::demo(&app.db).await.unwrap();
    oneonone_api::seed::history(&app.db, 2, "Europe/Berlin", None)
        .await
        .unwrap();
    let mut contract = Contract::new();
    let mut reached: std::collections::HashSet<String> = Default::default();
    let hr = app
        .login(
            oneonone_api::seed::DEMO_LOGINS[0].0,
            oneonone_api::seed::DEMO_PASSWORD,
        )
        .await
        .expect(200);
    let hr_token = hr.body["access_token"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/api-tokens",
        &hr_token,
        &serde_json::json!({"name": "Contract check", "scopes": ["people:read", "meetings:read"]}),
    )
    .await
    .expect(201);
    // A webhook subscription with a delivery (to a port nobody listens on), so both can be read.
    let hook = app
        .post(
            "/api/v1/webhooks",
            &hr_token,
            &serde_json::json!({"url": "http://127.0.0.1:9/contract", "event_types": ["meeting.*"]}),
        )
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/webhooks/{hook}/ping"),
        &hr_token,
        &serde_json::json!({}),
    )
    .await
    .expect(202);
    // An action item, so that one can be read.
    let employee = app
        .login(
            oneonone_api::seed::DEMO_LOGINS[2].0,
            oneonone_api::seed::DEMO_PASSWORD,
        )
        .await
        .expect(200);
    let employee_token = employee.body["access_token"].as_str().unwrap().to_owned();
    let employee_id = employee.body["person_id"].as_str().unwrap().to_owned();
    let first = app
        .get("/api/v1/meetings?participant=me&limit=1", &employee_token)
        .await
        .expect(200);
    let meeting = ids(&first.body, 1)
        .pop()
        .expect("the demo employee has 1:1s");
    app.post(
        &format!("/api/v1/meetings/{meeting}/action-items"),
        &employee_token,
        &serde_json::json!({"title": "Draft the RFC", "assignee_id": employee_id, "due_date": "2030-01-15"}),
    )
    .await
    .expect(201);
    // Feedback: the employee thanks their skip-level manager and asks them for feedback.
    let grace = app
        .login(
            oneonone_api::seed::DEMO_LOGINS[1].0,
            oneonone_api::seed::DEMO_PASSWORD,
        )
        .await
        .expect(200);
    let grace_id = grace.body["person_id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/feedback",
        &employee_token,
        &serde_json::json!({"recipient_id": grace_id, "kind": "recognition",
            "body": "Thanks for the mentoring hour!"}),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/feedback-requests",
        &employee_token,
        &serde_json::json!({"question": "What should I focus on next quarter?",
            "respondent_ids": [grace_id], "due_date": "2099-01-01"}),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/escalations",
        &app.admin_token,
        &serde_json::json!({"person_id": grace_id, "kind": "pip", "occurred_on": "2026-01-15",
            "external_ref": "HR-1"}),
    )
    .await
    .expect(201);
    for (email, _) in oneonone_api::seed::DEMO_LOGINS {
        let login = app
            .login(email, oneonone_api::seed::DEMO_PASSWORD)
            .await
            .expect(200);
        let token = login.body["access_token"].as_str().unwrap().to_owned();
        let me = login.body["person_id"].as_str().unwrap().to_owned();
        // Each demo person subscribes a calendar app to their feed.
        let feed = app
            .post("/api/v1/me/calendar-feed", &token, &serde_json::json!({}))
            .await
            .expect(201);
        let feed_url = feed.body["url"].as_str().unwrap().to_owned();
        let feed_path = feed_url[feed_url.find("/api/v1/").unwrap()..].to_owned();
        // …and posts their reminders to Slack (a port nobody listens on), with a test message.
        let chat = app
            .post(
                "/api/v1/chat-destinations",
                &token,
                &serde_json::json!({"platform": "slack", "url": "http://127.0.0.1:9/chat"}),
            )
            .await
            .expect(201)
            .id();
        app.post(
            &format!("/api/v1/chat-destinations/{chat}/test"),
            &token,
            &serde_json::json!({}),
        )
        .await
        .expect(202);
        let get = |path: String| {
            let token = token.clone();
            let app = &app;
            async move {
                let reply = app.get(&path, &token).await;
                (path, reply)
            }
        };
        let mut seen: Vec<(String, Reply)> = Vec::new();
        for path in [
            "/healthz".to_owned(),
            "/readyz".to_owned(),
            "/metrics".to_owned(),
            "/api/v1/me".to_owned(),
            "/api/v1/people?limit=200".to_owned(),
            "/api/v1/api-tokens".to_owned(),
            "/api/v1/meeting-series?limit=200".to_owned(),
            "/api/v1/meetings?participant=me&limit=200".to_owned(),
            "/api/v1/meetings?limit=20&status=completed".to_owned(),
            "/api/v1/action-items?limit=200".to_owned(),
            "/api/v1/action-items?assignee=me&status=open".to_owned(),
            "/api/v1/conversation-starters?limit=200".to_owned(),
            "/api/v1/agenda-templates".to_owned(),
            "/api/v1/changes?limit=200".to_owned(),
            "/api/v1/goals?limit=200".to_owned(),
            "/api/v1/checkin-cycles".to_owned(),
            "/api/v1/checkins?limit=200".to_owned(),
            "/api/v1/enps-surveys".to_owned(),
            "/api/v1/webhooks".to_owned(),
            "/api/v1/webhook-event-types".to_owned(),
            "/api/v1/job-queue".to_owned(),
            "/api/v1/me/notification-settings".to_owned(),
            "/api/v1/me/calendar-feed".to_owned(),
            "/api/v1/chat-destinations".to_owned(),
            "/api/v1/feedback?role=given".to_owned(),
            "/api/v1/feedback".to_owned(),
            "/api/v1/recognitions".to_owned(),
            "/api/v1/feedback-counts".to_owned(),
            "/api/v1/feedback-requests".to_owned(),
            "/api/v1/feedback-requests?role=asked".to_owned(),
            "/api/v1/escalations".to_owned(),
            "/api/v1/reports/escalations?from=2026-01-01".to_owned(),
            "/api/v1/attention?limit=200".to_owned(),
            "/api/v1/reports/program?weekly=true".to_owned(),
            "/api/v1/exports/meetings?format=csv".to_owned(),
            "/api/v1/exports/action-items?format=csv".to_owned(),
            "/api/v1/exports/program?format=csv".to_owned(),
            format!("/api/v1/chat-destinations/{chat}"),
            feed_path.clone(),
            // The page of the unsubscribe link in this person's emails.
            format!(
                "/api/v1/unsubscribe/{}",
                oneonone_usecases::notify::LinkKeys::new(JWT_SECRET.as_bytes()).token(
                    me.parse().unwrap(),
                    oneonone_domain::notify::EmailKind::MeetingReminder
                )
            ),
        ] {
            seen.push(get(path).await);
        }
        let body_of = |seen: &[(String, Reply)], prefix: &str| {
            seen.iter()
                .find(|(p, _)| p.starts_with(prefix))
                .map(|(_, r)| r.body.clone())
                .unwrap_or_default()
        };
        let mut people = ids(&body_of(&seen, "/api/v1/people"), 4);
        people.push(me.clone());
        let series = ids(&body_of(&seen, "/api/v1/meeting-series"), 3);
        let mut meetings = ids(&body_of(&seen, "/api/v1/meetings?participant"), 3);
        meetings.extend(ids(&body_of(&seen, "/api/v1/meetings?limit"), 3));
        let actions = ids(&body_of(&seen, "/api/v1/action-items?limit"), 3);
        let tokens = ids(&body_of(&seen, "/api/v1/api-tokens"), 2);
        let starters = ids(&body_of(&seen, "/api/v1/conversation-starters"), 2);
        let goals = ids(&body_of(&seen, "/api/v1/goals"), 3);
        let cycles = ids(&body_of(&seen, "/api/v1/checkin-cycles"), 2);
        let checkins = ids(&body_of(&seen, "/api/v1/checkins"), 3);
        let templates = ids(&body_of(&seen, "/api/v1/agenda-templates"), 2);
        let surveys = ids(&body_of(&seen, "/api/v1/enps-surveys"), 2);
        let hooks = ids(&body_of(&seen, "/api/v1/webhooks"), 2);
        let mut next = Vec::new();
        for id in ids(&body_of(&seen, "/api/v1/recognitions"), 2) {
            next.push(format!("/api/v1/feedback/{id}"));
        }
        for id in ids(&body_of(&seen, "/api/v1/escalations"), 2) {
            next.push(format!("/api/v1/escalations/{id}"));
        }
        for id in ids(&body_of(&seen, "/api/v1/feedback-requests"), 2) {
            next.push(format!("/api/v1/feedback-requests/{id}"));
        }
        for id in &hooks {
            next.push(format!("/api/v1/webhooks/{id}"));
            let deliveries = app
                .get(&format!("/api/v1/webhooks/{id}/deliveries"), &token)
                .await;
            for delivery in ids(&deliveries.body, 2) {
                next.push(format!("/api/v1/webhooks/{id}/deliveries/{delivery}"));
            }
            next.push(format!("/api/v1/webhooks/{id}/deliveries"));
        }
        for id in &surveys {
            next.push(format!("/api/v1/enps-surveys/{id}"));
            next.push(format!("/api/v1/enps-surveys/{id}/results"));
            next.push(format!("/api/v1/enps-surveys/{id}/comments"));
        }
        for id in &people {
            next.push(format!("/api/v1/people/{id}"));
            next.push(format!("/api/v1/people/{id}/direct-reports"));
            next.push(format!("/api/v1/people/{id}/cadence-recommendation"));
        }
        next.extend(
            series
                .iter()
                .map(|id| format!("/api/v1/meeting-series/{id}")),
        );
        next.extend(
            actions
                .iter()
                .map(|id| format!("/api/v1/action-items/{id}")),
        );
        next.extend(tokens.iter().map(|id| format!("/api/v1/api-tokens/{id}")));
        next.extend(goals.iter().map(|id| format!("/api/v1/goals/{id}")));
        next.extend(
            cycles
                .iter()
                .map(|id| format!("/api/v1/checkin-cycles/{id}")),
        );
        next.extend(checkins.iter().map(|id| format!("/api/v1/checkins/{id}")));
        next.extend(
            starters
                .iter()
                .map(|id| format!("/api/v1/conversation-starters/{id}")),
        );
        next.extend(
            templates
                .iter()
                .map(|id| format!("/api/v1/agenda-templates/{id}")),
        );
        for id in &meetings {
            for sub in [
                "",
                "/ratings",
                "/agenda-items",
                "/notes",
                "/action-items",
                "/suggested-starters",
                "/calendar.ics",
            ] {
                next.push(format!("/api/v1/meetings/{id}{sub}"));
            }
        }
        for path in next {
            let (path, reply) = get(path).await;
            if path.ends_with("/agenda-items") && reply.status == 200 {
                for item in ids(&reply.body, 3) {
                    seen.push(get(format!("{path}/{item}")).await);
                }
            }
            seen.push((path, reply));
        }
        for (path, reply) in &seen {
            contract.check(path, reply);
            if reply.status.is_success() {
                reached.insert(contract.template(path.split('?').next().unwrap()));
            }
        }
    }
    let all_gets: Vec<String> = contract.spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, item)| item.get("get").is_some())
        .map(|(p, _)| p.clone())
        .collect();
    let missed: Vec<&String> = all_gets.iter().filter(|p| !reached.contains(*p)).collect();
    assert!(
        missed.is_empty(),
        "never answered 2xx on the demo: {missed:?}"
    );
    // The check itself can fail: a meeting with a status the contract does not know is caught.
    let key = (
        "/api/v1/meetings".to_owned(),
        "200 application/json".to_owned(),
    );
    let bad = serde_json::json!({"data": [{"status": "open"}], "next_cursor": null});
    assert!(!contract.errors(&key, &bad).is_empty());
}
