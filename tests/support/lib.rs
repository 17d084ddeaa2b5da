//! Test support: spawn the real server on port 0 with a fresh database, and a small typed
//! client so each test reads like a user story.
//!
//! The backend is SQLite unless `ONEONONE_TEST_POSTGRES_URL` names a PostgreSQL server; then
//! every test gets a database of its own there, dropped when the test ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod receiver;
pub mod smtp;

use std::path::PathBuf;

use actix_web::dev::ServerHandle;
use oneonone_api::config::Secret;
use oneonone_api::{Application, Settings};
use oneonone_persistence::Database;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub use reqwest;
pub use serde_json;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin password for tests";
pub const PASSWORD: &str = "a long enough password";
/// The access-token key the test servers use, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// Where the test database lives.
enum Store {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A fresh database of its own (a SQLite file, or a PostgreSQL database when
/// `ONEONONE_TEST_POSTGRES_URL` is set), removed when dropped.
pub struct TestDatabase {
    pub url: String,
    store: Store,
}

impl TestDatabase {
    pub async fn new() -> Self {
        let (store, url) = fresh_store().await;
        Self { url, store }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let store = std::mem::replace(&mut self.store, Store::Sqlite(PathBuf::new()));
        remove_store(store);
    }
}

/// A running server with a fresh database.
pub struct TestApp {
    pub base: String,
    /// The database every replica of this server uses.
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: Database,
    pub admin_token: String,
    pub admin_id: Uuid,
    /// Fault hooks of the server's changes.
    pub faults: std::sync::Arc<oneonone_usecases::once::Faults>,
    handle: ServerHandle,
    store: Store,
}

/// A response, read fully.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Assert the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Assert an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        let reply = self.expect(status);
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "not a problem: {}",
            reply.text
        );
        assert_eq!(reply.body["status"], status, "{}", reply.text);
        assert_eq!(reply.body["code"], code, "{}", reply.text);
        assert!(reply.body["type"].is_string() && reply.body["title"].is_string());
        assert!(reply.body["detail"].is_string());
        reply
    }

    pub fn id(&self) -> Uuid {
        self.body["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no id in {}", self.text))
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("ONEONONE_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

fn with_database(url: &str, name: &str) -> String {
    // postgres://user@host:port/db?params -> same with another db
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn fresh_store() -> (Store, String) {
    match postgres_url() {
        Some(admin_url) => {
            let name = format!("oneonone_test_{}", Uuid::now_v7().simple());
            let pool = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("ONEONONE_TEST_POSTGRES_URL is set but PostgreSQL cannot be reached");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .expect("create test database");
            pool.close().await;
            let url = with_database(&admin_url, &name);
            (Store::Postgres { admin_url, name }, url)
        }
        None => {
            let dir = std::env::temp_dir().join("oneonone-tests");
            std::fs::create_dir_all(&dir).expect("temp dir");
            let path = dir.join(format!("{}.db", Uuid::now_v7()));
            let url = format!("sqlite://{}", path.display());
            (Store::Sqlite(path), url)
        }
    }
}

/// Settings for a test server.
pub fn test_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        jwt_secret: Some(Secret::new(JWT_SECRET)),
        bootstrap_admin: Some((ADMIN_EMAIL.into(), Secret::new(ADMIN_PASSWORD))),
        handle_signals: false,
        login_attempts_per_minute: 1000,
        workers: Some(2),
        log_filter: std::env::var("ONEONONE_TEST_LOG").unwrap_or_else(|_| "off".into()),
        ..Settings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawn a server whose settings `tweak` may change.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let (store, url) = fresh_store().await;
    let mut settings = test_settings(url.clone());
    tweak(&mut settings);
    oneonone_api::telemetry::init(&settings);
    let app = Application::build(settings).await.expect("build app");
    let port = app.port();
    let db = app.database().clone();
    let handle = app.handle();
    let faults = app.faults();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut test = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        database_url: url,
        client,
        db,
        admin_token: String::new(),
        admin_id: Uuid::nil(),
        faults,
        handle,
        store,
    };
    let login = test.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect(200);
    test.admin_token = login.body["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    test.admin_id = login.body["person_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("person id");
    test
}

/// Another server on a [`TestApp`]'s database (a replica), stopped when dropped.
pub struct Replica {
    pub base: String,
    handle: ServerHandle,
}

impl Drop for Replica {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl TestApp {
    /// Start a replica: another server on this one's database, with settings `tweak` changed.
    pub async fn replica(&self, tweak: impl FnOnce(&mut Settings)) -> Replica {
        let mut settings = test_settings(self.database_url.clone());
        tweak(&mut settings);
        let app = Application::build(settings).await.expect("build replica");
        let base = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        Replica { base, handle }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stopping sends the command at once; the returned future only waits for completion,
        // which cannot happen while this runtime is busy dropping us.
        drop(self.handle.stop(false));
        let store = std::mem::replace(&mut self.store, Store::Sqlite(PathBuf::new()));
        remove_store(store);
    }
}

/// Remove a test database.
fn remove_store(store: Store) {
    match store {
        Store::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        Store::Postgres { admin_url, name } => {
            // Drop cannot await: remove the database from a thread with a runtime of its own.
            let cleanup = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&pool)
                                .await;
                        pool.close().await;
                    }
                });
            });
            let _ = cleanup.join();
        }
    }
}

