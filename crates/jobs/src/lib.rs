//! The job runner that sits beside the API in the server process: it turns the event log into
//! deliveries and sends them.
//!
//! Every replica runs one. Each round it (1) fans the log out into jobs, one transaction per
//! batch under the log cursor's lock (one replica at a time; the others skip), and (2) claims
//! due jobs with a lease and sends them, many at once, recording each attempt and settling the
//! job in one transaction: delivered, retried later with exponential backoff and jitter, or
//! dead after its retry window (which turns a subscription with no success in that window off).
//!
//! **Exactly once, as the receiver sees it.** Sending is at-least-once: a worker killed between
//! the receiver's answer and the commit of "delivered" loses nothing (its lease ends, another
//! worker sends again), and every send of a job carries the same `webhook-id`, so the receiver
//! de-duplicates. Once "delivered" is committed no worker sends the job again.
//!
//! On stop the runner stops claiming, lets the sends in flight finish (each is bounded by the
//! request timeout) and gives back any claim it still holds.

pub mod signing;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use oneonone_persistence::Database;
use oneonone_persistence::jobs::{AttemptOutcome, JobRecord, Settled};
use oneonone_persistence::webhooks::WebhookRecord;
use oneonone_usecases::webhooks as usecase;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::watch;
use uuid::Uuid;

/// How the runner works; [`Config::default`] is production's.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long an idle runner waits before looking again.
    pub poll: Duration,
    /// A receiver's whole answer must come within this.
    pub timeout: Duration,
    /// The first retry waits about this long; each next one twice as long…
    pub retry_base: Duration,
    /// …up to this.
    pub retry_cap: Duration,
    /// A delivery is retried this long after it was queued, then it is dead.
    pub retry_window: Duration,
    /// Jobs claimed at once.
    pub batch: i64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Events turned into jobs per transaction.
    pub fan_out_batch: i64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(3600),
            retry_window: Duration::from_secs(24 * 3600),
            batch: 64,
            concurrency: 32,
            fan_out_batch: 500,
        }
    }
}

impl Config {
    /// A claim lasts a whole request and then some: a live worker never loses it mid-send.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// What the runner has done since it started (for `/metrics`; each is a shared handle).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub jobs_queued: Counter,
    pub attempts_ok: Counter,
    pub attempts_failed: Counter,
    pub jobs_dead: Counter,
}

/// A running runner.
pub struct Runner {
    worker: Uuid,
    stats: Arc<Stats>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Runner {
    /// Start the runner on the current Tokio runtime.
    pub fn start(db: Database, config: Config) -> Self {
        let worker = Uuid::now_v7();
        let stats = Arc::new(Stats::default());
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(db, config, worker, Arc::clone(&stats), stopped));
        Self {
            worker,
            stats,
            stop,
            task,
        }
    }

    /// This runner's id, as its claims and attempts record it.
    pub fn worker(&self) -> Uuid {
        self.worker
    }

    pub fn stats(&self) -> Stats {
        (*self.stats).clone()
    }

    /// Stop claiming, finish the sends in flight, give back what is still claimed.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(
    db: Database,
    config: Config,
    worker: Uuid,
    stats: Arc<Stats>,
    mut stopped: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("oneonone-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the job runner cannot build its HTTP client; no webhooks will go out");
            return;
        }
    };
    while !*stopped.borrow() {
        let mut busy = false;
        match fan_out(&db, &config).await {
            Ok(queued) => {
                stats.jobs_queued.inc_by(queued);
                busy |= queued > 0;
            }
            Err(e) => tracing::warn!(error = %e, "webhook fan-out failed; retrying"),
        }
        match deliver(&db, &client, &config, worker, &stats).await {
            Ok(sent) => busy |= sent > 0,
            Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed; retrying"),
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(config.poll) => {}
                _ = stopped.changed() => {}
            }
        }
    }
    match db.release_claims(worker).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "gave back unfinished webhook deliveries"),
        Err(e) => {
            tracing::warn!(error = %e, "could not give back claims; they end with their lease")
        }
    }
}

/// Turn new events into jobs until the log is read up to its head. The jobs queued.
async fn fan_out(db: &Database, config: &Config) -> Result<u64, oneonone_usecases::Error> {
    let mut queued = 0;
    loop {
        // Cheap reads first: an idle server writes nothing.
        let cursor = db.log_cursor(usecase::CURSOR).await?;
        let head = db.log_head().await?;
        if head <= cursor {
            return Ok(queued);
        }
        if db.all_webhooks().await?.is_empty() {
            db.move_log_cursor(usecase::CURSOR, cursor, head).await?;
            return Ok(queued);
        }
        let limit = config.fan_out_batch;
        let window =
            chrono::Duration::from_std(config.retry_window).unwrap_or(chrono::Duration::days(1));
        let done = db
            .transact(move |tx| Box::pin(async move { usecase::fan_out(tx, limit, window).await }))
            .await?;
        queued += done.jobs;
        if done.busy || (done.events as i64) < limit {
            return Ok(queued);
        }
    }
}

