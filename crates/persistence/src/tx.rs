//! One transaction, whichever database: the handle every change runs in.
//!
//! A use case gets a `&mut Tx` from [`Database::transact`], asks it queries (methods on `Tx`
//! across this crate), appends its events and, when asked, its idempotent response; everything
//! commits together, or nothing does.
//!
//! On SQLite the body is a job of the writer thread ([`crate::writer`]) inside a savepoint of
//! the batch's transaction; on PostgreSQL it runs in a task of its own, so a client that hangs up
//! does not cut a change off half-way (nor would it matter: an unfinished transaction leaves
//! nothing behind).

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::{PgConnection, SqliteConnection};

use crate::{Database, StoreError, StoreResult};

/// An open transaction on either database.
pub enum Tx<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl std::fmt::Debug for Tx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tx::Sqlite(_) => "Tx::Sqlite",
            Tx::Postgres(_) => "Tx::Postgres",
        })
    }
}

/// Expand one body for the connection a [`Tx`] holds: `$conn` is a `&mut SqliteConnection` or a
/// `&mut PgConnection`, so each query is written once.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(c) => {
                let $conn: &mut ::sqlx::SqliteConnection = &mut **c;
                $body
            }
            $crate::Tx::Postgres(c) => {
                let $conn: &mut ::sqlx::PgConnection = &mut **c;
                $body
            }
        }
    };
}

impl Tx<'_> {
    pub fn backend(&self) -> crate::Backend {
        match self {
            Tx::Sqlite(_) => crate::Backend::Sqlite,
            Tx::Postgres(_) => crate::Backend::Postgres,
        }
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
        let outcome: StoreResult<Result<T, E>> = match self {
            Database::Sqlite(pools) => {
                pools
                    .writer
                    .run(move |conn: &mut SqliteConnection| {
                        Box::pin(async move {
                            // A savepoint of the batch's transaction, left open when the change
                            // succeeds (the batch's COMMIT releases it: one statement less for
                            // every change), rolled back when it fails or panics. One name
                            // serves all: `ROLLBACK TO` and `RELEASE` take the latest savepoint
                            // of that name, which is this change's. Its events wait for the
                            // batch's commit too (`events::flush_pending`).
                            sqlx::query("SAVEPOINT change").execute(&mut *conn).await?;
                            let mark = crate::events::pending_mark();
                            let out = {
                                let mut tx = Tx::Sqlite(&mut *conn);
                                std::panic::AssertUnwindSafe(work(&mut tx))
                                    .catch_unwind()
                                    .await
                            };
                            let out = match out {
                                Ok(Ok(v)) => return Ok(Ok(v)),
                                other => other,
                            };
                            crate::events::pending_truncate(mark);
                            sqlx::query("ROLLBACK TO change")
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query("RELEASE change").execute(&mut *conn).await?;
                            match out {
                                Ok(result) => Ok(result),
                                Err(panic) => std::panic::resume_unwind(panic),
                            }
                        })
                    })
                    .await
            }
            Database::Postgres(pool) => {
                let pool = pool.clone();
                let task = tokio::spawn(async move {
                    let mut t = pool.begin().await?;
                    let out = {
                        let mut tx = Tx::Postgres(&mut t);
                        work(&mut tx).await
                    };
                    match out {
                        Ok(v) => {
                            t.commit().await?;
                            Ok(Ok(v))
                        }
                        Err(e) => {
                            t.rollback().await?;
                            Ok(Err(e))
                        }
                    }
                });
                match task.await {
                    Ok(r) => r,
                    Err(join) if join.is_panic() => {
                        tracing::error!("a transaction panicked; it was rolled back");
                        Err(StoreError::Other(sqlx::Error::WorkerCrashed))
                    }
                    Err(_) => Err(StoreError::Unavailable(sqlx::Error::WorkerCrashed)),
                }
            }
        };
        match outcome {
            Ok(inner) => inner,
            Err(store) => Err(E::from(store)),
        }
    }
}