impl TestApp {
    /// Follow `GET /changes` as `token` from `cursor` until `done` holds for what came (the log on
    /// PostgreSQL is readable up to the cluster's oldest running transaction, so other tests may
    /// hold it back a moment). Returns the changes and the cursor to go on from.
    pub async fn follow_until(
        &self,
        token: &str,
        mut cursor: Option<String>,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> (Vec<serde_json::Value>, String) {
        let mut seen = Vec::new();
        for _ in 0..400 {
            let path = match &cursor {
                Some(c) => format!("/api/v1/changes?limit=200&cursor={c}"),
                None => "/api/v1/changes?limit=200".to_owned(),
            };
            let page = self.get(&path, token).await.expect(200);
            seen.extend(page.body["data"].as_array().cloned().unwrap_or_default());
            cursor = page.body["next_cursor"].as_str().map(str::to_owned);
            assert!(cursor.is_some(), "next_cursor is always present");
            if page.body["has_more"] == false {
                if done(&seen) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
        }
        (seen, cursor.unwrap_or_default())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Send a request and read the whole reply.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("request failed");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(self.request(Method::GET, path, Some(token)))
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path, Some(token)).json(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(
            self.request(Method::PATCH, path, Some(token))
                .header("content-type", "application/merge-patch+json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(self.request(Method::DELETE, path, Some(token)))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.send(
            self.request(Method::POST, "/api/v1/auth/login", None)
                .json(&json!({"email": email, "password": password})),
        )
        .await
    }

    /// Create a person as the HR admin; returns their id.
    pub async fn create_person(&self, email: &str, name: &str, manager: Option<Uuid>) -> Uuid {
        self.post(
            "/api/v1/people",
            &self.admin_token,
            &json!({"email": email, "display_name": name, "manager_id": manager}),
        )
        .await
        .expect(201)
        .id()
    }

    /// Create a person who can sign in; returns (id, access token).
    pub async fn person_with_login(
        &self,
        email: &str,
        name: &str,
        manager: Option<Uuid>,
    ) -> (Uuid, String) {
        self.signed_in(&json!({"email": email, "display_name": name, "manager_id": manager}))
            .await
    }

    /// Create a person with these fields (`email` among them) who can sign in; returns (id,
    /// access token).
    pub async fn signed_in(&self, fields: &Value) -> (Uuid, String) {
        let id = self
            .post("/api/v1/people", &self.admin_token, fields)
            .await
            .expect(201)
            .id();
        self.send(
            self.request(
                Method::PUT,
                &format!("/api/v1/people/{id}/password"),
                Some(&self.admin_token),
            )
            .json(&json!({"password": PASSWORD})),
        )
        .await
        .expect(204);
        let email = fields["email"].as_str().expect("an email");
        let token = self.login(email, PASSWORD).await.expect(200).body["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        (id, token)
    }

    /// Run a statement on the server's database directly (to set up what the API cannot, such
    /// as a date in the past).
    pub async fn exec_sql(&self, sql: &str) {
        use sqlx::Connection;
        if self.database_url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.database_url)
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("statement");
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .expect("connect");
            sqlx::query(sql).execute(&mut c).await.expect("statement");
        }
    }

    /// `id` as a literal of the test's database, for [`TestApp::exec_sql`].
    pub fn sql_uuid(&self, id: Uuid) -> String {
        if self.database_url.starts_with("postgres") {
            format!("'{id}'")
        } else {
            format!("x'{}'", id.simple())
        }
    }

    /// `at` as a literal of the test's database, the way the server writes instants.
    pub fn sql_time(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        format!(
            "'{}'",
            at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
        )
    }

    /// A number read from the server's database directly (what a look at the tables shows).
    pub async fn count_sql(&self, sql: &str) -> i64 {
        use sqlx::Connection;
        if self.database_url.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.database_url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql)
                .fetch_one(&mut c)
                .await
                .expect("query")
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.database_url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql)
                .fetch_one(&mut c)
                .await
                .expect("query")
        }
    }

    /// Create an API token with these scopes; returns (id, secret).
    pub async fn api_token(&self, scopes: &[&str]) -> (Uuid, String) {
        let reply = self
            .post(
                "/api/v1/api-tokens",
                &self.admin_token,
                &json!({"name": "test integration", "scopes": scopes}),
            )
            .await
            .expect(201);
        let secret = reply.body["secret"].as_str().expect("secret").to_owned();
        (reply.id(), secret)
    }

    /// Hold a meeting (as its manager) and rate it (as `rater`).
    pub async fn complete_and_rate(
        &self,
        meeting: &str,
        manager_token: &str,
        rater_token: &str,
        rating: Value,
    ) {
        self.post(
            &format!("/api/v1/meetings/{meeting}/complete"),
            manager_token,
            &json!({}),
        )
        .await
        .expect(200);
        self.send(
            self.request(
                Method::PUT,
                &format!("/api/v1/meetings/{meeting}/rating"),
                Some(rater_token),
            )
            .json(&rating),
        )
        .await
        .expect(200);
    }

    /// Count people as stored, straight from the database (to prove nothing was written).
    pub async fn count_people(&self) -> usize {
        let filter = oneonone_persistence::PeopleFilter {
            limit: 100_000,
            ..Default::default()
        };
        self.db.list_people(&filter).await.expect("list").len()
    }
}

