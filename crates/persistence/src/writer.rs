//! SQLite's single writer, with group commit.
//!
//! SQLite lets one connection write at a time. The write connection lives on its own thread
//! and takes its work from a queue: whatever is queued when it looks (up to [`MAX_BATCH`] jobs)
//! runs back to back inside one `BEGIN IMMEDIATE … COMMIT`, and each job learns its outcome only
//! after that commit. Under load the next job is already waiting when one ends, instead of
//! waiting for a request task to be scheduled, and one commit serves many writes.
//!
//! A job made of one statement needs nothing more: SQLite undoes a failed statement and keeps
//! the transaction. A change of several statements runs inside its own savepoint
//! ([`crate::Database::transact`] sets it), so its failure leaves the other jobs of the batch
//! alone.

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::{StoreError, StoreResult};

/// At most this many jobs share one commit.
pub const MAX_BATCH: usize = 128;
/// Jobs waiting for the writer beyond this make the submitters wait (back-pressure).
const QUEUE: usize = 4096;

/// Tells a job how its batch ended: `None` committed, `Some(reason)` did not.
type Finish = Box<dyn FnOnce(Option<&str>) + Send>;
type Work = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Finish> + Send>;

struct Job {
    /// Runs outside any batch transaction (migrations, checkpoints).
    alone: bool,
    work: Work,
}

/// A handle on the writer thread. Cheap to clone; the thread ends when the last handle is gone.
#[derive(Debug, Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    patience: Duration,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("alone", &self.alone).finish()
    }
}

impl Writer {
    /// Move `conn` to a new thread that serves the queue. `patience` bounds how long a job waits
    /// for room in a full queue before the database counts as unavailable.
    pub fn start(conn: SqliteConnection, patience: Duration) -> StoreResult<Writer> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Other(sqlx::Error::Io(e)))?;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || runtime.block_on(serve(conn, jobs)))
            .map_err(|e| StoreError::Other(sqlx::Error::Io(e)))?;
        Ok(Writer { queue, patience })
    }

    /// Run `f` on the write connection as part of the next batch, and return its result once the
    /// batch has committed.
    pub async fn run<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.submit(false, f).await
    }

    /// Run `f` on the write connection by itself, outside any transaction.
    pub async fn run_alone<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.submit(true, f).await
    }

    async fn submit<T, F>(&self, alone: bool, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (reply, outcome) = oneshot::channel::<StoreResult<T>>();
        let work: Work = Box::new(move |conn| {
            Box::pin(async move {
                let out = f(conn).await;
                let finish: Finish = Box::new(move |failed| {
                    let out = match failed {
                        None => out,
                        Some(reason) => Err(StoreError::Unavailable(sqlx::Error::Protocol(
                            format!("the write was not committed: {reason}"),
                        ))),
                    };
                    // The submitter may have gone (its request was cancelled); nothing to tell.
                    let _ = reply.send(out);
                });
                finish
            })
        });
        let job = Job { alone, work };
        match tokio::time::timeout(self.patience, self.queue.send(job)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(StoreError::Unavailable(sqlx::Error::PoolClosed)),
            Err(_) => return Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut)),
        }
        outcome
            .await
            .map_err(|_| StoreError::Unavailable(sqlx::Error::WorkerCrashed))?
    }
}

/// Run one job, surviving a panic in it: the thread must outlive any one write. A job that
/// panicked has dropped its reply, so its submitter gets an error (503); if it had a savepoint
/// open, dropping it rolled that back.
async fn guarded(work: Work, conn: &mut SqliteConnection) -> Option<Finish> {
    match std::panic::AssertUnwindSafe(work(conn))
        .catch_unwind()
        .await
    {
        Ok(finish) => Some(finish),
        Err(_) => {
            tracing::error!("a write job panicked; its request fails, the writer goes on");
            None
        }
    }
}

