//! Storage for oneonone: SQL in, domain types out.
//!
//! One [`Database`] value wraps either a SQLite or a PostgreSQL pool. Each query is written once:
//! sqlx's SQLite driver accepts `$1` placeholders, and the [`with_pool!`] macro expands the same
//! body for each pool type. Dialect-specific SQL stays in the few places that need it.

pub mod actions;
pub mod agenda;
pub mod attention;
pub mod calendar;
pub mod chat;
pub mod checkins;
pub mod enps;
pub mod escalations;
pub mod events;
pub mod exports;
pub mod feedback;
pub mod goals;
pub mod idempotency;
pub mod jobs;
pub mod library;
pub mod limits;
pub mod meetings;
pub mod notify;
pub mod page;
pub mod people;
pub mod program;
pub mod program_days;
pub mod ratings;
pub mod settings;
pub mod tokens;
pub mod tx;
pub mod webhooks;
pub mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use events::{Audience, EventActor, LogPosition, NewEvent};
pub use people::{ImportOutcome, ImportRow, ImportRowResult, PeopleFilter, PeoplePageAfter};
pub use tx::Tx;

/// One read connection held for several reads: a page made of several queries takes a
/// connection from the pool (and gives it back) once, not once a query. Reads only.
pub enum Session {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Session::Sqlite(_) => "Session::Sqlite",
            Session::Postgres(_) => "Session::Postgres",
        })
    }
}

impl Database {
    /// A read connection for several reads in a row.
    pub async fn session(&self) -> StoreResult<Session> {
        Ok(match self {
            Database::Sqlite(pools) => Session::Sqlite(pools.read.acquire().await?),
            Database::Postgres(pool) => Session::Postgres(pool.acquire().await?),
        })
    }
}

/// Expand one body for whichever pool a [`Database`] holds, for reading. On SQLite this is the
/// pool of reader connections.
#[macro_export]
macro_rules! with_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Database::Sqlite(pools) => {
                let $pool = &pools.read;
                $body
            }
            $crate::Database::Postgres($pool) => $body,
        }
    };
}

/// Run one body on the write connection, for writes that are one statement (SQLite undoes a
/// failed statement by itself). The body gets `$conn` (a `&mut` connection), may use `?` and
/// `return Err(…)`, and its value `T` comes out as a `StoreResult<T>` once it is committed.
///
/// On SQLite the body becomes a job for the writer thread ([`writer::Writer`]), so what it uses
/// must be owned (`'static`): clone borrowed inputs before the macro.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::Database::Sqlite(pools) => {
                pools
                    .writer
                    .run(move |$conn: &mut ::sqlx::SqliteConnection| {
                        ::std::boxed::Box::pin(async move {
                            ::std::result::Result::Ok::<_, $crate::StoreError>($body)
                        })
                    })
                    .await
            }
            $crate::Database::Postgres(pool) => {
                async {
                    let mut guard = pool.acquire().await?;
                    let $conn = &mut *guard;
                    ::std::result::Result::Ok::<_, $crate::StoreError>($body)
                }
                .await
            }
        }
    };
}

