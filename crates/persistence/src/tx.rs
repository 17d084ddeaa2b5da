//! One transaction, whichever database: the handle every change runs in.
//!
//! A use case gets a `&mut Tx` from [`Database::transact`], asks it queries (methods on `Tx`
//! across this crate), appends its events and, when asked, its idempotent response; everything
//! commits together, or nothing does.
//!
//! On SQLite the body is a job of the writer thread ([`crate::writer`]) inside the batch's
//! transaction; on PostgreSQL it runs in a task of its own, so a client that hangs up does not
//! cut a change off half-way (nor would it matter: an unfinished transaction leaves nothing
//! behind).
//!
//! **A change pays for what it does.** Most changes are a few reads and one write; a
//! transaction around them would cost more statements than the change itself. So a `Tx` opens
//! its transaction (a savepoint of the batch on SQLite, `BEGIN` on PostgreSQL) only when it
//! must, right before a second write or a read after a write:
//! - reads ([`on_tx!`]`(read …)`) before any write need no transaction: on PostgreSQL, under
//!   READ COMMITTED, a read inside a transaction that has not written sees exactly what it would
//!   see outside one (each statement takes its own snapshot), and it holds no locks. Reads
//!   that lock (`FOR UPDATE`) are writes here;
//! - a write whose outcome the change does not need before it goes on ([`write_later!`]) waits
//!   until the change's next statement or its commit. A change whose one write is such a write
//!   thus sends one statement: on PostgreSQL its events ride along in the same statement
//!   (a data-modifying `WITH`), with neither `BEGIN` nor `COMMIT`, and one statement is atomic;
//! - events wait for the commit and are written in one statement (on SQLite, one per batch).

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, PgConnection, Postgres, SqliteConnection};

use crate::events::EventRow;
use crate::{Database, StoreError, StoreResult};

/// An open change on either database.
pub struct Tx<'c> {
    side: Side<'c>,
    /// A write waiting for the change's next statement or its commit.
    deferred: Option<Deferred>,
    /// Events appended so far, written at commit.
    pub(crate) events: Vec<EventRow>,
    /// Part of a bulk load: the program figures are left to the rebuild that ends it.
    pub(crate) bulk: bool,
}

enum Side<'c> {
    /// `open`: this change's savepoint is set.
    Sqlite {
        conn: &'c mut SqliteConnection,
        open: bool,
    },
    /// No `BEGIN` sent yet.
    PgIdle(&'c mut PgConnection),
    /// In a transaction (dropping it queues a `ROLLBACK`).
    PgOpen(sqlx::Transaction<'c, Postgres>),
    /// `BEGIN` failed: the change cannot go on.
    PgLost,
}

/// A write statement with its arguments, to run later ([`write_later!`]).
#[doc(hidden)]
pub enum Deferred {
    Sqlite(&'static str, SqliteArguments<'static>),
    Postgres(&'static str, PgArguments),
}

/// The connection a [`Tx`] runs its next statement on.
#[doc(hidden)]
pub enum Connection<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.side {
            Side::Sqlite { .. } => "Tx::Sqlite",
            _ => "Tx::Postgres",
        })
    }
}

/// Expand one body for the connection a [`Tx`] runs on: `$conn` is a `&mut SqliteConnection`
/// or a `&mut PgConnection`, so each query is written once. Without `read` the body writes (or
/// locks): the change's transaction is opened first. Either way a deferred write goes first.
/// The enclosing function returns a [`crate::StoreResult`].
#[macro_export]
macro_rules! on_tx {
    (read $tx:expr, $conn:ident => $body:expr) => {{
        let tx: &mut $crate::Tx<'_> = $tx;
        tx.ready(false).await?;
        $crate::on_tx!(@run tx, $conn => $body)
    }};
    (@run $tx:ident, $conn:ident => $body:expr) => {
        match $tx.connection() {
            $crate::tx::Connection::Sqlite(c) => {
                let $conn: &mut ::sqlx::SqliteConnection = c;
                $body
            }
            $crate::tx::Connection::Postgres(c) => {
                let $conn: &mut ::sqlx::PgConnection = c;
                $body
            }
        }
    };
    ($tx:expr, $conn:ident => $body:expr) => {{
        let tx: &mut $crate::Tx<'_> = $tx;
        tx.ready(true).await?;
        $crate::on_tx!(@run tx, $conn => $body)
    }};
}

