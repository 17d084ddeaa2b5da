//! The `reminders` plan: a morning's 1:1 reminders for an organisation of `PEOPLE` people, from
//! the moment they come due to the last one's arrival at an SMTP relay on 127.0.0.1.
//!
//! 1. An SMTP receiver in this process (mailin-embedded) on the port the server was told
//!    (`BENCH_SMTP_PORT`);
//! 2. `PEOPLE` people imported: `MANAGERS` managers with their reports;
//! 3. a one-off 1:1 of each report with their manager, all starting at the same moment, a day
//!    and `SETTLE` from now (the default reminder lead is 24 hours): their invitations go out
//!    first and are not counted;
//! 4. the time from the moment the reminders come due to the last reminder's arrival (the
//!    server looks for due reminders every `ONEONONE_REMINDER_SCAN_SECONDS`, 30 by default).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server};
use serde_json::{Value, json};

use crate::webhooks::import_rows;

const PEOPLE: usize = 10_000;
const MANAGERS: usize = 1_000;
/// How long after the 1:1s are made their reminders come due.
const SETTLE: Duration = Duration::from_secs(90);

#[derive(Default)]
struct Tally {
    reminders: u64,
    others: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

#[derive(Clone)]
struct Session {
    tally: Arc<Mutex<Tally>>,
    reminder: bool,
}

impl Handler for Session {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        _to: &[String],
    ) -> Response {
        self.reminder = false;
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        const KIND: &[u8] = b"X-Oneonone-Kind: meeting_reminder";
        if !self.reminder && buf.windows(KIND.len()).any(|w| w == KIND) {
            self.reminder = true;
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Ok(mut t) = self.tally.lock() {
            if self.reminder {
                let now = Instant::now();
                t.reminders += 1;
                t.first.get_or_insert(now);
                t.last = Some(now);
            } else {
                t.others += 1;
            }
        }
        response::OK
    }
}

pub async fn bench(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let port: u16 = std::env::var("BENCH_SMTP_PORT")
        .context("BENCH_SMTP_PORT: the port the server mails to")?
        .parse()?;
    let tally: Arc<Mutex<Tally>> = Arc::default();
    let session = Session {
        tally: Arc::clone(&tally),
        reminder: false,
    };
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))
        .with_context(|| format!("listening on 127.0.0.1:{port}"))?;
    std::thread::spawn(move || {
        let mut server = Server::new(session);
        server
            .with_name("bench.relay")
            // A thread per open connection: more than the server's pool keeps.
            .with_num_threads(64)
            .with_tcp_listener(listener);
        if let Err(e) = server.serve() {
            eprintln!("the SMTP receiver stopped: {e:?}");
        }
    });

    // The organisation: managers M0…, each with their reports.
    let per_manager = (PEOPLE - MANAGERS) / MANAGERS;
    let mut rows: Vec<Value> = (0..MANAGERS)
        .map(|m| {
            json!({"external_id": format!("M{m}"), "email": format!("m{m}@bench.example.com"),
                   "display_name": format!("Manager {m}"), "department": "Engineering"})
        })
        .collect();
    for r in 0..MANAGERS * per_manager {
        rows.push(
            json!({"external_id": format!("R{r}"), "email": format!("r{r}@bench.example.com"),
            "display_name": format!("Report {r}"), "department": "Engineering",
            "manager_external_id": format!("M{}", r / per_manager)}),
        );
    }
    let imported = import_rows(client, base, token, rows).await?;
    let ids: Vec<String> = imported["rows"]
        .as_array()
        .context("import rows")?
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    if ids.len() != MANAGERS + MANAGERS * per_manager {
        bail!("the import made {} people", ids.len());
    }
    // One 1:1 per report, all at the same moment (whole seconds).
    let starts = chrono::Utc::now() + chrono::Duration::hours(24) + SETTLE;
    let starts = starts.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let due_at = Instant::now() + SETTLE;
    let made = futures_util::stream::iter(0..MANAGERS * per_manager)
        .map(|r| {
            let body = json!({"manager_id": ids[r / per_manager], "report_id": ids[MANAGERS + r],
                "starts_at": starts});
            async move {
                client
                    .post(format!("{base}/api/v1/meetings"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await?
                    .error_for_status()
                    .map(|_| ())
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    if let Some(Err(e)) = made.into_iter().find(Result::is_err) {
        bail!("creating the 1:1s: {e}");
    }
    let expected = (2 * MANAGERS * per_manager) as u64;
    let made_in = SETTLE.saturating_sub(due_at.saturating_duration_since(Instant::now()));
    println!(
        "reminders: {} people, {} 1:1s made in {:.1} s; their reminders come due in {:.0} s",
        ids.len(),
        MANAGERS * per_manager,
        made_in.as_secs_f64(),
        due_at
            .saturating_duration_since(Instant::now())
            .as_secs_f64()
    );
    let deadline = due_at + Duration::from_secs(600);
    loop {
        let (reminders, others, first, last) = {
            let t = tally.lock().map_err(|_| anyhow::anyhow!("tally lock"))?;
            (t.reminders, t.others, t.first, t.last)
        };
        if reminders >= expected {
            let to_last = last.map(|l| l.saturating_duration_since(due_at));
            let spread = match (first, last) {
                (Some(f), Some(l)) => l.duration_since(f).as_secs_f64(),
                _ => 0.0,
            };
            println!(
                "reminders: {reminders} reminders reached the relay {:.1} s after they came due \
                 (first to last: {spread:.1} s = {:.0} emails/s; {others} other emails, the \
                 invitations, before them; floor: within 60 s)",
                to_last.unwrap_or_default().as_secs_f64(),
                reminders as f64 / spread.max(0.001),
            );
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {reminders} of {expected} reminders arrived");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
