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

use futures_util::future::BoxFuture;
use sqlx::{Connection, PgConnection, SqliteConnection};

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
                            let mut savepoint = conn.begin().await?;
                            let out = {
                                let mut tx = Tx::Sqlite(&mut savepoint);
                                work(&mut tx).await
                            };
                            match out {
                                Ok(v) => {
                                    savepoint.commit().await?;
                                    Ok(Ok(v))
                                }
                                Err(e) => {
                                    savepoint.rollback().await?;
                                    Ok(Err(e))
                                }
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