/// Run `first` and the batched jobs that follow it in one transaction, then tell each of them
/// how the commit went. If no transaction can begin, `first` comes back unrun.
async fn run_batch(
    conn: &mut SqliteConnection,
    first: Job,
    queued: &mut std::iter::Peekable<std::vec::Drain<'_, Job>>,
    finished: &mut Vec<Finish>,
) -> Result<(), (Job, sqlx::Error)> {
    // BEGIN and COMMIT by hand (not sqlx's transaction): the batch's events go in the same
    // command as its COMMIT, one hand-over to SQLite's thread less per batch.
    if let Err(e) = sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await {
        return Err((first, e));
    }
    finished.extend(guarded(first.work, conn).await);
    while let Some(next) = queued.next_if(|j| !j.alone) {
        finished.extend(guarded(next.work, conn).await);
    }
    let failed = match crate::events::flush_pending_and_commit(conn).await {
        Ok(()) => None,
        Err(e) => {
            // Whatever part of the batch was written goes; the connection must not stay in a
            // transaction.
            if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut *conn).await {
                tracing::warn!(error = %rollback, "rollback after a failed commit");
            }
            Some(e.to_string())
        }
    };
    for finish in finished.drain(..) {
        finish(failed.as_deref());
    }
    Ok(())
}

/// The writer thread: take what is queued, run it in one transaction, commit, answer.
async fn serve(mut conn: SqliteConnection, mut jobs: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    let mut finished: Vec<Finish> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut queued = batch.drain(..).peekable();
        while let Some(job) = queued.next() {
            if job.alone {
                if let Some(finish) = guarded(job.work, &mut conn).await {
                    finish(None);
                }
                continue;
            }
            // A run of batched jobs, up to the next one that must run alone.
            if let Err((job, e)) = run_batch(&mut conn, job, &mut queued, &mut finished).await {
                // No transaction could begin (the database is failing): the job is not run, and
                // its submitter hears that the write did not happen (503).
                tracing::warn!(error = %e, "could not begin a write batch");
                drop(job);
            }
        }
    }
    let _ = conn.close().await;
}

#[cfg(test)]
mod tests {
    use crate::{ConnectOptions, Database, StoreError, StoreResult};

    async fn fresh() -> (Database, std::path::PathBuf) {
        let path =
            std::env::temp_dir().join(format!("oneonone-writer-{}.db", uuid::Uuid::now_v7()));
        let db = Database::connect(&ConnectOptions::new(format!("sqlite://{}", path.display())))
            .await
            .expect("open");
        db.migrate().await.expect("migrate");
        (db, path)
    }

