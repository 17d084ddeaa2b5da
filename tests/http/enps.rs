//! eNPS: a survey answered once by each person asked, results only at close and only for
//! groups that are exactly a union of cells of at least the minimum size; the three
//! differencing attacks of the issue; nobody (HR, a token, the database itself) can tie an
//! answer to a person; bad input changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, Utc};
use oneonone_persistence::Database;
use oneonone_tests::*;
use serde_json::{Value, json};
use uuid::Uuid;

/// The organisation of these tests, below the CEO (who is not asked: the survey is for the
/// CEO's subtree):
/// - Engineering: head `eng` with ten reports, one of whom (`m`) manages two (`t1`, `t2`);
/// - Sales: head `sales` manages `q` and `x`; `q` manages six;
/// - Legal: two people reporting to the CEO.
struct Org {
    ceo: (Uuid, String),
    people: BTreeMap<&'static str, (Uuid, String)>,
    /// Each person's manager and department.
    lines: BTreeMap<&'static str, (Option<&'static str>, &'static str)>,
}

const ENG: [&str; 9] = ["e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"];
const SALES_TEAM: [&str; 6] = ["s1", "s2", "s3", "s4", "s5", "s6"];

async fn org(app: &TestApp) -> Org {
    let mut plan: Vec<(&'static str, Option<&'static str>, &'static str)> = vec![
        ("eng", None, "Engineering"),
        ("m", Some("eng"), "Engineering"),
        ("t1", Some("m"), "Engineering"),
        ("t2", Some("m"), "Engineering"),
        ("sales", None, "Sales"),
        ("q", Some("sales"), "Sales"),
        ("x", Some("sales"), "Sales"),
        ("l1", None, "Legal"),
        ("l2", None, "Legal"),
    ];
    plan.extend(ENG.iter().map(|e| (*e, Some("eng"), "Engineering")));
    plan.extend(SALES_TEAM.iter().map(|s| (*s, Some("q"), "Sales")));
    let ceo = person(app, "ceo", None, "Leadership").await;
    let mut people = BTreeMap::new();
    let mut lines = BTreeMap::new();
    for (name, manager, department) in plan {
        let manager_id = match manager {
            Some(m) => people.get(m).map(|(id, _): &(Uuid, String)| *id),
            None => Some(ceo.0),
        };
        let p = person(app, name, manager_id, department).await;
        people.insert(name, p);
        lines.insert(name, (manager, department));
    }
    Org { ceo, people, lines }
}

async fn person(
    app: &TestApp,
    name: &str,
    manager: Option<Uuid>,
    department: &str,
) -> (Uuid, String) {
    app.signed_in(
        &json!({"email": format!("{name}@example.com"), "display_name": name,
        "manager_id": manager, "department": department}),
    )
    .await
}

impl Org {
    fn id(&self, name: &str) -> Uuid {
        self.people[name].0
    }
    fn token(&self, name: &str) -> &str {
        &self.people[name].1
    }
    /// Everyone below `name`, at any depth.
    fn below(&self, name: &str) -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        for p in self.lines.keys() {
            let mut up = self.lines[p].0;
            while let Some(m) = up {
                if m == name {
                    out.insert(*p);
                    break;
                }
                up = self.lines[m].0;
            }
        }
        out
    }
    fn department(&self, d: &str) -> BTreeSet<&'static str> {
        self.lines
            .iter()
            .filter(|(_, (_, dep))| *dep == d)
            .map(|(p, _)| *p)
            .collect()
    }
}

