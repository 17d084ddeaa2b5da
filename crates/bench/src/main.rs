//! `oneonone-bench BASE_URL EMAIL PASSWORD [SECONDS] [CONNECTIONS] [people|meetings|enps|feedback|webhooks|reminders|reports]`: load a running server from
//! this second process and print requests/s, p50 and p99 per endpoint, each endpoint's
//! throughput also as a ratio to `/healthz` measured in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

mod reminders;
mod reports;
mod webhooks;

struct Outcome {
    name: String,
    requests: usize,
    errors: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Clone)]
enum Kind {
    Get,
    /// A GET that asks for a fresh computation (`Cache-Control: no-cache`).
    GetFresh,
    CreatePerson,
    AddAgendaItem,
    /// A progress update of a goal's key result (by id).
    RecordProgress(String),
    /// Praise for this person.
    GiveFeedback(String),
}

async fn run(
    client: &reqwest::Client,
    name: &str,
    url: &str,
    token: Option<&str>,
    kind: Kind,
    seconds: u64,
    connections: usize,
) -> anyhow::Result<Outcome> {
    let counter = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let tasks = (0..connections).map(|_| {
        let client = client.clone();
        let url = url.to_owned();
        let token = token.map(str::to_owned);
        let counter = counter.clone();
        let run_id = run_id.clone();
        let kind = kind.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let mut req = match &kind {
                    Kind::Get => client.get(&url),
                    Kind::GetFresh => client.get(&url).header("cache-control", "no-cache"),
                    Kind::CreatePerson => {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        client.post(&url).json(&json!({
                            "email": format!("bench-{run_id}-{n}@example.com"),
                            "display_name": format!("Bench Person {n}"),
                            "department": "Benchmarks"
                        }))
                    }
                    Kind::AddAgendaItem => {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        client.post(&url).json(&json!({
                            "title": format!("Talking point {n}"),
                            "category": "goals"
                        }))
                    }
                    Kind::GiveFeedback(to) => {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        client.post(&url).json(&json!({
                            "recipient_id": to, "kind": "praise",
                            "body": format!("Thanks for the review number {n}: sharp and kind."),
                            "visibility": "recipient_and_manager"
                        }))
                    }
                    Kind::RecordProgress(kr) => {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        client.post(&url).json(&json!({
                            "readings": [{"key_result_id": kr, "value": (n % 1000) as f64}]
                        }))
                    }
                };
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                let started = Instant::now();
                match req.send().await {
                    Ok(res) => {
                        let ok = res.status().is_success();
                        let _ = res.bytes().await;
                        if !ok {
                            errors += 1;
                        }
                    }
                    Err(_) => errors += 1,
                }
                latencies.push(started.elapsed().as_micros() as u64);
            }
            (latencies, errors)
        })
    });
    let started = Instant::now();
    let results = futures_util::future::join_all(tasks).await;
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = Vec::new();
    let mut errors = 0;
    for r in results {
        let (lat, err) = r.context("load task")?;
        all.extend(lat);
        errors += err;
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        all[i] as f64 / 1000.0
    };
    Ok(Outcome {
        name: name.to_owned(),
        requests: all.len(),
        errors,
        rps: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    })
}

