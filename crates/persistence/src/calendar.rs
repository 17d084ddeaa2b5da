//! Calendar feed addresses: one per person, found by the hash of its secret token.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{Database, StoreResult, now, on_tx, with_pool};

/// A person's feed address, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRecord {
    pub person_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_read_at: Option<DateTime<Utc>>,
}

impl Database {
    /// The person whose feed this token hash opens, if they are still active.
    pub async fn feed_owner(&self, token_hash: &str) -> StoreResult<Option<Uuid>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT f.person_id FROM calendar_feeds f JOIN people p ON p.id = f.person_id \
                 WHERE f.token_hash = $1 AND p.active = $2 AND p.deleted_at IS NULL",
            )
            .bind(token_hash)
            .bind(true)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Note that a feed was read (at most once a minute per feed: calendar apps poll).
    pub async fn feed_read(&self, person: Uuid, at: DateTime<Utc>) -> StoreResult<()> {
        let stale = at - chrono::Duration::minutes(1);
        with_pool!(self, pool => {
            sqlx::query(
                "UPDATE calendar_feeds SET last_read_at = $1 WHERE person_id = $2 \
                 AND (last_read_at IS NULL OR last_read_at < $3)",
            )
            .bind(at)
            .bind(person)
            .bind(stale)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// A person's feed address, if they have one.
    pub async fn feed_of(&self, person: Uuid) -> StoreResult<Option<FeedRecord>> {
        with_pool!(self, pool => {
            let row: Option<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT person_id, created_at, last_read_at FROM calendar_feeds WHERE person_id = $1",
            )
            .bind(person)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(person_id, created_at, last_read_at)| FeedRecord {
                person_id,
                created_at,
                last_read_at,
            }))
        })
    }
}

impl crate::Tx<'_> {
    /// Give a person a new feed address (the old one, if any, stops working).
    pub async fn put_feed(&mut self, person: Uuid, token_hash: &str) -> StoreResult<FeedRecord> {
        let ts = now();
        on_tx!(self, conn => {
            sqlx::query("DELETE FROM calendar_feeds WHERE person_id = $1")
                .bind(person)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO calendar_feeds (person_id, token_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(person)
            .bind(token_hash)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        Ok(FeedRecord {
            person_id: person,
            created_at: ts,
            last_read_at: None,
        })
    }

    /// Remove a person's feed address; whether there was one.
    pub async fn delete_feed(&mut self, person: Uuid) -> StoreResult<bool> {
        on_tx!(self, conn => {
            let done = sqlx::query("DELETE FROM calendar_feeds WHERE person_id = $1")
                .bind(person)
                .execute(&mut *conn)
                .await?;
            Ok(done.rows_affected() > 0)
        })
    }
}