/// Claim due jobs and send them. How many were sent.
async fn deliver(
    db: &Database,
    client: &reqwest::Client,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
) -> Result<usize, oneonone_usecases::Error> {
    let now = oneonone_persistence::now();
    if !db.jobs_due(usecase::CHANNEL, now).await? {
        return Ok(0);
    }
    let lease = chrono::Duration::from_std(config.lease()).unwrap_or(chrono::Duration::minutes(1));
    let jobs = db
        .claim_webhook_jobs(worker, now, now + lease, config.batch)
        .await?;
    if jobs.is_empty() {
        return Ok(0);
    }
    let mut targets: HashMap<Uuid, Arc<WebhookRecord>> = HashMap::new();
    for job in &jobs {
        if let std::collections::hash_map::Entry::Vacant(slot) = targets.entry(job.target_id) {
            match db.get_webhook(job.target_id).await {
                Ok(w) => {
                    slot.insert(Arc::new(w));
                }
                // Deleted meanwhile: its jobs went with it.
                Err(oneonone_persistence::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    let count = jobs.len();
    // Sends run `concurrency` at a time; what has come back is recorded together, so a busy
    // runner commits once per handful of deliveries, not once per delivery.
    let mut settled = futures_util::stream::iter(jobs.into_iter().filter_map(|job| {
        let target = targets.get(&job.target_id).cloned()?;
        Some(send_one(client, config, worker, stats, job, target))
    }))
    .buffer_unordered(config.concurrency.max(1))
    .ready_chunks(config.concurrency.max(1));
    while let Some(chunk) = settled.next().await {
        settle(db, stats, chunk).await;
    }
    Ok(count)
}

/// Record a chunk of attempts: the deliveries in one statement, each failure in a transaction
/// of its own (it may turn its subscription off).
async fn settle(db: &Database, stats: &Stats, chunk: Vec<Sent>) {
    let (delivered, failed): (Vec<Sent>, Vec<Sent>) = chunk
        .into_iter()
        .partition(|s| s.outcome.retry_at.is_none());
    if !delivered.is_empty() {
        let outcomes: Vec<AttemptOutcome> = delivered.into_iter().map(|s| s.outcome).collect();
        retrying("record webhook deliveries", || async {
            db.settle_delivered(&outcomes).await.map(|_| ())
        })
        .await;
    }
    for sent in failed {
        let (subscription, queued_at) = (sent.subscription, sent.queued_at);
        let outcome = sent.outcome;
        let dead = retrying("record a failed webhook attempt", || {
            let o = outcome.clone();
            async move {
                db.transact(move |tx| {
                    Box::pin(async move { usecase::settle(tx, &o, subscription, queued_at).await })
                })
                .await
            }
        })
        .await;
        if dead == Some(Settled::Dead) {
            stats.jobs_dead.inc();
        }
    }
}

/// Run `f` until it works, a few times: a passing database hiccup must not leave a delivered
/// job claimed (it would be sent again when its lease ends; the receiver de-duplicates, but we
/// try not to make it).
async fn retrying<T, E, F, Fut>(what: &str, mut f: F) -> Option<T>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    for pause in [0u64, 100, 500, 2000] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        match f().await {
            Ok(v) => return Some(v),
            Err(e) => tracing::warn!(error = %e, "could not {what}; trying again"),
        }
    }
    None
}

/// An attempt, ready to be recorded.
struct Sent {
    outcome: AttemptOutcome,
    subscription: Uuid,
    queued_at: chrono::DateTime<Utc>,
}

/// Send one job.
async fn send_one(
    client: &reqwest::Client,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    job: JobRecord,
    target: Arc<WebhookRecord>,
) -> Sent {
    let started_at = oneonone_persistence::now();
    let started = Instant::now();
    let id = job.id.to_string();
    let timestamp = Utc::now().timestamp();
    let body = job.payload.into_bytes();
    let signature =
        signing::signature_header(&target.signing_secrets(started_at), &id, timestamp, &body);
    let sent = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error, retry_after) = match &sent {
        Ok(res) if res.status().is_success() => (Some(res.status().as_u16()), None, None),
        Ok(res) => (
            Some(res.status().as_u16()),
            Some(format!("the receiver answered {}", res.status())),
            retry_after(res),
        ),
        Err(e) if e.is_timeout() => (
            None,
            Some(format!(
                "no answer within {} s",
                config.timeout.as_secs_f64()
            )),
            None,
        ),
        Err(e) if e.is_connect() => (None, Some("could not connect".to_owned()), None),
        Err(e) => (None, Some(truncate(&e.to_string(), 500)), None),
    };
    drop(sent);
    let retry_at = error.as_ref().map(|_| {
        let attempt = u32::try_from(job.attempts).unwrap_or(1);
        let wait = oneonone_domain::webhook::backoff(
            attempt,
            config.retry_base,
            config.retry_cap,
            rand::random::<f64>(),
        )
        .max(retry_after.unwrap_or_default().min(config.retry_cap));
        oneonone_persistence::now()
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    });
    if error.is_some() {
        stats.attempts_failed.inc();
    } else {
        stats.attempts_ok.inc();
    }
    let outcome = AttemptOutcome {
        job_id: job.id,
        attempt: job.attempts,
        worker,
        started_at,
        duration_ms,
        status_code: status_code.map(i32::from),
        error,
        retry_at,
    };
    Sent {
        outcome,
        subscription: job.target_id,
        queued_at: job.created_at,
    }
}

/// `Retry-After` in seconds, on 429 and 503.
fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    if !matches!(res.status().as_u16(), 429 | 503) {
        return None;
    }
    res.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
