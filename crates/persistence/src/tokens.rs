//! API tokens for integrations. Only a SHA-256 of the secret is stored.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, now, with_pool, with_writer};

/// A stored API token (never the secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiTokenRecord {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    /// Space-separated scope names.
    pub scopes: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What authentication needs about a presented token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenAuthRecord {
    pub id: Uuid,
    pub scopes: String,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether the HR admin who created it is still active (and still an HR admin).
    pub creator_active: bool,
    pub creator_hr_admin: bool,
}

const TOKEN_COLUMNS: &str =
    "id, name, prefix, scopes, created_by, created_at, last_used_at, revoked_at";

impl Database {
    pub async fn get_api_token(&self, id: Uuid) -> StoreResult<ApiTokenRecord> {
        with_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1 AND revoked_at IS NULL"))
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)
        })
    }

    /// A page of live tokens in creation order, after `after`.
    pub async fn list_api_tokens(
        &self,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<ApiTokenRecord>> {
        let after = after.unwrap_or(Uuid::nil());
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id > $1 AND revoked_at IS NULL ORDER BY id LIMIT $2"
            ))
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn token_for_auth(&self, token_hash: &str) -> StoreResult<Option<TokenAuthRecord>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT t.id, t.scopes, t.last_used_at, t.revoked_at, p.active AS creator_active, \
                 p.hr_admin AS creator_hr_admin \
                 FROM api_tokens t JOIN people p ON p.id = t.created_by WHERE t.token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Record use of a token. Callers throttle this (once a minute) to keep reads read-only.
    pub async fn touch_api_token(&self, id: Uuid) -> StoreResult<()> {
        let ts = now();
        with_writer!(self, conn => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(ts)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        })
    }
}

impl crate::Tx<'_> {
    pub async fn create_api_token(
        &mut self,
        name: &str,
        token_hash: &str,
        prefix: &str,
        scopes: &str,
        created_by: Uuid,
    ) -> StoreResult<ApiTokenRecord> {
        let id = Uuid::now_v7();
        let ts = now();
        let text = [name, token_hash, prefix, scopes].map(str::to_owned);
        crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO api_tokens (id, name, token_hash, prefix, scopes, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(&text[0])
            .bind(&text[1])
            .bind(&text[2])
            .bind(&text[3])
            .bind(created_by)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        crate::on_tx!(self, conn => {
            Ok(sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *conn)
                .await?)
        })
    }
}

impl crate::Tx<'_> {
    /// Revoke a live token; a revoked one is [`StoreError::NotFound`].
    pub async fn revoke_api_token(&mut self, id: Uuid) -> StoreResult<()> {
        let ts = now();
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(ts)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }
}

crate::read_both! {
    /// Who made an API token (revoked or not): the person answerable for what it set up.
    pub async fn token_creator(id: Uuid) -> StoreResult<Option<Uuid>>, ex => {
        Ok(sqlx::query_scalar("SELECT created_by FROM api_tokens WHERE id = $1")
            .bind(id)
            .fetch_optional(ex)
            .await?)
    }
}