/// A TCP forwarder in front of a real server that a test can cut and restore, to see what clients
/// get while the database is unreachable and that the server recovers by itself.
pub struct OutageProxy {
    pub addr: std::net::SocketAddr,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl OutageProxy {
    pub async fn start(target: String) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Self {
            addr,
            up,
            connections,
            accept,
        }
    }

    /// Cut every open connection and refuse new ones.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for c in self.connections.lock().expect("lock").drain(..) {
            c.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for OutageProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
pub fn postgres_host_port(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let rest = rest.rsplit_once('@').map(|(_, r)| r).unwrap_or(rest);
    let host_port = rest.split(['/', '?']).next()?;
    Some(if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    })
}

/// The `id`s of a list reply's `data`, in order.
pub fn ids(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {}", reply.text))
        .iter()
        .map(|x| x["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A recurring 1:1 to test with: a manager (who has a manager of their own), their report, and
/// a weekly series between them, with its scheduled meetings.
pub struct OneOnOne {
    pub manager: Uuid,
    pub manager_token: String,
    pub report: Uuid,
    pub report_token: String,
    /// The manager's manager.
    pub skip_level_token: String,
    pub series: Uuid,
    /// The series' meetings, by start time.
    pub meetings: Vec<String>,
}

/// The `title`s of a list reply's `data`, in order.
pub fn titles(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data in {}", reply.text))
        .iter()
        .map(|x| x["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

impl TestApp {
    /// A meeting's agenda as `token` sees it (200 expected).
    pub async fn agenda(&self, token: &str, meeting: &str) -> Reply {
        self.get(&format!("/api/v1/meetings/{meeting}/agenda-items"), token)
            .await
            .expect(200)
    }

    /// A [`OneOnOne`]: Wednesdays 09:30 in New York from 2030-01-02.
    pub async fn one_on_one(&self) -> OneOnOne {
        self.one_on_one_with(serde_json::json!({})).await
    }

    /// A [`OneOnOne`] whose series body also holds the fields of `extra`.
    pub async fn one_on_one_with(&self, extra: Value) -> OneOnOne {
        self.one_on_one_made(extra, false, "").await
    }

    /// A [`OneOnOne`] of people new to this server (their emails carry a fresh suffix), so one
    /// test can make several.
    pub async fn one_on_one_made_fresh(&self, extra: Value) -> OneOnOne {
        let tag = format!("-{}", Uuid::now_v7().simple());
        self.one_on_one_made(extra, false, &tag).await
    }

    /// A [`OneOnOne`] whose two people turned calendar invitations off before their series was
    /// made (email tests about other kinds count what arrives).
    pub async fn one_on_one_without_invitations(&self) -> OneOnOne {
        self.one_on_one_made(serde_json::json!({}), true, "").await
    }

    /// The people's addresses end their local part with `tag` (`boss{tag}@example.com`…).
    async fn one_on_one_made(&self, extra: Value, no_invitations: bool, tag: &str) -> OneOnOne {
        let (boss, skip_level_token) = self
            .person_with_login(&format!("boss{tag}@example.com"), "Boss", None)
            .await;
        let (manager, manager_token) = self
            .person_with_login(&format!("m{tag}@example.com"), "Manager", Some(boss))
            .await;
        let (report, report_token) = self
            .person_with_login(&format!("r{tag}@example.com"), "Report", Some(manager))
            .await;
        if no_invitations {
            for token in [&manager_token, &report_token] {
                self.patch(
                    "/api/v1/me/notification-settings",
                    token,
                    &serde_json::json!({"email": {"meeting_invitation": false}}),
                )
                .await
                .expect(200);
            }
        }
        let mut body = serde_json::json!({"manager_id": manager, "report_id": report,
            "cadence": {"frequency": "weekly", "weekday": "wednesday"},
            "local_time": "09:30", "time_zone": "America/New_York", "start_date": "2030-01-02"});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let series = self
            .post("/api/v1/meeting-series", &manager_token, &body)
            .await
            .expect(201)
            .id();
        let meetings = self.series_meetings(&manager_token, series).await;
        OneOnOne {
            manager,
            manager_token,
            report,
            report_token,
            skip_level_token,
            series,
            meetings,
        }
    }

    /// The meetings of a series, as `token` lists them, by start time.
    pub async fn series_meetings(&self, token: &str, series: Uuid) -> Vec<String> {
        let reply = self
            .get(
                &format!("/api/v1/meetings?series_id={series}&limit=200"),
                token,
            )
            .await
            .expect(200);
        ids(&reply)
    }

    /// A conditional write: `If-Match: etag`, and a merge-patch body for PATCH.
    /// Read `read_path` for its ETag, then send the change to `path` with it as `If-Match`.
    pub async fn send_after_read(
        &self,
        method: Method,
        read_path: &str,
        path: &str,
        token: &str,
        body: Value,
    ) -> Reply {
        let read = self.get(read_path, token).await.expect(200);
        let etag = read.header("etag").expect("an ETag").to_owned();
        self.send_if_match(method, path, token, &etag, Some(body))
            .await
    }

    pub async fn send_if_match(
        &self,
        method: Method,
        path: &str,
        token: &str,
        etag: &str,
        body: Option<Value>,
    ) -> Reply {
        let patch = method == Method::PATCH;
        let mut req = self
            .request(method, path, Some(token))
            .header("if-match", etag);
        if let Some(b) = body {
            req = if patch {
                req.header("content-type", "application/merge-patch+json")
                    .body(b.to_string())
            } else {
                req.json(&b)
            };
        }
        self.send(req).await
    }
}
