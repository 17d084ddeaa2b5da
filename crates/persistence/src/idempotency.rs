//! Stored responses for `Idempotency-Key`, so a retried create returns what the first one did.

use chrono::{DateTime, Duration, Utc};

use crate::{Database, StoreResult, now, with_writer};

/// The state of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    /// This request holds the key now and must finish it with [`Database::finish_idempotency`]
    /// or give it back with [`Database::release_idempotency`].
    Acquired,
    /// Another request with this key is still running.
    InProgress { request_hash: String },
    /// A request with this key finished with this response.
    Done {
        request_hash: String,
        status_code: u16,
        body: String,
        location: Option<String>,
    },
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    status_code: Option<i32>,
    response_body: Option<String>,
    location: Option<String>,
}

/// How long keys are kept.
pub fn retention() -> Duration {
    Duration::hours(24)
}

impl Database {
    /// Claim `key` for `principal`, or report what an earlier request with it did.
    pub async fn begin_idempotency(
        &self,
        principal: &str,
        key: &str,
        request_hash: &str,
    ) -> StoreResult<IdempotencyState> {
        let ts = now();
        let (principal, key, request_hash) = (
            principal.to_owned(),
            key.to_owned(),
            request_hash.to_owned(),
        );
        with_writer!(self, conn => {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (principal, key, request_hash, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (principal, key) DO NOTHING",
            )
            .bind(&principal)
            .bind(&key)
            .bind(&request_hash)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(IdempotencyState::Acquired);
            }
            let row: Option<Row> = sqlx::query_as(
                "SELECT request_hash, status_code, response_body, location FROM idempotency_keys \
                 WHERE principal = $1 AND key = $2",
            )
            .bind(&principal)
            .bind(&key)
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                // Released between our insert and select: let the client retry.
                None => IdempotencyState::InProgress { request_hash },
                Some(Row { request_hash, status_code: Some(code), response_body, location }) => {
                    IdempotencyState::Done {
                        request_hash,
                        status_code: u16::try_from(code).unwrap_or(200),
                        body: response_body.unwrap_or_default(),
                        location,
                    }
                }
                Some(Row { request_hash, .. }) => IdempotencyState::InProgress { request_hash },
            }
        })
    }

    pub async fn finish_idempotency(
        &self,
        principal: &str,
        key: &str,
        status_code: u16,
        body: &str,
        location: Option<&str>,
    ) -> StoreResult<()> {
        let (principal, key, body, location) = (
            principal.to_owned(),
            key.to_owned(),
            body.to_owned(),
            location.map(str::to_owned),
        );
        with_writer!(self, conn => {
            sqlx::query(
                "UPDATE idempotency_keys SET status_code = $1, response_body = $2, location = $3 \
                 WHERE principal = $4 AND key = $5",
            )
            .bind(i32::from(status_code))
            .bind(body)
            .bind(location)
            .bind(principal)
            .bind(key)
            .execute(&mut *conn)
            .await?;
        })
    }

    /// Give a key back after a failed request, so a retry runs again.
    pub async fn release_idempotency(&self, principal: &str, key: &str) -> StoreResult<()> {
        let (principal, key) = (principal.to_owned(), key.to_owned());
        with_writer!(self, conn => {
            sqlx::query("DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2")
                .bind(principal)
                .bind(key)
                .execute(&mut *conn)
                .await?;
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