/// Define a read on [`Database`] (its read pool), [`Tx`] (inside the transaction) and
/// [`Session`] (one connection for several reads) from one body, which uses `$ex` as the
/// executor of its one query.
#[macro_export]
macro_rules! read_both {
    ($(#[$doc:meta])* pub async fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty, $ex:ident => $body:block) => {
        impl $crate::Database {
            $(#[$doc])*
            pub async fn $name(&self, $($arg: $ty),*) -> $ret {
                $crate::with_pool!(self, pool => {
                    let $ex = pool;
                    $body
                })
            }
        }
        impl $crate::Tx<'_> {
            $(#[$doc])*
            pub async fn $name(&mut self, $($arg: $ty),*) -> $ret {
                $crate::on_tx!(read self, conn => {
                    let $ex = &mut *conn;
                    $body
                })
            }
        }
        impl $crate::Session {
            $(#[$doc])*
            pub async fn $name(&mut self, $($arg: $ty),*) -> $ret {
                match self {
                    $crate::Session::Sqlite(c) => {
                        let $ex: &mut ::sqlx::SqliteConnection = &mut **c;
                        $body
                    }
                    $crate::Session::Postgres(c) => {
                        let $ex: &mut ::sqlx::PgConnection = &mut **c;
                        $body
                    }
                }
            }
        }
    };
}

/// [`StoreError::Stale`] unless a conditional write (`… AND version = $n`) changed one row.
pub fn one_row_or_stale(done: u64) -> StoreResult<()> {
    if done == 0 {
        Err(StoreError::Stale)
    } else {
        Ok(())
    }
}

/// What can go wrong in storage, in terms the API maps to status codes.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The row changed since the caller read it (optimistic concurrency).
    #[error("the record was changed by someone else")]
    Stale,
    /// A uniqueness rule was broken; the name says which (`email`, `external_id`, …).
    #[error("conflict on {0}")]
    Conflict(&'static str),
    /// A domain rule checked inside the transaction failed (a reporting cycle, say).
    #[error("{0}")]
    Rule(oneonone_domain::ValidationErrors),
    /// A referenced row does not exist.
    #[error("a referenced record does not exist")]
    MissingReference,
    /// The database cannot be reached or is overloaded; retrying later may work.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl StoreError {
    /// A value could not be encoded as a query argument.
    pub fn encode(e: sqlx::error::BoxDynError) -> Self {
        StoreError::Other(sqlx::Error::Encode(e))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    let msg = db.message().to_owned() + db.constraint().unwrap_or_default();
                    if msg.contains("email") {
                        StoreError::Conflict("email")
                    } else if msg.contains("external_id") {
                        StoreError::Conflict("external_id")
                    } else {
                        StoreError::Conflict("key")
                    }
                } else if db.is_foreign_key_violation() {
                    StoreError::MissingReference
                } else if is_transient(db.code().as_deref()) {
                    StoreError::Unavailable(e)
                } else {
                    StoreError::Other(e)
                }
            }
            _ => StoreError::Other(e),
        }
    }
}

