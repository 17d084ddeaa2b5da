//! The `webhooks` plan: how fast the job runner turns the event log into signed deliveries to
//! a receiver on 127.0.0.1, and what its work costs the API.
//!
//! 1. `/healthz` and `GET /people/{id}` with the runner idle;
//! 2. `SUBSCRIPTIONS` subscriptions to `person.*` on a local receiver, then `PEOPLE` people
//!    imported at once (`PEOPLE × SUBSCRIPTIONS` deliveries), and, while the runner sends them,
//!    the same two endpoints again;
//! 3. deliveries/s from the import to the last delivery's arrival.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::{Kind, Outcome, run};

const SUBSCRIPTIONS: usize = 10;
const PEOPLE: usize = 3000;

#[derive(Default)]
struct Arrivals {
    ids: HashSet<String>,
    requests: u64,
    last: Option<Instant>,
}

async fn receive(req: HttpRequest, arrivals: web::Data<Arc<Mutex<Arrivals>>>) -> HttpResponse {
    let id = req
        .headers()
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Ok(mut a) = arrivals.lock() {
        a.requests += 1;
        a.ids.insert(id);
        a.last = Some(Instant::now());
    }
    HttpResponse::NoContent().finish()
}

async fn import(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    tag: &str,
    n: usize,
) -> anyhow::Result<Value> {
    let rows: Vec<Value> = (0..n)
        .map(|i| {
            json!({"external_id": format!("{tag}{i}"), "email": format!("{tag}{i}@example.com"),
                   "display_name": format!("Person {i}"), "department": "Engineering"})
        })
        .collect();
    import_rows(client, base, token, rows).await
}

/// `POST /people/import` with these rows; the import's answer.
pub async fn import_rows(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    rows: Vec<Value>,
) -> anyhow::Result<Value> {
    Ok(client
        .post(format!("{base}/api/v1/people/import"))
        .bearer_auth(token)
        .json(&json!({ "rows": rows }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

pub async fn bench(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    seconds: u64,
    connections: usize,
) -> anyhow::Result<Vec<Outcome>> {
    let arrivals: Arc<Mutex<Arrivals>> = Arc::default();
    let data = web::Data::new(Arc::clone(&arrivals));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(2)
    .disable_signals()
    .bind("127.0.0.1:0")?;
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);

    let people = import(client, base, token, "W", 100).await?;
    let one = people["rows"][50]["id"]
        .as_str()
        .context("import gave no ids")?
        .to_owned();
    let person_url = format!("{base}/api/v1/people/{one}");
    let healthz = format!("{base}/healthz");
    let reads = |phase: &'static str| {
        let (healthz, person_url) = (healthz.clone(), person_url.clone());
        async move {
            let names = match phase {
                "idle" => ["idle: GET /healthz", "idle: GET /people/{id}"],
                _ => ["busy: GET /healthz", "busy: GET /people/{id}"],
            };
            let h = run(
                client,
                names[0],
                &healthz,
                None,
                Kind::Get,
                seconds,
                connections,
            )
            .await?;
            let p = run(
                client,
                names[1],
                &person_url,
                Some(token),
                Kind::Get,
                seconds,
                connections,
            )
            .await?;
            anyhow::Ok([h, p])
        }
    };
    let mut out: Vec<Outcome> = reads("idle").await?.into();
    for _ in 0..SUBSCRIPTIONS {
        client
            .post(format!("{base}/api/v1/webhooks"))
            .bearer_auth(token)
            .json(&json!({"url": format!("http://127.0.0.1:{port}/hooks"), "event_types": ["person.*"]}))
            .send()
            .await?
            .error_for_status()?;
    }
    let expected = PEOPLE * SUBSCRIPTIONS;
    let started = Instant::now();
    import(client, base, token, "X", PEOPLE).await?;
    out.extend(reads("busy").await?);
    let still_busy = arrivals
        .lock()
        .map(|a| a.ids.len() < expected)
        .unwrap_or(false);
    let deadline = Instant::now() + Duration::from_secs(600);
    let (unique, requests, last) = loop {
        let (unique, requests, last) = {
            let a = arrivals
                .lock()
                .map_err(|_| anyhow::anyhow!("receiver lock"))?;
            (a.ids.len(), a.requests, a.last)
        };
        if unique >= expected || Instant::now() > deadline {
            break (unique, requests, last);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(handle.stop(false));
    if unique < expected {
        bail!("only {unique} of {expected} deliveries arrived");
    }
    let elapsed = last
        .map(|l| l.duration_since(started))
        .unwrap_or_default()
        .as_secs_f64();
    println!(
        "webhooks: {expected} deliveries ({PEOPLE} people × {SUBSCRIPTIONS} subscriptions) in {elapsed:.1} s \
         = {:.0} deliveries/s from the import to the last arrival; {requests} requests for {unique} ids{}",
        expected as f64 / elapsed.max(0.001),
        if still_busy {
            "; the runner was still sending when the busy reads ended"
        } else {
            "; the runner finished before the busy reads ended (the busy figures cover part of its work)"
        }
    );
    let ratio = |o: &[Outcome], h: usize, p: usize| 100.0 * o[p].rps / o[h].rps.max(1.0);
    let (idle, busy) = (ratio(&out, 0, 1), ratio(&out, 2, 3));
    println!(
        "webhooks: GET /people/{{id}} is {idle:.1} % of /healthz idle and {busy:.1} % while the runner works ({:+.1} %)",
        100.0 * (busy - idle) / idle.max(0.001)
    );
    Ok(out)
}