/// A write whose outcome the change does not need to go on (an insert with a key chosen here,
/// say): it runs with the change's next statement or at its commit. Its failure (a taken email)
/// fails the change there, with the same error, and leaves nothing. The values must be owned.
/// The statement must not begin with `WITH` (PostgreSQL may prefix the change's events).
#[macro_export]
macro_rules! write_later {
    ($tx:expr, $sql:expr; $($value:expr),* $(,)?) => {{
        let tx: &mut $crate::Tx<'_> = $tx;
        let sql: &'static str = $sql;
        let statement = match tx.backend() {
            $crate::Backend::Sqlite => {
                let mut args = ::sqlx::sqlite::SqliteArguments::default();
                $( ::sqlx::Arguments::add(&mut args, $value).map_err($crate::StoreError::encode)?; )*
                $crate::tx::Deferred::Sqlite(sql, args)
            }
            $crate::Backend::Postgres => {
                let mut args = ::sqlx::postgres::PgArguments::default();
                $( ::sqlx::Arguments::add(&mut args, $value).map_err($crate::StoreError::encode)?; )*
                $crate::tx::Deferred::Postgres(sql, args)
            }
        };
        tx.defer(statement).await
    }};
}

impl<'c> Tx<'c> {
    fn new(side: Side<'c>) -> Self {
        Tx {
            side,
            deferred: None,
            events: Vec::new(),
            bulk: false,
        }
    }

    /// Mark this change as part of a bulk load (the seed's history): it leaves the kept
    /// program figures alone, and the load's end recomputes them all
    /// ([`Database::begin_bulk_load`], [`Database::run_pending_rebuilds`]).
    pub fn bulk_load(&mut self) {
        self.bulk = true;
    }

    pub fn backend(&self) -> crate::Backend {
        match self.side {
            Side::Sqlite { .. } => crate::Backend::Sqlite,
            _ => crate::Backend::Postgres,
        }
    }

    #[doc(hidden)]
    pub fn connection(&mut self) -> Connection<'_> {
        match &mut self.side {
            Side::Sqlite { conn, .. } => Connection::Sqlite(conn),
            Side::PgIdle(conn) => Connection::Postgres(conn),
            Side::PgOpen(t) => Connection::Postgres(t),
            Side::PgLost => {
                unreachable!("a change whose BEGIN failed goes no further: `ready` refuses it")
            }
        }
    }

    /// Open the change's transaction if it is not.
    async fn open(&mut self) -> StoreResult<()> {
        match &mut self.side {
            Side::Sqlite { conn, open } => {
                if !*open {
                    sqlx::query("SAVEPOINT change").execute(&mut **conn).await?;
                    *open = true;
                }
            }
            Side::PgIdle(_) => {
                let Side::PgIdle(conn) = std::mem::replace(&mut self.side, Side::PgLost) else {
                    unreachable!("matched above")
                };
                self.side = Side::PgOpen(sqlx::Connection::begin(conn).await?);
            }
            Side::PgOpen(_) => {}
            Side::PgLost => return Err(StoreError::Unavailable(sqlx::Error::PoolClosed)),
        }
        Ok(())
    }

    /// Before a statement: the deferred write goes first (in the transaction), and a write opens
    /// the transaction.
    #[doc(hidden)]
    pub async fn ready(&mut self, write: bool) -> StoreResult<()> {
        if let Some(deferred) = self.deferred.take() {
            self.open().await?;
            self.execute(deferred).await?;
        } else if write {
            self.open().await?;
        }
        if matches!(self.side, Side::PgLost) {
            return Err(StoreError::Unavailable(sqlx::Error::PoolClosed));
        }
        Ok(())
    }

    /// Keep a write for later (see [`write_later!`]).
    #[doc(hidden)]
    pub async fn defer(&mut self, statement: Deferred) -> StoreResult<()> {
        self.ready(false).await?;
        self.deferred = Some(statement);
        Ok(())
    }

    async fn execute(&mut self, deferred: Deferred) -> StoreResult<()> {
        match (deferred, self.connection()) {
            (Deferred::Sqlite(sql, args), Connection::Sqlite(conn)) => {
                sqlx::query_with(sql, args).execute(conn).await?;
            }
            (Deferred::Postgres(sql, args), Connection::Postgres(conn)) => {
                sqlx::query_with(sql, args).execute(conn).await?;
            }
            _ => unreachable!("a statement is deferred for the database of its change"),
        }
        Ok(())
    }

    /// SQLite: run what waits, then hand the events to the batch (they are written before it
    /// commits). The savepoint, if set, stays: the batch's commit releases it.
    async fn finish_sqlite(&mut self) -> StoreResult<()> {
        if let Some(deferred) = self.deferred.take() {
            // With nothing written before it, one statement needs no savepoint: SQLite undoes
            // a failed statement by itself.
            self.execute(deferred).await?;
        }
        crate::events::pend(std::mem::take(&mut self.events));
        Ok(())
    }

    /// SQLite: undo what this change wrote, if anything.
    async fn undo_sqlite(&mut self) -> StoreResult<()> {
        if let Side::Sqlite { conn, open: true } = &mut self.side {
            sqlx::query("ROLLBACK TO change")
                .execute(&mut **conn)
                .await?;
            sqlx::query("RELEASE change").execute(&mut **conn).await?;
        }
        Ok(())
    }

    /// PostgreSQL: the deferred write with the events in one statement, or the events alone,
    /// then `COMMIT` if a transaction was begun.
    async fn commit_postgres(mut self) -> StoreResult<()> {
        let events = std::mem::take(&mut self.events);
        let last: Option<(std::borrow::Cow<'static, str>, PgArguments)> =
            match (self.deferred.take(), events.is_empty()) {
                (Some(Deferred::Postgres(sql, args)), true) => Some((sql.into(), args)),
                // The events ride in the deferred write: a data-modifying WITH before it.
                (Some(Deferred::Postgres(sql, mut args)), false) => {
                    let first = args.len() + 1;
                    crate::events::bind_arrays(&mut args, &events)?;
                    let with = crate::events::insert_arrays_sql(first);
                    Some((format!("WITH logged AS ({with}) {sql}").into(), args))
                }
                (None, false) => {
                    let mut args = PgArguments::default();
                    crate::events::bind_arrays(&mut args, &events)?;
                    Some((crate::events::insert_arrays_sql(1).into(), args))
                }
                (None, true) => None,
                (Some(Deferred::Sqlite(..)), _) => unreachable!("a PostgreSQL change"),
            };
        if let Some((sql, args)) = last
            && let Connection::Postgres(conn) = self.connection()
        {
            sqlx::query_with(&sql, args).execute(conn).await?;
        }
        if let Side::PgOpen(t) = self.side {
            t.commit().await?;
        }
        Ok(())
    }
}