/// SQLite busy/locked, PostgreSQL connection and shutdown classes, serialization failures.
fn is_transient(code: Option<&str>) -> bool {
    match code {
        Some(c) => {
            c == "5"
                || c == "6"
                || c == "517"
                || c.starts_with("08")
                || c.starts_with("57P")
                || c == "53300"
                || c == "40001"
        }
        None => false,
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database is behind a [`Database`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool to SQLite or PostgreSQL. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Database {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite has one writer at a time: reads go to a pool of readers (WAL lets them run while a
/// write is in progress), writes to the one write connection's thread ([`writer::Writer`]).
#[derive(Debug, Clone)]
pub struct SqlitePools {
    pub read: SqlitePool,
    pub writer: writer::Writer,
    /// A connection that never writes, asked for `PRAGMA data_version` alone: its value
    /// changes with every commit of any other connection, in this process or not.
    pub watcher: Arc<tokio::sync::Mutex<sqlx::SqliteConnection>>,
}

impl SqlitePools {
    /// Run `PRAGMA {pragma}` on the writer between two batches, no write in flight: a
    /// checkpoint that RESTARTs or TRUNCATEs the log needs the writer's own connection and every
    /// reader off the old log; `temp_store` cannot change inside a transaction.
    async fn writer_pragma(&self, pragma: &'static str) -> StoreResult<()> {
        self.writer
            .run_alone(move |conn| {
                Box::pin(async move {
                    sqlx::query(&format!("PRAGMA {pragma}"))
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .await
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `sqlite://path.db`, `sqlite::memory:`, a bare file path, or `postgres://…`.
    pub url: String,
    /// Largest pool size (on SQLite: of the readers; there is one writer).
    pub max_connections: u32,
    /// How long a request waits for a connection before the database counts as unavailable.
    pub acquire_timeout: Duration,
    /// SQLite only: what a commit waits for (ignored on PostgreSQL).
    pub sqlite_sync: SqliteSync,
}

/// What a SQLite commit waits for before it is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSync {
    /// `synchronous=FULL`: each commit (each group commit of the writer: one per batch) is on
    /// disk before it is acknowledged, so a power cut loses nothing acknowledged. Measured at
    /// 0.73× the creates per second of `Normal` (6,900/s against 9,400/s in `make bench`).
    Full,
    /// `synchronous=NORMAL` (the default): a crash of the process loses nothing (probed: 0 of
    /// 9,000 acknowledged writes lost to SIGKILL), a power cut may lose the last commits.
    #[default]
    Normal,
}

impl std::str::FromStr for SqliteSync {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(SqliteSync::Full),
            "normal" => Ok(SqliteSync::Normal),
            _ => Err("must be `full` or `normal`".into()),
        }
    }
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            sqlite_sync: SqliteSync::default(),
        }
    }
}

/// The backend a URL selects: `postgres://` and `postgresql://` select PostgreSQL, anything
/// else is SQLite.
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

impl Database {
    /// Open a pool. The pool connects lazily, so a server can start while PostgreSQL is still
    /// coming up and recover by itself when it returns.
    pub async fn connect(opts: &ConnectOptions) -> StoreResult<Self> {
        match backend_of(&opts.url) {
            Backend::Postgres => {
                // No JIT: every statement here is short; compiling one costs more than it
                // saves (measured: the job claim, a 1.5 ms index walk, took 45 ms once its
                // cost estimate crossed `jit_above_cost`). A URL's own `options` still win.
                let options = PgConnectOptions::from_str(&opts.url)
                    .map_err(StoreError::Other)?
                    .options([("jit", "off")]);
                // No ping before each acquire: it doubled the round trips of every query. A
                // connection that died fails its query (a 503) and is replaced.
                let pool = PgPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .test_before_acquire(false)
                    .connect_lazy_with(options);
                Ok(Database::Postgres(pool))
            }
            Backend::Sqlite => {
                let url = if opts.url.starts_with("sqlite:") {
                    opts.url.clone()
                } else {
                    format!("sqlite://{}", opts.url)
                };
                let options = SqliteConnectOptions::from_str(&url)
                    .map_err(StoreError::Other)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(match opts.sqlite_sync {
                        SqliteSync::Full => SqliteSynchronous::Full,
                        SqliteSync::Normal => SqliteSynchronous::Normal,
                    })
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
                    .pragma("temp_store", "memory")
                    // Deleted rows are overwritten, not left in free pages: an erased person,
                    // and the eNPS answers waiting for their survey to close.
                    .pragma("secure_delete", "on")
                    // Checkpoints run in the background (Database::checkpoint), not inside the
                    // commit of whichever write crossed the threshold.
                    .pragma("wal_autocheckpoint", "0")
                    // A log restarted after a checkpoint is cut back to this size: without it
                    // the file keeps its high-water mark (several GB after a bulk load).
                    .pragma("journal_size_limit", "67108864")
                    .pragma("cache_size", "-16000")
                    // A page of a list is `limit + 1` rows; the default channel (50 rows) made
                    // the connection's thread stop and wait for the handler halfway through.
                    .row_buffer_size(256);
                let write = sqlx::ConnectOptions::connect(&options).await?;
                let writer = writer::Writer::start(write, opts.acquire_timeout)?;
                // Readers keep a smaller cache of their own (the file's pages stay in the
                // operating system's cache either way): sixteen of them at 16 MB each grew the
                // server past 200 MB over a long run (exports of 100,000 people's meetings).
                let read = SqlitePoolOptions::new()
                    .max_connections(opts.max_connections)
                    .min_connections(1)
                    .test_before_acquire(false)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options.clone().pragma("cache_size", "-4000"))
                    .await?;
                let watcher = sqlx::ConnectOptions::connect(&options).await?;
                Ok(Database::Sqlite(SqlitePools {
                    read,
                    writer,
                    watcher: Arc::new(tokio::sync::Mutex::new(watcher)),
                }))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// Apply the migrations embedded in the binary for this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        let result = match self {
            Database::Sqlite(pools) => {
                pools
                    .writer
                    .run_alone(|conn| {
                        Box::pin(async move {
                            Ok(sqlx::migrate!("../../migrations/sqlite")
                                .run_direct(conn)
                                .await)
                        })
                    })
                    .await?
            }
            Database::Postgres(pool) => sqlx::migrate!("../../migrations/postgres").run(pool).await,
        };
        result.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => StoreError::from(inner),
            other => StoreError::Other(sqlx::Error::Migrate(Box::new(other))),
        })?;
        self.run_pending_rebuilds().await
    }

    /// Version numbers of the embedded migrations of each backend, for the parity test.
    pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
        let sqlite = sqlx::migrate!("../../migrations/sqlite")
            .iter()
            .map(|m| m.version)
            .collect();
        let postgres = sqlx::migrate!("../../migrations/postgres")
            .iter()
            .map(|m| m.version)
            .collect();
        (sqlite, postgres)
    }

    /// Where the data stands, for a cache to tell whether anything was written since: equal
    /// values read before two reads mean no write ended between them. SQLite:
    /// `PRAGMA data_version` on a connection that never writes (it changes with every commit
    /// of any other connection, the server's writer or another process); PostgreSQL: the
    /// current snapshot (`pg_current_snapshot()`: it changes when any transaction on the server
    /// ends, so every replica sees every other's writes).
    pub async fn data_version(&self) -> StoreResult<String> {
        match self {
            Database::Sqlite(pools) => {
                let mut watcher = pools.watcher.lock().await;
                let version: i64 = sqlx::query_scalar("PRAGMA data_version")
                    .fetch_one(&mut *watcher)
                    .await?;
                Ok(version.to_string())
            }
            Database::Postgres(pool) => Ok(sqlx::query_scalar(
                "SELECT CAST(pg_current_snapshot() AS TEXT)",
            )
            .fetch_one(pool)
            .await?),
        }
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> StoreResult<()> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Copy the SQLite write-ahead log back into the database file without blocking readers or
    /// the writer (PASSIVE). The server calls this every second; a no-op on PostgreSQL.
    ///
    /// A passive checkpoint never starts the log over: only a write that begins when every
    /// frame has been copied back does, and under a steady stream of writes that moment never
    /// comes (measured: a 5,000-person seed grew the log to 13.5 GB while the database file
    /// itself was 0.8 GB). So once the log passes [`LOG_RESTART_FRAMES`], the writer itself runs
    /// a RESTART checkpoint between two batches: little is left to copy by then, it waits for
    /// the readers still on the old log, and the next write starts the log over (cut back to
    /// `journal_size_limit`).
    pub async fn checkpoint(&self) -> StoreResult<()> {
        if let Database::Sqlite(pools) = self {
            let (_busy, log, _copied): (i64, i64, i64) =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&pools.read)
                    .await?;
            if log > LOG_RESTART_FRAMES {
                pools.writer_pragma("wal_checkpoint(RESTART)").await?;
            }
        }
        Ok(())
    }

    /// Close the pools. On SQLite the write-ahead log is first copied into the database file
    /// and truncated, so the file left behind is complete by itself and the next start does not
    /// begin with a long log to read through.
    pub async fn close(&self) {
        match self {
            Database::Sqlite(pools) => {
                pools.read.close().await;
                if let Err(e) = pools.writer_pragma("wal_checkpoint(TRUNCATE)").await {
                    tracing::debug!(error = %e, "final checkpoint skipped");
                }
            }
            Database::Postgres(pool) => pool.close().await,
        }
    }
}

/// Pages in SQLite's write-ahead log (4 KiB each: 64 MiB) past which [`Database::checkpoint`]
/// has the writer start the log over.
pub const LOG_RESTART_FRAMES: i64 = 16_384;

/// The current instant at the precision both databases keep (microseconds), so that a value
/// read back equals the value written on either backend.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_have_the_same_versions_on_both_backends() {
        let (sqlite, postgres) = Database::migration_versions();
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn url_selects_backend() {
        assert_eq!(backend_of("postgres://x/y"), Backend::Postgres);
        assert_eq!(backend_of("postgresql://x/y"), Backend::Postgres);
        assert_eq!(backend_of("oneonone.db"), Backend::Sqlite);
        assert_eq!(backend_of("sqlite::memory:"), Backend::Sqlite);
    }

    #[test]
    fn now_is_microsecond_precise() {
        assert_eq!(now().nanosecond() % 1_000, 0);
    }
}
