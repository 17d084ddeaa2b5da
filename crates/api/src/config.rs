//! Configuration from the environment, with defaults that work out of the box.

use std::fmt;
use std::time::Duration;

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything the server needs to start. [`Settings::from_env`] reads `ONEONONE_*` variables.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `ONEONONE_DATABASE_URL`: a SQLite file (default `oneonone.db`) or `postgres://…`.
    pub database_url: String,
    /// `ONEONONE_BIND`: address to listen on (default `127.0.0.1:8080`; port 0 picks one).
    pub bind: String,
    /// `ONEONONE_JWT_SECRET`: HMAC key for access tokens. Without it a random key is generated on
    /// first start and kept in the database.
    pub jwt_secret: Option<Secret>,
    /// `ONEONONE_JWT_TTL_MINUTES`: lifetime of access tokens (default 60).
    pub jwt_ttl: Duration,
    /// `ONEONONE_BOOTSTRAP_ADMIN_EMAIL` / `_PASSWORD`: create this HR admin when none exists.
    pub bootstrap_admin: Option<(String, Secret)>,
    /// `ONEONONE_CORS_ORIGINS`: comma-separated origins allowed to call the API from a browser
    /// (`*` for any). Empty: no cross-origin access.
    pub cors_origins: Vec<String>,
    /// `ONEONONE_DB_MAX_CONNECTIONS`: pool size (default 16 on SQLite, 32 on PostgreSQL).
    pub db_max_connections: Option<u32>,
    /// `ONEONONE_SQLITE_SYNCHRONOUS`: `normal` (default: a crash loses nothing, a power cut may
    /// lose the last commits) or `full` (a power cut loses no acknowledged write).
    pub sqlite_sync: oneonone_persistence::SqliteSync,
    /// `ONEONONE_WORKERS`: HTTP worker threads (default: number of cores).
    pub workers: Option<usize>,
    /// `ONEONONE_LOGIN_ATTEMPTS_PER_MINUTE`: per account and per client address (default 10).
    pub login_attempts_per_minute: u32,
    /// `ONEONONE_TRUST_PROXY`: take the client address from `X-Forwarded-For` (default false).
    pub trust_proxy: bool,
    /// Install SIGINT/SIGTERM handlers (off in tests that run many servers in one process).
    pub handle_signals: bool,
    /// `ONEONONE_LOG` (`info`, `debug`, … or a tracing filter) and `ONEONONE_LOG_FORMAT`
    /// (`text` or `json`).
    pub log_filter: String,
    pub log_json: bool,
    /// The job runner (webhooks): `ONEONONE_JOBS` (`on`, default, or `off` for a replica that
    /// only serves the API), `ONEONONE_JOBS_POLL_MS` (idle wait, default 1000),
    /// `ONEONONE_WEBHOOK_TIMEOUT_SECONDS` (default 10), `ONEONONE_WEBHOOK_RETRY_BASE_MS`
    /// (first retry after about this, default 10000; then doubling), `ONEONONE_WEBHOOK_RETRY_MAX_SECONDS`
    /// (longest wait between tries, default 3600) and `ONEONONE_WEBHOOK_RETRY_HOURS` (a
    /// delivery is retried this long, default 24; at least 1 in production).
    pub jobs_enabled: bool,
    pub jobs: oneonone_jobs::Config,
    /// `ONEONONE_SMTP_URL`: the relay email goes through (`smtp://127.0.0.1:25` for a local
    /// relay, `smtp://user:password@host:587?tls=required` for STARTTLS,
    /// `smtps://user:password@host` for TLS). Unset: no email.
    pub smtp_url: Option<Secret>,
    /// `ONEONONE_MAIL_FROM`: the sender (default `oneonone <oneonone@localhost>`).
    pub mail_from: String,
    /// `ONEONONE_PUBLIC_URL`: where people reach this API (the unsubscribe links in emails;
    /// default `http://` and the bound address).
    pub public_url: Option<String>,
    /// `ONEONONE_APP_URL`: where people open a 1:1 in your web client (links in emails go to
    /// `{app_url}/meetings/{id}`; default: the public URL).
    pub app_url: Option<String>,
    /// `ONEONONE_JOB_RETENTION_DAYS` (30): how long ended jobs and their delivery logs stay.
    /// `ONEONONE_DIGEST_DAY` (`monday`) and `ONEONONE_DIGEST_HOUR` (`8`): when managers get
    /// their weekly digest, in their own time zone (in `jobs.digest`).
    /// `ONEONONE_REMINDER_SCAN_SECONDS`: how often reminders that came due are looked for
    /// (default 30).
    pub reminder_scan: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "oneonone.db".into(),
            bind: "127.0.0.1:8080".into(),
            jwt_secret: None,
            jwt_ttl: Duration::from_secs(3600),
            bootstrap_admin: None,
            cors_origins: Vec::new(),
            db_max_connections: None,
            sqlite_sync: oneonone_persistence::SqliteSync::default(),
            workers: None,
            login_attempts_per_minute: 10,
            trust_proxy: false,
            handle_signals: true,
            log_filter: "info".into(),
            log_json: false,
            jobs_enabled: true,
            jobs: oneonone_jobs::Config::default(),
            smtp_url: None,
            mail_from: "oneonone <oneonone@localhost>".into(),
            public_url: None,
            app_url: None,
            reminder_scan: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, ConfigError>