    /// `synchronous` is what the options ask, on the writer and on the readers alike (issue
    /// 11, item 11): NORMAL (1) by default, FULL (2) when asked.
    #[tokio::test]
    async fn durability_is_the_configured_one_on_every_connection() {
        for (sync, expected) in [(None, 1_i64), (Some(crate::SqliteSync::Full), 2)] {
            let path =
                std::env::temp_dir().join(format!("oneonone-sync-{}.db", uuid::Uuid::now_v7()));
            let mut opts = ConnectOptions::new(format!("sqlite://{}", path.display()));
            if let Some(sync) = sync {
                opts.sqlite_sync = sync;
            }
            let db = Database::connect(&opts).await.expect("open");
            let crate::Database::Sqlite(pools) = &db else {
                panic!("SQLite expected");
            };
            let read: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&pools.read)
                .await
                .expect("read");
            let written = pools
                .writer
                .run(
                    |conn| -> futures_util::future::BoxFuture<'_, StoreResult<i64>> {
                        Box::pin(async move {
                            Ok(sqlx::query_scalar("PRAGMA synchronous")
                                .fetch_one(&mut *conn)
                                .await?)
                        })
                    },
                )
                .await
                .expect("write");
            assert_eq!((read, written), (expected, expected), "{sync:?}");
            db.close().await;
            let _ = std::fs::remove_file(path);
        }
    }

    /// A write that panics fails alone; the writer thread goes on serving.
    #[tokio::test]
    async fn the_writer_survives_a_panicking_job() {
        let (db, path) = fresh().await;
        let crate::Database::Sqlite(pools) = &db else {
            panic!("SQLite expected");
        };
        let panicked = pools
            .writer
            .run(
                |_conn| -> futures_util::future::BoxFuture<'_, StoreResult<()>> {
                    Box::pin(async move { panic!("a bug in a write") })
                },
            )
            .await;
        assert!(matches!(panicked, Err(StoreError::Unavailable(_))));
        assert_eq!(
            db.setting_or_insert("after", "yes").await.expect("write"),
            "yes"
        );
        db.close().await;
        let _ = std::fs::remove_file(path);
    }

    /// A job that writes and then fails, queued among jobs that succeed: it leaves nothing
    /// behind, and the others in its batch commit.
    #[tokio::test]
    async fn a_failed_job_undoes_only_itself_within_a_batch() {
        let (db, path) = fresh().await;
        let failing = |db: Database| async move {
            let out: StoreResult<()> = db
                .transact(|tx| {
                    Box::pin(async move {
                        crate::on_tx!(tx, conn => {
                            sqlx::query("INSERT INTO settings (key, value) VALUES ('doomed', 'x')")
                                .execute(&mut *conn)
                                .await?;
                        });
                        Err(StoreError::Stale)
                    })
                })
                .await;
            out
        };
        let mut jobs = Vec::new();
        for i in 0..50 {
            let db = db.clone();
            jobs.push(tokio::spawn(async move {
                if i == 25 {
                    failing(db).await.is_err()
                } else {
                    db.setting_or_insert(&format!("k{i}"), "v").await.is_ok()
                }
            }));
        }
        for job in jobs {
            assert!(job.await.expect("join"));
        }
        assert_eq!(db.setting("doomed").await.expect("read"), None);
        for i in (0..50).filter(|i| *i != 25) {
            assert_eq!(
                db.setting(&format!("k{i}")).await.expect("read").as_deref(),
                Some("v")
            );
        }
        db.close().await;
        let _ = std::fs::remove_file(path);
    }

    /// Changes run with `transact` in one batch: one that writes and fails, and one that writes
    /// and panics, leave neither rows nor events; the others commit with their events.
    #[tokio::test]
    async fn failed_and_panicking_changes_leave_nothing_not_even_events() {
        let (db, path) = fresh().await;
        let change = |db: Database, i: usize| async move {
            db.transact(move |tx| {
                Box::pin(async move {
                    crate::on_tx!(&mut *tx, conn => {
                        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, 'v')")
                            .bind(format!("t{i}"))
                            .execute(&mut *conn)
                            .await?;
                    });
                    let event = crate::NewEvent::new("test.event", "test", uuid::Uuid::now_v7());
                    tx.append_events(crate::EventActor::default(), &[event])
                        .await?;
                    match i {
                        10 => Err(StoreError::Stale),
                        20 => panic!("a bug in a change"),
                        _ => Ok(()),
                    }
                })
            })
            .await
        };
        let mut jobs = Vec::new();
        for i in 0..30 {
            let db = db.clone();
            jobs.push(tokio::spawn(
                async move { (i, change(db, i).await.is_ok()) },
            ));
        }
        for job in jobs {
            let (i, ok) = job.await.expect("join");
            assert_eq!(ok, i != 10 && i != 20, "change {i}");
        }
        for i in 0..30 {
            let stored = db.setting(&format!("t{i}")).await.expect("read");
            assert_eq!(stored.is_some(), i != 10 && i != 20, "row of change {i}");
        }
        let (events, _) = db
            .read_log(&crate::events::LogQuery {
                after: crate::LogPosition::default(),
                limit: 100,
                reader: crate::events::Reader::System,
                subject_types: vec!["test".into()],
            })
            .await
            .expect("log");
        assert_eq!(events.len(), 28);
        db.close().await;
        let _ = std::fs::remove_file(path);
    }
}
