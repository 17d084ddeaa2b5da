//! The job runner that sits beside the API in the server process: it turns the event log and
//! the reminder schedule into deliveries (webhooks, email) and sends them.
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

pub mod chat;
pub mod email;
pub mod signing;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::StreamExt;
use oneonone_persistence::Database;
use oneonone_persistence::jobs::{AttemptOutcome, JobRecord, Settled};
use oneonone_persistence::webhooks::WebhookRecord;
use oneonone_usecases::chat::CHANNEL as chat_channel;
use oneonone_usecases::notify;
use oneonone_usecases::outbox::FanOut;
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
    /// How often reminders that have come due are looked for.
    pub schedule_every: Duration,
    /// When managers get their weekly digest.
    pub digest: oneonone_domain::notify::DigestTime,
    /// Jobs that ended (with their delivery logs) are kept this long…
    pub retention: Duration,
    /// …and looked for this often.
    pub purge_every: Duration,
    /// Email, when an SMTP relay is configured.
    pub email: Option<email::EmailConfig>,
    /// Where people open a 1:1 (the links in chat messages).
    pub app_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_cap: Duration::from_secs(3600),
            retry_window: Duration::from_secs(24 * 3600),
            batch: 256,
            concurrency: 32,
            fan_out_batch: 500,
            schedule_every: Duration::from_secs(30),
            digest: oneonone_domain::notify::DigestTime::default(),
            retention: Duration::from_secs(30 * 24 * 3600),
            purge_every: Duration::from_secs(3600),
            email: None,
            app_url: "http://localhost:8080".to_owned(),
        }
    }
}