where
    T::Err: fmt::Display,
{
    var(name)
        .map(|v| {
            v.trim().parse::<T>().map_err(|e| ConfigError::Invalid {
                name,
                message: e.to_string(),
            })
        })
        .transpose()
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut s = Settings::default();
        if let Some(url) = var("ONEONONE_DATABASE_URL") {
            s.database_url = url;
        }
        if let Some(bind) = var("ONEONONE_BIND") {
            s.bind = bind;
        }
        if let Some(secret) = var("ONEONONE_JWT_SECRET") {
            if secret.len() < 32 {
                return Err(ConfigError::Invalid {
                    name: "ONEONONE_JWT_SECRET",
                    message: "must be at least 32 characters".into(),
                });
            }
            s.jwt_secret = Some(Secret::new(secret));
        }
        if let Some(m) = parse::<u64>("ONEONONE_JWT_TTL_MINUTES")? {
            s.jwt_ttl = Duration::from_secs(m.clamp(1, 60 * 24 * 30) * 60);
        }
        if let (Some(email), Some(password)) = (
            var("ONEONONE_BOOTSTRAP_ADMIN_EMAIL"),
            var("ONEONONE_BOOTSTRAP_ADMIN_PASSWORD"),
        ) {
            s.bootstrap_admin = Some((email, Secret::new(password)));
        }
        if let Some(origins) = var("ONEONONE_CORS_ORIGINS") {
            s.cors_origins = origins
                .split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect();
        }
        s.db_max_connections = parse("ONEONONE_DB_MAX_CONNECTIONS")?;
        if let Some(sync) = parse("ONEONONE_SQLITE_SYNCHRONOUS")? {
            s.sqlite_sync = sync;
        }
        s.workers = parse("ONEONONE_WORKERS")?;
        if let Some(n) = parse("ONEONONE_LOGIN_ATTEMPTS_PER_MINUTE")? {
            s.login_attempts_per_minute = n;
        }
        if let Some(t) = parse("ONEONONE_TRUST_PROXY")? {
            s.trust_proxy = t;
        }
        if let Some(l) = var("ONEONONE_LOG") {
            s.log_filter = l;
        }
        s.log_json = var("ONEONONE_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
        if let Some(jobs) = var("ONEONONE_JOBS") {
            s.jobs_enabled = match jobs.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "ONEONONE_JOBS",
                        message: "`on` or `off`".into(),
                    });
                }
            };
        }
        if let Some(ms) = parse::<u64>("ONEONONE_JOBS_POLL_MS")? {
            s.jobs.poll = Duration::from_millis(ms.clamp(10, 60_000));
        }
        if let Some(secs) = parse::<u64>("ONEONONE_WEBHOOK_TIMEOUT_SECONDS")? {
            s.jobs.timeout = Duration::from_secs(secs.clamp(1, 60));
        }
        if let Some(ms) = parse::<u64>("ONEONONE_WEBHOOK_RETRY_BASE_MS")? {
            s.jobs.retry_base = Duration::from_millis(ms.clamp(10, 3_600_000));
        }
        if let Some(secs) = parse::<u64>("ONEONONE_WEBHOOK_RETRY_MAX_SECONDS")? {
            s.jobs.retry_cap = Duration::from_secs(secs.clamp(1, 86_400));
        }
        if let Some(hours) = parse::<u64>("ONEONONE_WEBHOOK_RETRY_HOURS")? {
            s.jobs.retry_window = Duration::from_secs(hours.clamp(1, 24 * 14) * 3600);
        }
        s.smtp_url = var("ONEONONE_SMTP_URL").map(Secret);
        if let Some(from) = var("ONEONONE_MAIL_FROM") {
            s.mail_from = from;
        }
        s.public_url = var("ONEONONE_PUBLIC_URL");
        s.app_url = var("ONEONONE_APP_URL");
        if let Some(secs) = parse::<u64>("ONEONONE_REMINDER_SCAN_SECONDS")? {
            s.reminder_scan = Duration::from_secs(secs.clamp(1, 3600));
        }
        if let Some(days) = parse::<u64>("ONEONONE_JOB_RETENTION_DAYS")? {
            s.jobs.retention = Duration::from_secs(days.clamp(1, 3650) * 24 * 3600);
        }
        if let Some(day) = parse::<chrono::Weekday>("ONEONONE_DIGEST_DAY")? {
            s.jobs.digest.weekday = day;
        }
        if let Some(hour) = parse::<u32>("ONEONONE_DIGEST_HOUR")? {
            if hour > 23 {
                return Err(ConfigError::Invalid {
                    name: "ONEONONE_DIGEST_HOUR",
                    message: "an hour of the day, 0 to 23".into(),
                });
            }
            s.jobs.digest.hour = hour;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        let settings = Settings {
            jwt_secret: Some(Secret::new("x".repeat(40))),
            ..Settings::default()
        };
        assert!(!format!("{settings:?}").contains("xxxx"));
    }
}
