//! Small key-value settings the server keeps for itself (the generated JWT signing key).

use crate::{Database, StoreResult, with_pool, with_writer};

impl Database {
    pub async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Store `value` under `key` unless a value is there already; return the stored value.
    /// Two replicas starting at once agree on one value.
    pub async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        let (key, value) = (key.to_owned(), value.to_owned());
        with_writer!(self, conn => {
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(&key)
                .bind(value)
                .execute(&mut *conn)
                .await?;
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(&key)
                .fetch_one(&mut *conn)
                .await?
        })
    }
}

impl crate::Tx<'_> {
    /// Set `key` once: whether this call set it (a replica that comes second gets `false`).
    pub async fn set_once(&mut self, key: &str, value: &str) -> StoreResult<bool> {
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(value)
            .execute(&mut *conn)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }
}
