//! Stored responses for `Idempotency-Key`, so a retried create returns what the first one did.
//!
//! A response is stored by [`Tx::save_response`] in the transaction of the change it answers:
//! the key, the change and the answer commit together or not at all. There is no "claimed"
//! state that a crash or a hung-up client could leave behind; two requests racing with one key
//! both run, and the second one's insert of the key fails (PostgreSQL makes it wait for the
//! first to commit), undoing its change, so it replays the first one's answer instead.

use chrono::{DateTime, Duration, Utc};

use crate::{Database, StoreResult, Tx, now, on_tx, with_pool, with_writer};

/// A response as it was first given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status_code: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    status_code: i32,
    response_body: String,
    location: Option<String>,
    etag: Option<String>,
}

impl From<Row> for StoredResponse {
    fn from(r: Row) -> Self {
        StoredResponse {
            request_hash: r.request_hash,
            status_code: u16::try_from(r.status_code).unwrap_or(200),
            body: r.response_body,
            location: r.location,
            etag: r.etag,
        }
    }
}

/// How long keys are kept.
pub fn retention() -> Duration {
    Duration::hours(24)
}

/// The conflict of a key that has a response already.
pub const KEY_TAKEN: &str = "idempotency_key";

const SELECT: &str = "SELECT request_hash, status_code, response_body, location, etag \
     FROM idempotency_keys WHERE principal = $1 AND key = $2";

impl Tx<'_> {
    /// Store the response to a keyed request. Fails with `StoreError::Conflict(KEY_TAKEN)` when
    /// the key has a response already (another request with it committed first); a deferred
    /// write of the change, which runs first, fails with its own error.
    pub async fn save_response(
        &mut self,
        principal: &str,
        key: &str,
        response: &StoredResponse,
    ) -> StoredResult {
        let ts = now();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO idempotency_keys (principal, key, request_hash, status_code, \
                 response_body, location, etag, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(principal)
            .bind(key)
            .bind(&response.request_hash)
            .bind(i32::from(response.status_code))
            .bind(&response.body)
            .bind(response.location.as_deref())
            .bind(response.etag.as_deref())
            .bind(ts)
            .execute(&mut *conn)
            .await
            .map_err(|e| match crate::StoreError::from(e) {
                crate::StoreError::Conflict(_) => crate::StoreError::Conflict(KEY_TAKEN),
                other => other,
            })?;
        });
        Ok(())
    }
}

type StoredResult = StoreResult<()>;

impl Database {
    /// The response stored for `key`, if a request with it committed.
    pub async fn stored_response(
        &self,
        principal: &str,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        with_pool!(self, pool => {
            let row: Option<Row> = sqlx::query_as(SELECT)
                .bind(principal)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(StoredResponse::from))
        })
    }

    /// Forget keys older than the retention period.
    pub async fn purge_idempotency(&self, older_than: DateTime<Utc>) -> StoreResult<u64> {
        with_writer!(self, conn => {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(older_than)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        })
    }
}