impl Database {
    /// Run `work` in one transaction: it commits if `work` returns `Ok`, and nothing it wrote
    /// remains if it returns `Err` (of any error type that a [`StoreError`] converts into), if
    /// it panics, or if the commit fails.
    pub async fn transact<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        let outcome: Result<T, E> = match self {
            Database::Sqlite(pools) => {
                let run = pools.writer.run(move |conn: &mut SqliteConnection| {
                    Box::pin(async move {
                        // A savepoint of the batch's transaction, set at the change's first
                        // write and left open when the change succeeds (the batch's COMMIT
                        // releases it), rolled back when it fails or panics. One name serves
                        // all: `ROLLBACK TO` and `RELEASE` take the latest savepoint of that
                        // name, which is this change's.
                        let mut tx = Tx::new(Side::Sqlite { conn, open: false });
                        let out = std::panic::AssertUnwindSafe(async {
                            let value = work(&mut tx).await?;
                            tx.finish_sqlite().await.map_err(E::from)?;
                            Ok::<T, E>(value)
                        })
                        .catch_unwind()
                        .await;
                        if let Ok(Ok(v)) = out {
                            return Ok(Ok(v));
                        }
                        tx.undo_sqlite().await?;
                        match out {
                            Ok(result) => Ok(result),
                            Err(panic) => std::panic::resume_unwind(panic),
                        }
                    })
                });
                match run.await {
                    Ok(inner) => inner,
                    Err(store) => Err(E::from(store)),
                }
            }
            Database::Postgres(pool) => {
                let pool = pool.clone();
                // A task of its own: a caller that goes away does not stop a change half-way.
                // Should it panic, dropping its transaction queues a ROLLBACK on the connection.
                let task = tokio::spawn(async move {
                    let mut conn = pool.acquire().await.map_err(StoreError::from)?;
                    let mut tx = Tx::new(Side::PgIdle(&mut conn));
                    match work(&mut tx).await {
                        Ok(value) => {
                            tx.commit_postgres().await?;
                            Ok::<T, E>(value)
                        }
                        Err(e) => {
                            if let Side::PgOpen(t) = tx.side {
                                t.rollback().await.map_err(StoreError::from)?;
                            }
                            Err(e)
                        }
                    }
                });
                match task.await {
                    Ok(r) => r,
                    Err(join) if join.is_panic() => {
                        tracing::error!("a transaction panicked; it was rolled back");
                        Err(E::from(StoreError::Other(sqlx::Error::WorkerCrashed)))
                    }
                    Err(_) => Err(E::from(StoreError::Unavailable(sqlx::Error::WorkerCrashed))),
                }
            }
        };
        outcome
    }
}