fn survey(org: &Org, extra: Value) -> Value {
    let now = Utc::now();
    let mut body = json!({"name": "eNPS", "population": "subtree", "manager_id": org.ceo.0,
        "opens_at": now - Duration::minutes(1), "closes_at": now + Duration::hours(1),
        "ask_expectations": true});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

/// The score each person gives: varied, so the distribution is checkable.
fn score_of(i: usize) -> i64 {
    [10, 9, 9, 8, 7, 6, 3, 10, 0, 9, 5][i % 11]
}

fn results_path(survey: &str, query: &str) -> String {
    format!("/api/v1/enps-surveys/{survey}/results{query}")
}

async fn answer(app: &TestApp, survey: &str, token: &str, body: &Value) -> Reply {
    app.post(
        &format!("/api/v1/enps-surveys/{survey}/answers"),
        token,
        body,
    )
    .await
}

#[tokio::test]
async fn a_survey_is_answered_once_and_its_results_resist_differencing() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let created = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(
                &org,
                json!({"baseline": true, "name": "Before the program"}),
            ),
        )
        .await
        .expect(201);
    assert_eq!(created.body["audience"], 24);
    assert_eq!(created.body["status"], "open");
    assert_eq!(
        created.body["question"],
        "How likely are you to recommend working here?"
    );
    assert_eq!(
        created.body["expectations_question"],
        "I know what is expected of me at work."
    );
    let id = created.id().to_string();

    // Everyone but l2 answers; l2 comes late.
    let mut answered: BTreeSet<&'static str> = BTreeSet::new();
    let mut scores = Vec::new();
    for (i, name) in org.people.keys().filter(|n| **n != "l2").enumerate() {
        let score = score_of(i);
        answer(
            &app,
            &id,
            org.token(name),
            &json!({"score": score, "expectations": 1 + (i % 5), "comment": format!("comment {i}")}),
        )
        .await
        .expect(204);
        answered.insert(name);
        scores.push(score);
    }
    // Once: a second answer is refused and changes nothing.
    answer(
        &app,
        &id,
        org.token("e1"),
        &json!({"score": 0, "expectations": 1}),
    )
    .await
    .expect_problem(409, "already_answered");
    // Those not asked cannot answer.
    answer(
        &app,
        &id,
        &org.ceo.1,
        &json!({"score": 0, "expectations": 1}),
    )
    .await
    .expect(403);
    // You see that you answered, never what.
    let mine = app
        .get(&format!("/api/v1/enps-surveys/{id}"), org.token("e1"))
        .await
        .expect(200);
    assert_eq!(mine.body["you"]["answered"], true);
    assert_eq!(mine.body["responses"], 23);
    assert!(!mine.text.contains("score") && !mine.text.contains("comment 0"));
    let late = app
        .get(&format!("/api/v1/enps-surveys/{id}"), org.token("l2"))
        .await
        .expect(200);
    assert_eq!(late.body["you"]["answered"], false);

    // While open: turnout only.
    let open = app
        .get(&results_path(&id, ""), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(open.body["published"], false);
    assert_eq!(open.body["group"]["respondents"], 23);
    assert_eq!(open.body["group"]["response_rate_percent"], 95);
    assert!(open.body["group"]["enps"].is_null() && open.body["group"]["distribution"].is_null());

    let closed = app
        .post(
            &format!("/api/v1/enps-surveys/{id}/close"),
            &app.admin_token,
            &json!({}),
        )
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
    let org_results = app
        .get(&results_path(&id, ""), &app.admin_token)
        .await
        .expect(200);

    // The late answer is refused and the published figures stay as they were.
    answer(
        &app,
        &id,
        org.token("l2"),
        &json!({"score": 10, "expectations": 5}),
    )
    .await
    .expect_problem(409, "survey_closed");
    let again = app
        .get(&results_path(&id, ""), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(again.body, org_results.body);

    let g = &org_results.body["group"];
    assert_eq!(org_results.body["published"], true);
    assert_eq!(g["suppressed"], false);
    assert_eq!(g["respondents"], 23);
    assert_eq!(g["audience"], 24);
    let mut distribution = vec![0u64; 11];
    for s in &scores {
        distribution[usize::try_from(*s).unwrap()] += 1;
    }
    assert_eq!(g["distribution"], json!(distribution));
    let promoters = scores.iter().filter(|s| **s >= 9).count() as f64;
    let detractors = scores.iter().filter(|s| **s <= 6).count() as f64;
    let expected = ((promoters - detractors) * 100.0 / 23.0).round() as i64;
    assert_eq!(g["enps"], expected);
    assert!(g["expectations_mean"].as_f64().is_some());
    assert_eq!(g["comments"], 23);
    let comments = app
        .get(
            &format!("/api/v1/enps-surveys/{id}/comments?limit=10"),
            &app.admin_token,
        )
        .await
        .expect(200);
    let mut all: Vec<Value> = comments.body["data"].as_array().unwrap().clone();
    let cursor = comments.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/enps-surveys/{id}/comments?limit=100&cursor={cursor}"),
            &app.admin_token,
        )
        .await
        .expect(200);
    all.extend(rest.body["data"].as_array().unwrap().clone());
    assert_eq!(all.len(), 23);
    let texts: BTreeSet<String> = all.iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(texts.len(), 23);

    // Every group, as HR can ask for it.
    let mut shown: Vec<(String, BTreeSet<&'static str>, i64)> = Vec::new();
    let respondents_of = |set: &BTreeSet<&'static str>| -> BTreeSet<&'static str> {
        set.intersection(&answered).copied().collect()
    };
    let mut asks: Vec<(String, String, BTreeSet<&'static str>)> = vec![(
        "organisation".into(),
        String::new(),
        org.people.keys().copied().collect(),
    )];
    for d in ["Engineering", "Sales", "Legal"] {
        asks.push((d.into(), format!("?department={d}"), org.department(d)));
    }
    for m in ["eng", "m", "sales", "q"] {
        asks.push((
            format!("subtree of {m}"),
            format!("?manager_id={}", org.id(m)),
            org.below(m),
        ));
    }
    for (label, query, members) in &asks {
        let r = app
            .get(&results_path(&id, query), &app.admin_token)
            .await
            .expect(200);
        let group = &r.body["group"];
        assert_eq!(
            group["audience"].as_u64(),
            Some(members.len() as u64),
            "{label}"
        );
        if group["suppressed"] == false {
            let n = group["respondents"].as_i64().unwrap();
            assert_eq!(n as usize, respondents_of(members).len(), "{label}");
            assert!(n >= 5, "{label} is shown with {n} answers");
            assert!(group["distribution"].is_array());
            shown.push((label.clone(), respondents_of(members), n));
        } else {
            assert!(group["enps"].is_null() && group["distribution"].is_null());
            assert!(group["comments"].is_null());
            let comments = app
                .get(
                    &format!("/api/v1/enps-surveys/{id}/comments{query}"),
                    &app.admin_token,
                )
                .await
                .expect(200);
            assert_eq!(comments.body["data"], json!([]), "{label}");
        }
    }
    let is_shown = |label: &str| shown.iter().any(|(l, ..)| l == label);
    // Attack 1: a department of 13 and the same department minus a team of 2 (or minus its
    // head): never both.
    assert!(is_shown("Engineering"));
    assert!(!is_shown("subtree of m"));
    assert!(!(is_shown("Engineering") && is_shown("subtree of eng")));
    // Attack 2: a subtree (q's six) and its parent (two more): never both.
    assert!(!(is_shown("subtree of q") && is_shown("subtree of sales")));
    // The small department is suppressed, and the total minus the shown departments does not
    // give it away.
    assert!(!is_shown("Legal"));
    // And in general: no two shown groups, one inside the other, differ by 1 to 4 answers.
    for (a, sa, na) in &shown {
        for (b, sb, nb) in &shown {
            if sb.is_subset(sa) && a != b {
                let d = na - nb;
                assert!(d == 0 || d >= 5, "{a} minus {b} isolates {d} answers");
            }
        }
    }
    let total = 23;
    let by_department: i64 = org_results.body["departments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["suppressed"] == false)
        .map(|d| d["respondents"].as_i64().unwrap())
        .sum();
    let rest = total - by_department;
    assert!(rest == 0 || rest >= 5, "the hidden departments hold {rest}");

    // A second survey after the program's launch: a trend and the change against the baseline.
    let second = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(
                &org,
                json!({"name": "After the launch", "allow_comment": false}),
            ),
        )
        .await
        .expect(201)
        .id()
        .to_string();
    answer(
        &app,
        &second,
        org.token("e2"),
        &json!({"score": 10, "expectations": 5, "comment": "no comments here"}),
    )
    .await
    .expect_problem(422, "validation_failed");
    for name in org.people.keys() {
        answer(
            &app,
            &second,
            org.token(name),
            &json!({"score": 10, "expectations": 5}),
        )
        .await
        .expect(204);
    }
    app.post(
        &format!("/api/v1/enps-surveys/{second}/close"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    let after = app
        .get(&results_path(&second, ""), &app.admin_token)
        .await
        .expect(200);
    assert_eq!(after.body["group"]["enps"], 100);
    let trend = after.body["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0]["survey_id"], id.as_str());
    assert_eq!(trend[0]["enps"], expected);
    assert_eq!(trend[1]["enps"], 100);
    assert_eq!(after.body["baseline"]["survey_id"], id.as_str());
    assert_eq!(after.body["baseline"]["change"], 100 - expected);
}

/// Nobody reads an answer: not its author, not a peer, not a manager outside their subtree, not
/// HR, not a token; and the database itself holds nothing that ties one to a person.
#[tokio::test]
async fn no_one_can_tie_an_answer_to_a_person() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let id = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(&org, json!({})),
        )
        .await
        .expect(201)
        .id();
    let order: Vec<&'static str> = org.people.keys().copied().collect();
    for (i, name) in order.iter().enumerate() {
        answer(
            &app,
            &id.to_string(),
            org.token(name),
            &json!({"score": i % 11, "expectations": 1 + i % 5}),
        )
        .await
        .expect(204);
    }
    // Before the close, answers wait with a position and no person.
    let pending_columns = columns(&app.db, "enps_pending_answers").await;
    assert!(!pending_columns.iter().any(|c| c.contains("person")));

    // A manager reads their own subtree, not the organisation, a department, or another's.
    let eng = org.token("eng");
    app.get(&results_path(&id.to_string(), ""), eng)
        .await
        .expect(200);
    app.get(
        &results_path(&id.to_string(), "?department=Engineering"),
        eng,
    )
    .await
    .expect(403);
    app.get(
        &results_path(&id.to_string(), &format!("?manager_id={}", org.id("q"))),
        eng,
    )
    .await
    .expect(403);
    // Someone with no reports reads no results; tokens need reports:read.
    app.get(&results_path(&id.to_string(), ""), org.token("e3"))
        .await
        .expect(403);
    let (_, people_token) = app.api_token(&["people:read"]).await;
    app.get(&results_path(&id.to_string(), ""), &people_token)
        .await
        .expect(403);
    let (_, reports_token) = app.api_token(&["reports:read"]).await;
    app.get(&results_path(&id.to_string(), ""), &reports_token)
        .await
        .expect(200);
    // A token answers nothing.
    answer(&app, &id.to_string(), &reports_token, &json!({"score": 5}))
        .await
        .expect(403);

    app.post(
        &format!("/api/v1/enps-surveys/{id}/close"),
        &app.admin_token,
        &json!({}),
    )
    .await
    .expect(200);
    let manager_view = app
        .get(&results_path(&id.to_string(), ""), org.token("q"))
        .await
        .expect(200);
    assert_eq!(manager_view.body["group"]["kind"], "subtree");
    assert!(
        manager_view.body["departments"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // The change log says a survey was created and closed; nothing about answers.
    let (events, _) = app
        .follow_until(&app.admin_token, None, |seen| {
            seen.iter().any(|e| e["type"] == "enps_survey.closed")
        })
        .await;
    let survey_events: Vec<&Value> = events
        .iter()
        .filter(|e| e["resource"] == "enps_survey")
        .collect();
    assert_eq!(survey_events.len(), 2, "{survey_events:?}");
    for e in &survey_events {
        let text = e.to_string();
        assert!(!text.contains("score") && !text.contains(&org.id("e1").to_string()));
    }

    // The database: answers hold no person, time or order; every cell holds at least five;
    // nothing waits any more.
    let answer_columns = columns(&app.db, "enps_answers").await;
    assert_eq!(
        answer_columns,
        [
            "cell",
            "comment",
            "expectations",
            "id",
            "score",
            "survey_id"
        ]
        .map(String::from)
        .to_vec()
    );
    let participant_columns = columns(&app.db, "enps_participants").await;
    assert!(
        !participant_columns
            .iter()
            .any(|c| c.contains("score") || c.ends_with("_at"))
    );
    let (pending, cells, stored_order) = stored(&app.db, id).await;
    assert_eq!(pending, 0);
    assert!(cells.iter().all(|n| *n >= 5), "{cells:?}");
    assert_eq!(cells.iter().sum::<i64>(), 24);
    let given_order: Vec<i64> = (0..order.len()).map(|i| (i % 11) as i64).collect();
    assert_ne!(
        stored_order, given_order,
        "the answers are stored in the order they were given"
    );
    if let Database::Postgres(pool) = &app.db {
        // No answer shares a transaction id with a participation row.
        let shared: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM enps_answers a JOIN enps_participants p \
             ON a.xmin::text = p.xmin::text",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(shared, 0);
    }
}

/// Column names of a table, sorted.
async fn columns(db: &Database, table: &str) -> Vec<String> {
    let mut out: Vec<String> = match db {
        Database::Postgres(pool) => sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
        )
        .bind(table)
        .fetch_all(pool)
        .await
        .unwrap(),
        Database::Sqlite(pools) => sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
            .bind(table)
            .fetch_all(&pools.read)
            .await
            .unwrap(),
    };
    out.sort();
    out
}

/// Pending answers left, answers per cell, and the scores in the order the rows are stored.
async fn stored(db: &Database, survey: Uuid) -> (i64, Vec<i64>, Vec<i64>) {
    macro_rules! read {
        ($pool:expr, $physical:expr) => {{
            let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enps_pending_answers")
                .fetch_one($pool)
                .await
                .unwrap();
            let cells: Vec<i64> = sqlx::query_scalar(
                "SELECT COUNT(*) FROM enps_answers WHERE survey_id = $1 GROUP BY cell",
            )
            .bind(survey)
            .fetch_all($pool)
            .await
            .unwrap();
            let order: Vec<i64> = sqlx::query_scalar($physical)
                .bind(survey)
                .fetch_all($pool)
                .await
                .unwrap();
            (pending, cells, order)
        }};
    }
    match db {
        Database::Postgres(pool) => read!(
            pool,
            "SELECT score::bigint FROM enps_answers WHERE survey_id = $1 ORDER BY ctid"
        ),
        // WITHOUT ROWID: the table is kept in key order.
        Database::Sqlite(pools) => read!(
            &pools.read,
            "SELECT score FROM enps_answers WHERE survey_id = $1 ORDER BY id"
        ),
    }
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let org = org(&app).await;
    let bad = [
        (json!({"closes_at": Utc::now() - Duration::hours(2)}), 422),
        (json!({"min_group_size": 2}), 422),
        (
            json!({"population": "department", "department": "Legal", "manager_id": null}),
            422,
        ),
        (json!({"population": "department", "manager_id": null}), 422),
        (json!({"manager_id": Uuid::now_v7()}), 422),
        (json!({"name": ""}), 422),
        (json!({"colour": "blue"}), 422),
    ];
    for (extra, status) in bad {
        app.post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(&org, extra.clone()),
        )
        .await
        .expect(status);
    }
    app.post(
        "/api/v1/enps-surveys",
        org.token("eng"),
        &survey(&org, json!({})),
    )
    .await
    .expect(403);
    let list = app
        .get("/api/v1/enps-surveys", &app.admin_token)
        .await
        .expect(200);
    assert_eq!(list.body["data"], json!([]));

    let later = Utc::now() + Duration::hours(1);
    let scheduled = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(
                &org,
                json!({"opens_at": later, "closes_at": later + Duration::hours(1)}),
            ),
        )
        .await
        .expect(201);
    assert_eq!(scheduled.body["status"], "scheduled");
    answer(
        &app,
        &scheduled.id().to_string(),
        org.token("e1"),
        &json!({"score": 5, "expectations": 3}),
    )
    .await
    .expect_problem(409, "survey_not_open");

    let id = app
        .post(
            "/api/v1/enps-surveys",
            &app.admin_token,
            &survey(&org, json!({"ask_expectations": false})),
        )
        .await
        .expect(201)
        .id()
        .to_string();
    for body in [
        json!({"score": 11}),
        json!({"score": -1}),
        json!({"score": 5, "expectations": 3}),
        json!({"score": "five"}),
        json!({"score": 5, "comment": "x".repeat(2001)}),
        json!({}),
    ] {
        answer(&app, &id, org.token("e1"), &body).await.expect(422);
    }
    answer(
        &app,
        &Uuid::now_v7().to_string(),
        org.token("e1"),
        &json!({"score": 5}),
    )
    .await
    .expect(404);
    let read = app
        .get(&format!("/api/v1/enps-surveys/{id}"), org.token("e1"))
        .await
        .expect(200);
    assert_eq!(read.body["responses"], 0);
    assert_eq!(read.body["you"]["answered"], false);
    // Results: a department and a subtree at once is a 400.
    app.get(
        &results_path(
            &id,
            &format!("?department=Sales&manager_id={}", org.id("q")),
        ),
        &app.admin_token,
    )
    .await
    .expect(400);
}
