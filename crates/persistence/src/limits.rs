//! Rate limits that hold across replicas: counters kept in the database.

use crate::{Database, StoreResult, with_writer};

/// One attempt counted: how many attempts the key's window holds now, and in how many seconds
/// the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub attempts: i64,
    pub window_ends_in: i64,
}

impl Database {
    /// Count one attempt under `key` at `now` (Unix seconds), in a fixed window of
    /// `window_secs` that its first attempt starts. One atomic statement: replicas counting the
    /// same key at once each see their own count.
    pub async fn count_attempt(
        &self,
        key: &str,
        now: i64,
        window_secs: i64,
    ) -> StoreResult<Counted> {
        let key = key.to_owned();
        with_writer!(self, conn => {
            let (attempts, started): (i64, i64) = sqlx::query_as(
                "INSERT INTO rate_limits (key, window_start, attempts) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                 attempts = CASE WHEN rate_limits.window_start <= $3 THEN 1 \
                 ELSE rate_limits.attempts + 1 END, \
                 window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 \
                 ELSE rate_limits.window_start END \
                 RETURNING CAST(attempts AS BIGINT), window_start",
            )
            .bind(&key)
            .bind(now)
            .bind(now - window_secs)
            .fetch_one(&mut *conn)
            .await?;
            Counted {
                attempts,
                window_ends_in: started + window_secs - now,
            }
        })
    }

    /// Forget counters whose window started before `before` (Unix seconds).
    pub async fn purge_attempts(&self, before: i64) -> StoreResult<u64> {
        with_writer!(self, conn => {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(before)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        })
    }
}
