//! A real crash: the server process is killed with SIGKILL while clients create records with
//! `Idempotency-Key`s, then started again on the same database. Every key must then either
//! replay its first answer or create its record once: never a 409 that outlives the crash,
//! never two records for one key.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oneonone_tests::*;
use serde_json::json;
use tokio::sync::Mutex;

/// The `oneonone` binary next to this test's (`make test` builds it first).
fn server_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target directory");
    let bin = dir.join("oneonone");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p oneonone-api`; `make test` does)",
        bin.display()
    );
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Server {
    child: Child,
    base: String,
}

async fn start(url: &str) -> Server {
    start_with(url, &[]).await
}

async fn start_with(url: &str, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let mut child = Command::new(server_binary())
        .arg("serve")
        .envs(env.iter().copied())
        .env("ONEONONE_DATABASE_URL", url)
        .env("ONEONONE_BIND", format!("127.0.0.1:{port}"))
        .env("ONEONONE_JWT_SECRET", JWT_SECRET)
        .env("ONEONONE_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("ONEONONE_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("ONEONONE_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
        .env("ONEONONE_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return Server { child, base };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not become ready");
}

/// The replicas that take over after a crash: three on PostgreSQL, one on SQLite (one writer).
async fn replicas(url: &str, env: &[(&str, &str)]) -> Vec<Server> {
    let n = if postgres_url().is_some() { 3 } else { 1 };
    let mut servers = Vec::new();
    for _ in 0..n {
        servers.push(start_with(url, env).await);
    }
    servers
}

async fn admin_token(base: &str) -> String {
    let r: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login body");
    r["access_token"].as_str().expect("token").to_owned()
}

fn body(i: usize) -> serde_json::Value {
    json!({"email": format!("crash{i}@example.com"), "display_name": format!("Crash {i}")})
}

async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let r = client
        .post(format!("{base}/api/v1/people"))
        .bearer_auth(token)
        .header("idempotency-key", format!("crash-{i}"))
        .json(&body(i))
        .send()
        .await?;
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(serde_json::Value::Null);
    Ok((status, body))
}

#[tokio::test]
async fn sigkill_under_keyed_creates_leaves_no_key_stuck_and_no_duplicate() {
    let db = TestDatabase::new().await;
    let mut server = start(&db.url).await;
    let token = admin_token(&server.base).await;
    let client = reqwest::Client::new();
    // Creates from 8 clients at once, each with its own keys, until the server dies.
    let answered: Arc<Mutex<HashMap<usize, String>>> = Arc::default();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        let (answered, next) = (Arc::clone(&answered), Arc::clone(&next));
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                match create(&client, &base, &token, i).await {
                    Ok((201, b)) => {
                        let id = b["id"].as_str().unwrap_or_default().to_owned();
                        answered.lock().await.insert(i, id);
                    }
                    Ok((status, b)) => panic!("create {i} answered {status}: {b}"),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    // Let a few hundred creates through, then kill the server in the middle of the next ones.
    let deadline = Instant::now() + Duration::from_secs(30);
    while answered.lock().await.len() < 300 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    for w in workers {
        w.await.expect("worker");
    }
    let sent = next.load(std::sync::atomic::Ordering::SeqCst);
    let answered = answered.lock().await.clone();
    assert!(answered.len() >= 100, "too few creates before the kill");
    // Start again on the same database and retry every key that was sent.
    let mut server = start(&db.url).await;
    let token = admin_token(&server.base).await;
    let mut ids = HashSet::new();
    for i in 0..sent {
        let (status, b) = create(&client, &server.base, &token, i)
            .await
            .expect("retry after restart");
        assert_eq!(status, 201, "key crash-{i} after the crash: {b}");
        let id = b["id"].as_str().unwrap_or_default().to_owned();
        if let Some(first) = answered.get(&i) {
            assert_eq!(&id, first, "key crash-{i} replays its first answer");
        }
        ids.insert(id);
    }
    assert_eq!(ids.len(), sent, "one person per key");
    // No key made a second person: exactly `sent` people were created.
    let mut count = 0;
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{}/api/v1/people?limit=200&cursor={c}", server.base),
            None => format!("{}/api/v1/people?limit=200", server.base),
        };
        let page: serde_json::Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("page");
        count += page["data"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter(|p| p["email"].as_str().is_some_and(|e| e.starts_with("crash")))
                    .count()
            })
            .unwrap_or(0);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(count, sent);
    let _ = server.child.kill();
    let _ = server.child.wait();
}

/// Three replicas on one PostgreSQL (one server and a restart on SQLite) send webhooks; the one
/// sending is killed with SIGKILL while the receiver holds its requests. Every event still
/// reaches the receiver, each acknowledged once: what the dead replica had claimed is sent again
/// with the same `webhook-id` when its lease ends, and nothing acknowledged goes out again.
#[tokio::test]
async fn sigkill_mid_send_loses_no_webhook_and_sends_none_twice() {
    use oneonone_tests::receiver::{Mode, Receiver};
    let db = TestDatabase::new().await;
    let env = [
        ("ONEONONE_JOBS_POLL_MS", "50"),
        ("ONEONONE_WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("ONEONONE_WEBHOOK_RETRY_BASE_MS", "100"),
    ];
    let receiver = Receiver::start(Mode::Hang(Duration::from_secs(4))).await;
    let mut first = start_with(&db.url, &env).await;
    let token = admin_token(&first.base).await;
    let client = reqwest::Client::new();
    let subscription: serde_json::Value = client
        .post(format!("{}/api/v1/webhooks", first.base))
        .bearer_auth(&token)
        .json(&json!({"url": receiver.url, "event_types": ["person.created"]}))
        .send()
        .await
        .expect("subscribe")
        .json()
        .await
        .expect("subscription");
    assert!(subscription["secret"].is_string(), "{subscription}");
    let people = |base: String, range: std::ops::Range<usize>| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            for i in range {
                let r = client
                    .post(format!("{base}/api/v1/people"))
                    .bearer_auth(&token)
                    .json(&json!({"email": format!("hook{i}@example.com"), "display_name": format!("Hook {i}")}))
                    .send()
                    .await
                    .expect("create");
                assert_eq!(r.status().as_u16(), 201);
            }
        }
    };
    people(first.base.clone(), 0..20).await;
    // The first replica is sending: the receiver holds its requests. Kill it there.
    receiver
        .wait_for("requests held open", |got| got.len() >= 5)
        .await;
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    let held: HashSet<String> = receiver.received().into_iter().map(|r| r.id).collect();
    receiver.set_mode(Mode::Ok);
    let servers = replicas(&db.url, &env).await;
    let replicas = servers.len();
    // More events while the replicas claim side by side.
    let mut writers = Vec::new();
    for (n, s) in servers.iter().enumerate() {
        writers.push(tokio::spawn(people(
            s.base.clone(),
            20 + n * 10..30 + n * 10,
        )));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let expected = 20 + replicas * 10;
    receiver
        .wait_for("every event acknowledged", |_| {
            let acked: HashSet<String> =
                receiver.acknowledged().into_iter().map(|r| r.id).collect();
            acked.len() >= expected
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mut acks: HashMap<String, usize> = HashMap::new();
    for r in receiver.acknowledged() {
        *acks.entry(r.id).or_default() += 1;
    }
    assert_eq!(acks.len(), expected, "every event, once each");
    assert!(
        acks.values().all(|n| *n == 1),
        "nothing acknowledged goes out again: {acks:?}"
    );
    let resent = held.iter().filter(|id| acks.contains_key(*id)).count();
    assert_eq!(
        resent,
        held.len(),
        "what the dead replica held was sent again, same ids"
    );
    let bodies: HashSet<String> = receiver
        .acknowledged()
        .iter()
        .map(|r| {
            r.json()["subject"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(bodies.len(), expected, "one delivery per person");
    for mut s in servers {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }
}

/// The same for email: three replicas on one PostgreSQL (one server and a restart on SQLite)
/// send calendar invitations through a relay that holds its answers; the sending replica is
/// killed with SIGKILL meanwhile. Every invitation still arrives, each identified by its
/// `Message-ID` (the job's id, the same on every attempt, so the mailbox can de-duplicate), and
/// none that was not in flight at the crash arrives twice.
#[tokio::test]
async fn sigkill_mid_send_loses_no_email_and_sends_none_twice() {
    use oneonone_tests::smtp::{SmtpMode, SmtpReceiver};
    let db = TestDatabase::new().await;
    let smtp = SmtpReceiver::start(SmtpMode::Hold(Duration::from_secs(4)));
    let env = [
        ("ONEONONE_JOBS_POLL_MS", "50"),
        ("ONEONONE_WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("ONEONONE_WEBHOOK_RETRY_BASE_MS", "100"),
        ("ONEONONE_SMTP_URL", smtp.url.as_str()),
        ("ONEONONE_MAIL_FROM", "oneonone <noreply@oneonone.test>"),
    ];
    let mut first = start_with(&db.url, &env).await;
    let token = admin_token(&first.base).await;
    let client = reqwest::Client::new();
    // Each pair's new series: one invitation to each of the two.
    let pairs = |base: String, range: std::ops::Range<usize>| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            for i in range {
                let mut ids = Vec::new();
                for role in ["manager", "report"] {
                    let r: serde_json::Value = client
                        .post(format!("{base}/api/v1/people"))
                        .bearer_auth(&token)
                        .json(&json!({"email": format!("{role}{i}@example.com"),
                            "display_name": format!("{role} {i}")}))
                        .send()
                        .await
                        .expect("create")
                        .json()
                        .await
                        .expect("person");
                    ids.push(r["id"].as_str().expect("id").to_owned());
                }
                let r = client
                    .post(format!("{base}/api/v1/meeting-series"))
                    .bearer_auth(&token)
                    .json(&json!({"manager_id": ids[0], "report_id": ids[1],
                        "cadence": {"frequency": "weekly", "weekday": "monday"},
                        "local_time": "10:00", "time_zone": "Europe/Berlin",
                        "start_date": "2030-03-18"}))
                    .send()
                    .await
                    .expect("series");
                assert_eq!(r.status().as_u16(), 201);
            }
        }
    };
    pairs(first.base.clone(), 0..10).await;
    smtp.wait_for("messages held open", |_| smtp.held().len() >= 5)
        .await;
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    let held: HashSet<String> = smtp.held().iter().map(|m| m.message_id()).collect();
    smtp.set_mode(SmtpMode::Accept);
    let servers = replicas(&db.url, &env).await;
    let replicas = servers.len();
    let mut writers = Vec::new();
    for (n, s) in servers.iter().enumerate() {
        writers.push(tokio::spawn(pairs(s.base.clone(), 10 + n * 5..15 + n * 5)));
    }
    for w in writers {
        w.await.expect("writer");
    }
    let expected = 2 * (10 + replicas * 5);
    let distinct = |mails: &[oneonone_tests::smtp::Mail]| {
        mails
            .iter()
            .map(|m| m.message_id())
            .collect::<HashSet<_>>()
            .len()
    };
    smtp.wait_for("every invitation", |m| distinct(m) >= expected)
        .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let mails = smtp.accepted();
    let mut copies: HashMap<String, usize> = HashMap::new();
    let mut to: HashSet<(String, String)> = HashSet::new();
    for m in &mails {
        *copies.entry(m.message_id()).or_default() += 1;
        to.insert((m.to_address(), m.subject()));
    }
    assert_eq!(
        copies.len(),
        expected,
        "every invitation, by its Message-ID"
    );
    assert_eq!(to.len(), expected, "one invitation per person and series");
    for (id, n) in &copies {
        assert!(
            *n == 1 || held.contains(id),
            "{id} arrived {n} times without having been in flight at the crash"
        );
    }
    for mut s in servers {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }
}

/// The same for Slack and Teams: a manager's team channel gets a line before each of their
/// 1:1s; the channel holds its answers and the sending replica is killed with SIGKILL. Every
/// message still arrives, each with its `Idempotency-Key` (the job's id, the same on every
/// attempt), and none acknowledged goes out again.
#[tokio::test]
async fn sigkill_mid_send_loses_no_chat_message_and_sends_none_twice() {
    use oneonone_tests::receiver::{Mode, Receiver};
    let db = TestDatabase::new().await;
    let env = [
        ("ONEONONE_JOBS_POLL_MS", "50"),
        ("ONEONONE_WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("ONEONONE_WEBHOOK_RETRY_BASE_MS", "100"),
        ("ONEONONE_REMINDER_SCAN_SECONDS", "1"),
        ("ONEONONE_APP_URL", "https://app.oneonone.test"),
    ];
    let channel = Receiver::start(Mode::Hang(Duration::from_secs(4))).await;
    let mut first = start_with(&db.url, &env).await;
    let token = admin_token(&first.base).await;
    let client = reqwest::Client::new();
    let post = |base: &str, path: &str, body: serde_json::Value| {
        let request = client
            .post(format!("{base}/api/v1/{path}"))
            .bearer_auth(&token)
            .json(&body);
        let path = path.to_owned();
        async move {
            let r = request.send().await.expect("post");
            assert_eq!(r.status().as_u16(), 201, "{path}");
            let v: serde_json::Value = r.json().await.expect("json");
            v["id"].as_str().expect("id").to_owned()
        }
    };
    let manager = post(
        &first.base,
        "people",
        json!({"email": "lead@example.com", "display_name": "Lead"}),
    )
    .await;
    // HR sets up the manager's team channel.
    post(
        &first.base,
        "chat-destinations",
        json!({"platform": "slack", "url": channel.url, "audience": "team",
            "person_id": manager, "kinds": ["meeting_reminder"]}),
    )
    .await;
    // A 1:1 in an hour with each report: due at once (the default lead is a day).
    let one_on_ones = |base: String, range: std::ops::Range<usize>| {
        let manager = manager.clone();
        let post = &post;
        async move {
            for i in range {
                let report = post(
                    &base,
                    "people",
                    json!({"email": format!("report{i}@example.com"),
                        "display_name": format!("Report {i}"), "manager_id": manager}),
                )
                .await;
                let at = chrono::Utc::now() + chrono::Duration::minutes(60 + i as i64);
                let at = at - chrono::Duration::nanoseconds(i64::from(at.timestamp_subsec_nanos()));
                post(
                    &base,
                    "meetings",
                    json!({"manager_id": manager, "report_id": report, "starts_at": at}),
                )
                .await;
            }
        }
    };
    one_on_ones(first.base.clone(), 0..20).await;
    channel
        .wait_for("messages held open", |got| got.len() >= 5)
        .await;
    first.child.kill().expect("SIGKILL");
    let _ = first.child.wait();
    let held: HashSet<String> = channel
        .received()
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    channel.set_mode(Mode::Ok);
    let servers = replicas(&db.url, &env).await;
    let replicas = servers.len();
    for (n, s) in servers.iter().enumerate() {
        one_on_ones(s.base.clone(), 20 + n * 5..25 + n * 5).await;
    }
    let expected = 20 + replicas * 5;
    let acked_keys = || {
        channel
            .acknowledged()
            .into_iter()
            .map(|r| r.idempotency_key)
            .collect::<HashSet<_>>()
    };
    channel
        .wait_for("every message acknowledged", |_| {
            acked_keys().len() >= expected
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut acks: HashMap<String, usize> = HashMap::new();
    let mut meetings = HashSet::new();
    for r in channel.acknowledged() {
        assert!(!r.idempotency_key.is_empty());
        *acks.entry(r.idempotency_key.clone()).or_default() += 1;
        let link = r.json()["blocks"]
            .as_array()
            .and_then(|b| b.last())
            .map(|b| b["elements"][0]["url"].clone())
            .expect("a link");
        meetings.insert(link.to_string());
    }
    assert_eq!(acks.len(), expected, "every reminder, once each");
    assert!(
        acks.values().all(|n| *n == 1),
        "nothing acknowledged goes out again: {acks:?}"
    );
    assert!(
        held.iter().all(|k| acks.contains_key(k)),
        "what the dead replica held was sent again, same keys"
    );
    assert_eq!(meetings.len(), expected, "one message per 1:1");
    for mut s in servers {
        let _ = s.child.kill();
        let _ = s.child.wait();
    }
}
