//! Webhook subscriptions. The secret is kept as given (the server must sign with it); it is
//! never returned by a read after the response that created or rotated it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, Tx, now, on_tx, with_pool};

/// A stored subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRecord {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    /// Space-separated event types or families (`meeting.*`), or `*`.
    pub event_types: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub active: bool,
    /// Why the server turned it off (`failing`), when it did.
    pub disabled_reason: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_by_token: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl WebhookRecord {
    /// The secrets a delivery is signed with at `at`: the current one, and the previous one
    /// while its overlap lasts.
    pub fn signing_secrets(&self, at: DateTime<Utc>) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && at < until
        {
            out.push(previous);
        }
        out
    }
}

/// A new subscription.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub secret: String,
    pub created_by: Option<Uuid>,
    pub created_by_token: Option<Uuid>,
}

/// A change to a subscription; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<String>,
    pub active: Option<bool>,
}

const COLUMNS: &str = "id, url, description, event_types, secret, previous_secret, \
    previous_secret_until, active, disabled_reason, created_by, created_by_token, created_at, \
    updated_at, version";

crate::read_both! {
    /// One subscription.
    pub async fn get_webhook(id: Uuid) -> StoreResult<WebhookRecord>, ex => {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhook_subscriptions WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

crate::read_both! {
    /// Every subscription: an inactive one is queued for too (its deliveries wait until it is
    /// on again, so an outage that turned it off loses nothing).
    pub async fn all_webhooks() -> StoreResult<Vec<WebhookRecord>>, ex => {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM webhook_subscriptions ORDER BY id"
        ))
        .fetch_all(ex)
        .await?)
    }
}

impl Database {
    /// A page of subscriptions in creation order, after `after`.
    pub async fn list_webhooks(
        &self,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<WebhookRecord>> {
        let after = after.unwrap_or(Uuid::nil());
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM webhook_subscriptions WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}

impl Tx<'_> {
    pub async fn create_webhook(&mut self, new: NewWebhook) -> StoreResult<WebhookRecord> {
        let id = Uuid::now_v7();
        let ts = now();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO webhook_subscriptions (id, url, description, event_types, secret, \
                 active, created_by, created_by_token, created_at, updated_at, version) \
                 VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7, $8, $8, 1)",
            )
            .bind(id)
            .bind(&new.url)
            .bind(&new.description)
            .bind(&new.event_types)
            .bind(&new.secret)
            .bind(new.created_by)
            .bind(new.created_by_token)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        self.get_webhook(id).await
    }

    /// Change a subscription, if it is still at `expected` (when given). Turning it on again
    /// clears the reason the server turned it off.
    pub async fn update_webhook(
        &mut self,
        id: Uuid,
        expected: Option<i64>,
        change: WebhookChange,
    ) -> StoreResult<WebhookRecord> {
        let ts = now();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE webhook_subscriptions SET url = COALESCE($3, url), \
                 description = COALESCE($4, description), \
                 event_types = COALESCE($5, event_types), active = COALESCE($6, active), \
                 disabled_reason = CASE WHEN $6 IS NULL THEN disabled_reason ELSE NULL END, \
                 updated_at = $7, version = version + 1 \
                 WHERE id = $1 AND ($2 IS NULL OR version = $2)",
            )
            .bind(id)
            .bind(expected)
            .bind(&change.url)
            .bind(&change.description)
            .bind(&change.event_types)
            .bind(change.active)
            .bind(ts)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if done == 0 {
            self.get_webhook(id).await?;
            return Err(StoreError::Stale);
        }
        self.get_webhook(id).await
    }

    /// A new secret; the current one stays valid until `previous_until`.
    pub async fn rotate_webhook_secret(
        &mut self,
        id: Uuid,
        secret: &str,
        previous_until: DateTime<Utc>,
    ) -> StoreResult<WebhookRecord> {
        let ts = now();
        let secret = secret.to_owned();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE webhook_subscriptions SET previous_secret = secret, secret = $2, \
                 previous_secret_until = $3, updated_at = $4, version = version + 1 WHERE id = $1",
            )
            .bind(id)
            .bind(&secret)
            .bind(previous_until)
            .bind(ts)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.get_webhook(id).await
    }

    /// Delete a subscription with its deliveries and their attempts.
    pub async fn delete_webhook(&mut self, id: Uuid) -> StoreResult<()> {
        self.delete_jobs_of(id).await?;
        let done = on_tx!(self, conn => {
            sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Turn a subscription off because its receiver has failed for the whole retry window of
    /// a delivery, with no success since `failing_since`. Whether it was turned off now.
    pub async fn disable_failing_webhook(
        &mut self,
        id: Uuid,
        failing_since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let ts = now();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE webhook_subscriptions SET active = FALSE, disabled_reason = 'failing', \
                 updated_at = $3, version = version + 1 \
                 WHERE id = $1 AND active = TRUE AND NOT EXISTS (SELECT 1 FROM jobs \
                 WHERE target_id = $1 AND state = 'delivered' AND finished_at >= $2)",
            )
            .bind(id)
            .bind(failing_since)
            .bind(ts)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }
}
