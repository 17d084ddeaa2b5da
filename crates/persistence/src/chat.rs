//! Chat destinations (Slack, Teams incoming webhooks). The address is kept as given (the
//! server must post to it); only its hint is ever read back by the API.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::notify::ReminderDue;
use crate::{Database, StoreError, StoreResult, Tx, now, on_tx, with_pool};

/// A stored destination.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatRecord {
    pub id: Uuid,
    /// Whose messages: the person's own (`person`), or this manager's team's (`team`).
    pub person_id: Uuid,
    pub audience: String,
    pub platform: String,
    pub url: String,
    pub url_hint: String,
    pub label: String,
    pub meeting_reminder: bool,
    pub weekly_digest: bool,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A new destination, or every field of a changed one.
#[derive(Debug, Clone)]
pub struct ChatFields {
    pub person_id: Uuid,
    pub audience: String,
    pub platform: String,
    pub url: String,
    pub url_hint: String,
    pub label: String,
    pub meeting_reminder: bool,
    pub weekly_digest: bool,
}

const COLUMNS: &str = "id, person_id, audience, platform, url, url_hint, label, \
    meeting_reminder, weekly_digest, created_by, created_at, updated_at, version";

crate::read_both! {
    /// One destination.
    pub async fn get_chat_destination(id: Uuid) -> StoreResult<ChatRecord>, ex => {
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM chat_destinations WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

crate::read_both! {
    /// How many destinations of `audience` a person has.
    pub async fn count_chat_destinations(person: Uuid, audience: String) -> StoreResult<i64>, ex => {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM chat_destinations WHERE person_id = $1 AND audience = $2",
        )
        .bind(person)
        .bind(audience)
        .fetch_one(ex)
        .await?)
    }
}

impl Database {
    /// The destinations a person manages, in creation order after `after`: their own and
    /// their team's, and with `all_teams` every team's.
    pub async fn list_chat_destinations(
        &self,
        person: Option<Uuid>,
        all_teams: bool,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<ChatRecord>> {
        let after = after.unwrap_or(Uuid::nil());
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM chat_destinations \
                 WHERE (person_id = $1 OR (audience = 'team' AND $2)) AND id > $3 \
                 ORDER BY id LIMIT $4"
            ))
            .bind(person)
            .bind(all_teams)
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Whether any destination exists (the schedule reads nothing for chat otherwise).
    pub async fn any_chat_destination(&self) -> StoreResult<bool> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM (SELECT 1 FROM chat_destinations LIMIT 1) d")
                .fetch_one(pool)
                .await? > 0)
        })
    }

    /// Chat reminders whose time comes by `at + ahead` for owners whose lead is `lead`: a
    /// person's destination for each scheduled 1:1 they are in, a team's for each the manager
    /// holds (`target_id`: the destination).
    pub async fn chat_reminders_due(
        &self,
        at: DateTime<Utc>,
        lead: i32,
        ahead: chrono::Duration,
    ) -> StoreResult<Vec<ReminderDue>> {
        let until = at + ahead + chrono::Duration::minutes(i64::from(lead));
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT m.id AS meeting_id, m.starts_at, d.id AS target_id, j.event_id AS queued \
                 FROM chat_destinations d \
                 JOIN people p ON p.id = d.person_id \
                 JOIN meetings m ON m.manager_id = p.id \
                   OR (d.audience = 'person' AND m.report_id = p.id) \
                 LEFT JOIN notification_settings n ON n.person_id = p.id \
                 LEFT JOIN jobs j ON j.subject_id = m.id AND j.kind = 'meeting.reminder' \
                   AND j.target_id = d.id \
                 WHERE d.meeting_reminder = TRUE AND m.status = 'scheduled' \
                 AND m.starts_at > $1 AND m.starts_at <= $2 \
                 AND p.active = TRUE AND p.deleted_at IS NULL \
                 AND COALESCE(n.reminder_lead_minutes, $3) = $4",
            )
            .bind(at)
            .bind(until)
            .bind(oneonone_domain::notify::DEFAULT_REMINDER_LEAD_MINUTES)
            .bind(lead)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The destinations that get a digest of managers who read in `zone` (`None`: chose
    /// none), whose manager has active reports.
    pub async fn chat_digest_destinations(
        &self,
        zone: Option<String>,
    ) -> StoreResult<Vec<(Uuid, Uuid)>> {
        with_pool!(self, pool => {
            let sql = format!(
                "SELECT d.id, p.id FROM chat_destinations d JOIN people p ON p.id = d.person_id \
                 LEFT JOIN notification_settings s ON s.person_id = p.id \
                 WHERE d.weekly_digest = $1 AND p.active = $1 AND p.deleted_at IS NULL AND {} \
                 AND EXISTS (SELECT 1 FROM people r WHERE r.manager_id = p.id AND r.active = $1 \
                 AND r.deleted_at IS NULL) ORDER BY d.id",
                if zone.is_some() { "s.time_zone = $2" } else { "s.time_zone IS NULL" }
            );
            let mut q = sqlx::query_as(&sql).bind(true);
            if let Some(z) = zone {
                q = q.bind(z);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }
}

impl Tx<'_> {
    pub async fn create_chat_destination(
        &mut self,
        f: &ChatFields,
        created_by: Uuid,
    ) -> StoreResult<ChatRecord> {
        let id = Uuid::now_v7();
        let ts = now();
        let f = f.clone();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO chat_destinations (id, person_id, audience, platform, url, url_hint, \
                 label, meeting_reminder, weekly_digest, created_by, created_at, updated_at, \
                 version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1)",
            )
            .bind(id)
            .bind(f.person_id)
            .bind(&f.audience)
            .bind(&f.platform)
            .bind(&f.url)
            .bind(&f.url_hint)
            .bind(&f.label)
            .bind(f.meeting_reminder)
            .bind(f.weekly_digest)
            .bind(created_by)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        self.get_chat_destination(id).await
    }

    /// Store every field of a destination, if it is still at `expected`.
    pub async fn update_chat_destination(
        &mut self,
        id: Uuid,
        expected: i64,
        f: &ChatFields,
    ) -> StoreResult<ChatRecord> {
        let ts = now();
        let f = f.clone();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE chat_destinations SET platform = $3, url = $4, url_hint = $5, label = $6, \
                 meeting_reminder = $7, weekly_digest = $8, updated_at = $9, \
                 version = version + 1 WHERE id = $1 AND version = $2",
            )
            .bind(id)
            .bind(expected)
            .bind(&f.platform)
            .bind(&f.url)
            .bind(&f.url_hint)
            .bind(&f.label)
            .bind(f.meeting_reminder)
            .bind(f.weekly_digest)
            .bind(ts)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if done == 0 {
            self.get_chat_destination(id).await?;
            return Err(StoreError::Stale);
        }
        self.get_chat_destination(id).await
    }

    /// Delete a destination with its messages and their attempts.
    pub async fn delete_chat_destination(&mut self, id: Uuid) -> StoreResult<()> {
        self.delete_jobs_of(id).await?;
        let done = on_tx!(self, conn => {
            sqlx::query("DELETE FROM chat_destinations WHERE id = $1")
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
}