impl Config {
    /// A claim lasts as long as sending the whole batch may take (each round of
    /// `concurrency` sends bounded by the timeout) and then some: a live worker never loses a
    /// claim before it has sent it.
    fn lease(&self) -> Duration {
        let per_round = self.concurrency.max(1) as u64;
        let rounds = (self.batch.max(1) as u64).div_ceil(per_round);
        self.timeout * u32::try_from(rounds).unwrap_or(u32::MAX) + Duration::from_secs(5)
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
    let mailer = config.email.clone().and_then(|c| {
        email::Mailer::new(c, config.timeout, config.concurrency)
            .map_err(|e| tracing::error!(error = %e, "email is off: the SMTP settings are wrong"))
            .ok()
    });
    let mut scheduled_at: Option<Instant> = None;
    let mut purged_at: Option<Instant> = None;
    while !*stopped.borrow() {
        let mut busy = false;
        for log in [Log::Webhooks, Log::Email] {
            let wanted = match log {
                Log::Webhooks => true,
                Log::Email => mailer.is_some(),
            };
            match fan_out(&db, &config, log, wanted).await {
                Ok(queued) => {
                    stats.jobs_queued.inc_by(queued);
                    busy |= queued > 0;
                }
                Err(e) => {
                    tracing::warn!(error = %e, channel = log.channel(), "fan-out failed; retrying")
                }
            }
        }
        if purged_at.is_none_or(|t| t.elapsed() >= config.purge_every) {
            purged_at = Some(Instant::now());
            let before = oneonone_persistence::now()
                - chrono::Duration::from_std(config.retention)
                    .unwrap_or(chrono::Duration::days(30));
            let purged = db
                .transact(move |tx| {
                    Box::pin(async move {
                        Ok::<_, oneonone_usecases::Error>(tx.purge_finished_jobs(before).await?)
                    })
                })
                .await;
            if let Err(e) = purged {
                tracing::warn!(error = %e, "forgetting old jobs failed; trying again later");
            }
        }
        if scheduled_at.is_none_or(|t| t.elapsed() >= config.schedule_every) {
            scheduled_at = Some(Instant::now());
            schedule(&db, &config, mailer.is_some(), &stats).await;
        }
        match deliver_webhooks(&db, &client, &config, worker, &stats).await {
            Ok(sent) => busy |= sent > 0,
            Err(e) => tracing::warn!(error = %e, "claiming webhook deliveries failed; retrying"),
        }
        let send = |job| send_chat(&db, &client, &config, worker, &stats, job);
        match deliver_each(&db, chat_channel, &config, worker, &stats, send).await {
            Ok(sent) => busy |= sent > 0,
            Err(e) => tracing::warn!(error = %e, "claiming chat messages failed; retrying"),
        }
        if let Some(mailer) = &mailer {
            let send = |job| send_email(&db, mailer, &config, worker, &stats, job);
            match deliver_each(&db, notify::CHANNEL, &config, worker, &stats, send).await {
                Ok(sent) => busy |= sent > 0,
                Err(e) => tracing::warn!(error = %e, "claiming emails failed; retrying"),
            }
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

/// Queue what the schedule says is due: reminders, digests, and (by email) the program's
/// reminders, on the channels that send (email when a relay is set, chat when someone set a
/// destination).
async fn schedule(db: &Database, config: &Config, email: bool, stats: &Stats) {
    let chat = match db.any_chat_destination().await {
        Ok(any) => any,
        Err(e) => {
            tracing::warn!(error = %e, "reading chat destinations failed; retrying");
            false
        }
    };
    let to = notify::Channels { email, chat };
    if !email && !chat {
        return;
    }
    let now = oneonone_persistence::now();
    // Two scans ahead: a reminder waits in the queue for its moment.
    let ahead = chrono::Duration::from_std(config.schedule_every * 2)
        .unwrap_or(chrono::Duration::minutes(1));
    match notify::schedule_reminders(db, now, ahead, to).await {
        Ok(queued) => {
            stats.jobs_queued.inc_by(queued);
        }
        Err(e) => tracing::warn!(error = %e, "scheduling reminders failed; retrying"),
    }
    if email {
        match notify::schedule_program_reminders(db, now, config.digest.hour).await {
            Ok(queued) => {
                stats.jobs_queued.inc_by(queued);
            }
            Err(e) => {
                tracing::warn!(error = %e, "scheduling program reminders failed; retrying")
            }
        }
    }
    match notify::schedule_digests(db, now, config.digest, to).await {
        Ok(queued) => {
            stats.jobs_queued.inc_by(queued);
        }
        Err(e) => tracing::warn!(error = %e, "scheduling digests failed; retrying"),
    }
}

/// This many jobs queued in one go refresh the queue's statistics (see
/// `Database::refresh_job_stats`).
const BURST: u64 = 1000;

/// A reader of the event log that makes jobs.
#[derive(Debug, Clone, Copy)]
enum Log {
    Webhooks,
    Email,
}

impl Log {
    fn cursor(self) -> &'static str {
        match self {
            Log::Webhooks => usecase::CURSOR,
            Log::Email => notify::CURSOR,
        }
    }

    fn channel(self) -> &'static str {
        match self {
            Log::Webhooks => usecase::CHANNEL,
            Log::Email => notify::CHANNEL,
        }
    }
}

/// Turn new events into jobs until the log is read up to its head. The jobs queued. With
/// nobody to send to (`wanted` false, or no subscription) the cursor just moves on.
async fn fan_out(
    db: &Database,
    config: &Config,
    log: Log,
    wanted: bool,
) -> Result<u64, oneonone_usecases::Error> {
    let mut queued = 0;
    loop {
        // Cheap reads first: an idle server writes nothing.
        let cursor = db.log_cursor(log.cursor()).await?;
        let head = db.log_head().await?;
        if head <= cursor {
            return Ok(queued);
        }
        let idle = match log {
            Log::Webhooks => !wanted || db.all_webhooks().await?.is_empty(),
            Log::Email => !wanted,
        };
        if idle {
            db.move_log_cursor(log.cursor(), cursor, head).await?;
            return Ok(queued);
        }
        let limit = config.fan_out_batch;
        let window =
            chrono::Duration::from_std(config.retry_window).unwrap_or(chrono::Duration::days(1));
        let done: FanOut = db
            .transact(move |tx| {
                Box::pin(async move {
                    match log {
                        Log::Webhooks => usecase::fan_out(tx, limit, window).await,
                        Log::Email => notify::fan_out(tx, limit).await,
                    }
                })
            })
            .await?;
        queued += done.jobs;
        if done.busy || (done.events as i64) < limit {
            if queued >= BURST {
                db.refresh_job_stats().await?;
            }
            return Ok(queued);
        }
    }
}

/// Claim due jobs of a channel.
async fn claim(
    db: &Database,
    channel: &'static str,
    config: &Config,
    worker: Uuid,
) -> Result<Vec<JobRecord>, oneonone_usecases::Error> {
    let now = oneonone_persistence::now();
    if !db.jobs_due(channel, now).await? {
        return Ok(Vec::new());
    }
    let lease = chrono::Duration::from_std(config.lease()).unwrap_or(chrono::Duration::minutes(1));
    Ok(db
        .claim_jobs(channel, worker, now, now + lease, config.batch)
        .await?)
}

/// Send claimed jobs `concurrency` at a time; what has come back is recorded together, so a
/// busy runner commits once per handful of deliveries, not once per delivery. A send that
/// gives `None` settled its job itself.
///
/// Sending and recording run side by side: sends in flight keep going while a batch is
/// recorded. (Recording from the same stream would stop polling the sends meanwhile, and on
/// PostgreSQL, where both draw on one pool, sends holding its connections mid-query would
/// leave the recording none until the pool timed out.)
async fn send_all<F, Fut>(db: &Database, config: &Config, stats: &Stats, sends: Vec<F>)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Option<Sent>>,
{
    let width = config.concurrency.max(1);
    let (done, mut came_back) = tokio::sync::mpsc::unbounded_channel();
    let sending = async move {
        let mut sent = futures_util::stream::iter(sends.into_iter().map(|f| f()))
            .buffer_unordered(width)
            .filter_map(std::future::ready);
        while let Some(s) = sent.next().await {
            // The receiver lives until every sender is gone.
            let _ = done.send(s);
        }
    };
    let recording = async {
        while let Some(first) = came_back.recv().await {
            let mut chunk = vec![first];
            while chunk.len() < width {
                match came_back.try_recv() {
                    Ok(more) => chunk.push(more),
                    Err(_) => break,
                }
            }
            settle(db, stats, chunk).await;
        }
    };
    futures_util::future::join(sending, recording).await;
}

/// Claim due jobs of `channel` and send each with `send`. How many were claimed.
async fn deliver_each<F, Fut>(
    db: &Database,
    channel: &'static str,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    send: F,
) -> Result<usize, oneonone_usecases::Error>
where
    F: Fn(JobRecord) -> Fut,
    Fut: std::future::Future<Output = Option<Sent>>,
{
    let jobs = claim(db, channel, config, worker).await?;
    let count = jobs.len();
    let send = &send;
    let sends = jobs.into_iter().map(|job| move || send(job)).collect();
    send_all(db, config, stats, sends).await;
    Ok(count)
}

/// Record that a job is not needed any more (its 1:1 moved, its recipient left…).
async fn dropped(db: &Database, job: &JobRecord, worker: Uuid, reason: &str) {
    if let Err(e) = db.drop_job(job.id, worker, reason).await {
        tracing::warn!(error = %e, "could not record a dropped job; it ends with its lease");
    }
}

async fn send_email(
    db: &Database,
    mailer: &email::Mailer,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    job: JobRecord,
) -> Option<Sent> {
    let started = (oneonone_persistence::now(), Instant::now());
    let answer = match email::compose(db, mailer, &job).await {
        Ok(email::Composed::Send(message)) => mailer.send(*message).await,
        Ok(email::Composed::Drop(reason)) => {
            dropped(db, &job, worker, reason).await;
            return None;
        }
        Err(e) => Answer {
            error: Some(format!("reading the email's content failed: {e}")),
            ..Answer::default()
        },
    };
    Some(attempted(
        config,
        worker,
        stats,
        notify::CHANNEL,
        &job,
        started,
        answer,
    ))
}

/// Claim due webhook deliveries and send them. How many were claimed.
async fn deliver_webhooks(
    db: &Database,
    client: &reqwest::Client,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
) -> Result<usize, oneonone_usecases::Error> {
    let jobs = claim(db, usecase::CHANNEL, config, worker).await?;
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
    let sends = jobs
        .into_iter()
        .filter_map(|job| {
            let target = targets.get(&job.target_id).cloned()?;
            Some(move || async move {
                Some(send_webhook(client, config, worker, stats, job, target).await)
            })
        })
        .collect();
    send_all(db, config, stats, sends).await;
    Ok(count)
}

async fn send_chat(
    db: &Database,
    client: &reqwest::Client,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    job: JobRecord,
) -> Option<Sent> {
    let started = (oneonone_persistence::now(), Instant::now());
    let failed = |what: String| Answer {
        error: Some(what),
        ..Answer::default()
    };
    let answer = match db.get_chat_destination(job.target_id).await {
        // Deleted meanwhile: its jobs went with it.
        Err(oneonone_persistence::StoreError::NotFound) => return None,
        Err(e) => failed(format!("reading the destination failed: {e}")),
        Ok(d) => match chat::compose(db, &config.app_url, &job, &d).await {
            Ok(chat::Composed::Send(body)) => {
                let sent = client
                    .post(&d.url)
                    .header("content-type", "application/json")
                    .header("idempotency-key", job.id.to_string())
                    .body(body.to_string())
                    .send()
                    .await;
                // A destination that is gone (Slack: 404 `no_service`, 410
                // `channel_is_archived`, 403 `invalid_token`) or a message it refuses (400)
                // will not take a retry.
                answer_of(sent, config, |status| {
                    status.is_client_error() && !matches!(status.as_u16(), 408 | 425 | 429)
                })
            }
            Ok(chat::Composed::Drop(reason)) => {
                dropped(db, &job, worker, reason).await;
                return None;
            }
            Err(e) => failed(format!("reading the message's content failed: {e}")),
        },
    };
    Some(attempted(
        config,
        worker,
        stats,
        oneonone_usecases::chat::CHANNEL,
        &job,
        started,
        answer,
    ))
}

/// How an HTTP post went, as the receiver answered: 2xx delivered; `permanent` statuses never
/// retried; 429 and 503 with their `Retry-After`.
fn answer_of(
    sent: Result<reqwest::Response, reqwest::Error>,
    config: &Config,
    permanent: impl Fn(reqwest::StatusCode) -> bool,
) -> Answer {
    match &sent {
        Ok(res) if res.status().is_success() => Answer {
            status: Some(res.status().as_u16()),
            ..Answer::default()
        },
        Ok(res) => Answer {
            status: Some(res.status().as_u16()),
            error: Some(format!("the receiver answered {}", res.status())),
            retry_after: retry_after(res),
            permanent: permanent(res.status()),
        },
        Err(e) if e.is_timeout() => Answer {
            error: Some(format!(
                "no answer within {} s",
                config.timeout.as_secs_f64()
            )),
            ..Answer::default()
        },
        Err(e) if e.is_connect() => Answer {
            error: Some("could not connect".to_owned()),
            ..Answer::default()
        },
        Err(e) => Answer {
            error: Some(truncate(&e.to_string(), 500)),
            ..Answer::default()
        },
    }
}

/// Record a chunk of attempts: the deliveries in one statement, each failure in a transaction
/// of its own (it may turn its subscription off).
async fn settle(db: &Database, stats: &Stats, chunk: Vec<Sent>) {
    let (delivered, failed): (Vec<Sent>, Vec<Sent>) = chunk
        .into_iter()
        .partition(|s| s.outcome.retry_at.is_none());
    if !delivered.is_empty() {
        let outcomes: Vec<AttemptOutcome> = delivered.into_iter().map(|s| s.outcome).collect();
        retrying("record deliveries", || async {
            db.settle_delivered(&outcomes).await.map(|_| ())
        })
        .await;
    }
    for sent in failed {
        let (channel, target, queued_at) = (sent.channel, sent.target, sent.queued_at);
        let outcome = sent.outcome;
        let dead = retrying("record a failed attempt", || {
            let o = outcome.clone();
            async move {
                db.transact(move |tx| {
                    Box::pin(async move {
                        if channel == usecase::CHANNEL {
                            usecase::settle(tx, &o, target, queued_at).await
                        } else {
                            Ok(tx.settle_job(&o).await?)
                        }
                    })
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
    channel: &'static str,
    target: Uuid,
    queued_at: chrono::DateTime<Utc>,
}

/// How a send went, as the receiver answered.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    pub(crate) status: Option<u16>,
    /// `None`: delivered.
    pub(crate) error: Option<String>,
    /// How long the receiver asked us to wait.
    pub(crate) retry_after: Option<Duration>,
    /// The receiver will never take it: no retry.
    pub(crate) permanent: bool,
}

/// Record how one send of `job`, started at `started_at`, went: delivered, or failed and to
/// be tried again after a backoff (or never, if the refusal was permanent).
fn attempted(
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    channel: &'static str,
    job: &JobRecord,
    (started_at, started): (chrono::DateTime<Utc>, Instant),
    answer: Answer,
) -> Sent {
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let retry_at = answer.error.as_ref().map(|_| {
        if answer.permanent {
            return job.deadline + chrono::Duration::seconds(1);
        }
        let attempt = u32::try_from(job.attempts).unwrap_or(1);
        let wait = oneonone_domain::webhook::backoff(
            attempt,
            config.retry_base,
            config.retry_cap,
            rand::random::<f64>(),
        )
        .max(answer.retry_after.unwrap_or_default().min(config.retry_cap));
        oneonone_persistence::now()
            + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
    });
    if answer.error.is_some() {
        stats.attempts_failed.inc();
    } else {
        stats.attempts_ok.inc();
    }
    Sent {
        outcome: AttemptOutcome {
            job_id: job.id,
            attempt: job.attempts,
            worker,
            started_at,
            duration_ms,
            status_code: answer.status.map(i32::from),
            error: answer.error,
            retry_at,
        },
        channel,
        target: job.target_id,
        queued_at: job.created_at,
    }
}

/// Send one webhook delivery.
async fn send_webhook(
    client: &reqwest::Client,
    config: &Config,
    worker: Uuid,
    stats: &Stats,
    job: JobRecord,
    target: Arc<WebhookRecord>,
) -> Sent {
    let started = (oneonone_persistence::now(), Instant::now());
    let id = job.id.to_string();
    let timestamp = Utc::now().timestamp();
    let body = job.payload.clone().into_bytes();
    let signature =
        signing::signature_header(&target.signing_secrets(started.0), &id, timestamp, &body);
    let sent = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    // A subscriber's receiver is retried whatever it answers, for the whole retry window.
    let answer = answer_of(sent, config, |_| false);
    attempted(
        config,
        worker,
        stats,
        usecase::CHANNEL,
        &job,
        started,
        answer,
    )
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