type Plan = Vec<(&'static str, String, Kind)>;

/// `GET url` as `token`, its JSON body (an error status is an error).
async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    Ok(client
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// 1,000 people in a 10-wide tree, as import rows: `{prefix}{i}@example.com`, external ids
/// `{PREFIX}{i}`.
fn tree(prefix: &str) -> Vec<Value> {
    let ext = prefix.to_uppercase();
    (0..1000)
        .map(|i| {
            let manager = if i == 0 {
                Value::Null
            } else {
                json!(format!("{ext}{}", (i - 1) / 10))
            };
            json!({"external_id": format!("{ext}{i}"), "email": format!("{prefix}{i}@example.com"),
                   "display_name": format!("Person {i}"), "title": "Engineer",
                   "department": "Engineering", "manager_external_id": manager})
        })
        .collect()
}

/// People endpoints, on 1,000 imported people.
async fn people_plan(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Plan> {
    // An organisation to read from: 1,000 people in a 10-wide tree, by the import endpoint.
    let rows = tree("b");
    let imported = webhooks::import_rows(client, base, token, rows).await?;
    let one = imported["rows"][500]["id"]
        .as_str()
        .context("import gave no ids")?
        .to_owned();

    Ok(vec![
        (
            "GET /people/{id}",
            format!("{base}/api/v1/people/{one}"),
            Kind::Get,
        ),
        (
            "GET /people?limit=50",
            format!("{base}/api/v1/people?limit=50"),
            Kind::Get,
        ),
        (
            "POST /people",
            format!("{base}/api/v1/people"),
            Kind::CreatePerson,
        ),
    ])
}

/// Feedback, on 1,000 imported people: one of them gives praise to a colleague, and reads the
/// feedback they received (200 pieces, a page of 50). Returns the plan and that person's token.
async fn feedback_plan(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<(Plan, String)> {
    let rows = tree("f");
    let imported = webhooks::import_rows(client, base, token, rows).await?;
    let id = |i: usize| -> anyhow::Result<String> {
        Ok(imported["rows"][i]["id"]
            .as_str()
            .context("import gave no ids")?
            .to_owned())
    };
    let mut tokens = Vec::new();
    for i in [11, 12] {
        let person = id(i)?;
        client
            .put(format!("{base}/api/v1/people/{person}/password"))
            .bearer_auth(token)
            .json(&json!({"password": "bench-feedback-password"}))
            .send()
            .await?
            .error_for_status()?;
        let login: Value = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": format!("f{i}@example.com"),
                "password": "bench-feedback-password"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        tokens.push(
            login["access_token"]
                .as_str()
                .context("no token")?
                .to_owned(),
        );
    }
    // What the reader has received.
    for n in 0..200 {
        client
            .post(format!("{base}/api/v1/feedback"))
            .bearer_auth(&tokens[1])
            .json(&json!({"recipient_id": id(11)?, "kind": "praise",
                "body": format!("Great pairing session {n}.")}))
            .send()
            .await?
            .error_for_status()?;
    }
    let plan = vec![
        (
            "GET /feedback",
            format!("{base}/api/v1/feedback"),
            Kind::Get,
        ),
        (
            "POST /feedback",
            format!("{base}/api/v1/feedback"),
            Kind::GiveFeedback(id(13)?),
        ),
    ];
    Ok((plan, tokens.remove(0)))
}

/// 1:1 endpoints, as a manager of a seeded organisation (`oneonone seed --people N --months M`).
async fn meetings_plan(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Plan> {
    let me: Value = client
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let me = me["id"].as_str().context("no id")?.to_owned();
    let upcoming: Value = client
        .get(format!(
            "{base}/api/v1/meetings?participant=me&status=scheduled&limit=1"
        ))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let meeting = upcoming["data"][0]["id"]
        .as_str()
        .context("the manager has no scheduled meeting: seed with --people first")?
        .to_owned();
    for i in 0..20 {
        client
            .post(format!("{base}/api/v1/meetings/{meeting}/action-items"))
            .bearer_auth(token)
            .json(&json!({"title": format!("Follow-up {i}"), "assignee_id": me}))
            .send()
            .await?
            .error_for_status()?;
    }
    // A goal of the manager's with a history of 50 updates, and one of a report's: the page
    // shows the pair's goals, and a goal is read with its history.
    let goal = |body: Value| {
        let client = client.clone();
        let url = format!("{base}/api/v1/goals");
        let token = token.to_owned();
        async move {
            let reply: Value = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            anyhow::Ok(reply)
        }
    };
    let target = json!([{"title": "Tables migrated", "measure": "numeric", "start": 0,
        "target": 1000, "unit": "tables"}]);
    let mine = goal(
        json!({"title": "Bench goal", "kind": "smart", "start_date": "2026-01-01",
        "due_date": "2027-12-31", "key_results": target}),
    )
    .await?;
    let report = upcoming["data"][0]["report_id"]
        .as_str()
        .context("no report")?;
    goal(
        json!({"title": "Report's goal", "kind": "smart", "start_date": "2026-01-01",
        "due_date": "2027-12-31", "owner_id": report, "key_results": target}),
    )
    .await?;
    let goal_id = mine["id"].as_str().context("no goal id")?.to_owned();
    let kr = mine["key_results"][0]["id"]
        .as_str()
        .context("no key result")?
        .to_owned();
    for i in 0..50 {
        client
            .post(format!("{base}/api/v1/goals/{goal_id}/updates"))
            .bearer_auth(token)
            .json(
                &json!({"readings": [{"key_result_id": kr, "value": i * 10}],
                "comment": format!("Week {i}")}),
            )
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(vec![
        (
            "GET /goals/{id}",
            format!("{base}/api/v1/goals/{goal_id}"),
            Kind::Get,
        ),
        (
            "POST goal updates",
            format!("{base}/api/v1/goals/{goal_id}/updates"),
            Kind::RecordProgress(kr),
        ),
        (
            "GET /meetings/{id}",
            format!("{base}/api/v1/meetings/{meeting}"),
            Kind::Get,
        ),
        (
            "POST agenda-items",
            format!("{base}/api/v1/meetings/{meeting}/agenda-items"),
            Kind::AddAgendaItem,
        ),
        (
            "GET /meetings?me",
            format!("{base}/api/v1/meetings?participant=me&limit=50"),
            Kind::Get,
        ),
        (
            "GET /action-items?me",
            format!("{base}/api/v1/action-items?assignee=me&status=open&limit=50"),
            Kind::Get,
        ),
    ])
}

/// eNPS results of a seeded organisation's closed survey, as an HR admin: the whole
/// organisation, a department, a manager's subtree.
async fn enps_plan(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Plan> {
    let surveys = get_json(
        client,
        &format!("{base}/api/v1/enps-surveys?limit=1"),
        token,
    )
    .await?;
    let id = surveys["data"][0]["id"]
        .as_str()
        .context("no survey: seed the organisation first")?
        .to_owned();
    let results = format!("{base}/api/v1/enps-surveys/{id}/results");
    let org = get_json(client, &results, token).await?;
    if org["group"]["suppressed"] != false {
        bail!("the organisation's results are suppressed: {org}");
    }
    let department = org["departments"][0]["department"]
        .as_str()
        .context("no department")?
        .replace(' ', "%20");
    let manager = org["subtrees"]
        .as_array()
        .and_then(|s| s.iter().rev().find(|g| g["suppressed"] == false))
        .and_then(|g| g["manager_id"].as_str())
        .context("no shown subtree")?
        .to_owned();
    Ok(vec![
        ("GET eNPS results (org)", results.clone(), Kind::Get),
        (
            "GET eNPS results (dept)",
            format!("{results}?department={department}"),
            Kind::Get,
        ),
        (
            "GET eNPS results (team)",
            format!("{results}?manager_id={manager}"),
            Kind::Get,
        ),
    ])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        bail!(
            "usage: oneonone-bench BASE_URL EMAIL PASSWORD [SECONDS] [CONNECTIONS] [people|meetings|enps|feedback|webhooks|reminders|reports]"
        );
    }
    let base = args[1].trim_end_matches('/').to_owned();
    let seconds: u64 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let connections: usize = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(32);
    let mode = args.get(6).map(String::as_str).unwrap_or("people");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()?;
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": args[2], "password": args[3]}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned();

    if mode == "webhooks" {
        let outcomes = webhooks::bench(&client, &base, &token, seconds, connections).await?;
        return report(&outcomes);
    }
    if mode == "reminders" {
        return reminders::bench(&client, &base, &token).await;
    }
    let mut token = token;
    let plan = match mode {
        "meetings" => meetings_plan(&client, &base, &token).await?,
        "enps" => enps_plan(&client, &base, &token).await?,
        "reports" => reports::plan(&client, &base, &token).await?,
        "feedback" => {
            let (plan, reader) = feedback_plan(&client, &base, &token).await?;
            token = reader;
            plan
        }
        _ => people_plan(&client, &base, &token).await?,
    };
    // BENCH_ONLY=text keeps the endpoints whose name contains it (with /healthz), to profile one.
    let only = std::env::var("BENCH_ONLY").ok();
    let plan: Plan = plan
        .into_iter()
        .filter(|(name, _, _)| only.as_deref().is_none_or(|o| name.contains(o)))
        .collect();
    let mut outcomes = Vec::new();
    outcomes.push(
        run(
            &client,
            "GET /healthz",
            &format!("{base}/healthz"),
            None,
            Kind::Get,
            seconds,
            connections,
        )
        .await?,
    );
    for (name, url, kind) in plan {
        outcomes.push(
            run(
                &client,
                name,
                &url,
                Some(&token),
                kind,
                seconds,
                connections,
            )
            .await?,
        );
    }
    report(&outcomes)
}

/// The table: each endpoint's throughput and latency, and its ratio to the first (`/healthz`).
fn report(outcomes: &[Outcome]) -> anyhow::Result<()> {
    let health = outcomes.first().map(|o| o.rps).unwrap_or(1.0);
    println!(
        "{:<22} {:>9} {:>7} {:>10} {:>9} {:>9} {:>10}",
        "endpoint", "requests", "errors", "req/s", "p50 ms", "p99 ms", "vs healthz"
    );
    for o in outcomes {
        println!(
            "{:<22} {:>9} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>9.1}%",
            o.name,
            o.requests,
            o.errors,
            o.rps,
            o.p50_ms,
            o.p99_ms,
            100.0 * o.rps / health
        );
    }
    if outcomes.iter().any(|o| o.errors > 0) {
        bail!("some requests failed");
    }
    Ok(())
}
