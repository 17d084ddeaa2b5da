//! Notification settings, and the 1:1 reminders that are due.

use chrono::{DateTime, Utc};
use oneonone_domain::notify::{DEFAULT_REMINDER_LEAD_MINUTES, NotificationSettings};
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, Tx, now, on_tx, with_pool};

/// A person's settings as stored (`version` 0: never changed, the defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSettings {
    pub person_id: Uuid,
    pub settings: NotificationSettings,
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    person_id: Uuid,
    time_zone: Option<String>,
    reminder_lead_minutes: i32,
    meeting_reminder: bool,
    meeting_summary: bool,
    weekly_digest: bool,
    meeting_invitation: bool,
    webhook_disabled: bool,
    checkin_reminder: bool,
    enps_reminder: bool,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl Row {
    fn into_stored(self) -> StoredSettings {
        StoredSettings {
            person_id: self.person_id,
            settings: NotificationSettings {
                // A zone the server no longer knows falls back to the 1:1's own.
                time_zone: self.time_zone.and_then(|z| z.parse().ok()),
                reminder_lead_minutes: self.reminder_lead_minutes,
                meeting_reminder: self.meeting_reminder,
                meeting_summary: self.meeting_summary,
                weekly_digest: self.weekly_digest,
                meeting_invitation: self.meeting_invitation,
                webhook_disabled: self.webhook_disabled,
                checkin_reminder: self.checkin_reminder,
                enps_reminder: self.enps_reminder,
            },
            version: self.version,
            updated_at: Some(self.updated_at),
        }
    }
}

fn defaults(person_id: Uuid) -> StoredSettings {
    StoredSettings {
        person_id,
        settings: NotificationSettings::default(),
        version: 0,
        updated_at: None,
    }
}

const COLUMNS: &str = "person_id, time_zone, reminder_lead_minutes, meeting_reminder, \
    meeting_summary, weekly_digest, meeting_invitation, webhook_disabled, checkin_reminder, \
    enps_reminder, updated_at, version";

crate::read_both! {
    /// A person's notification settings (the defaults when they never changed them).
    pub async fn notification_settings(person: Uuid) -> StoreResult<StoredSettings>, ex => {
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM notification_settings WHERE person_id = $1"
        ))
        .bind(person)
        .fetch_optional(ex)
        .await?;
        Ok(row.map_or_else(|| defaults(person), Row::into_stored))
    }
}

/// One participant of a 1:1 about to start who wants a reminder, with the reminder jobs they
/// already have for it (`queued`: their keys).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReminderDue {
    pub meeting_id: Uuid,
    pub starts_at: DateTime<Utc>,
    /// Whom it goes to: a person (email), a destination (chat).
    pub target_id: Uuid,
    pub queued: Option<Uuid>,
}

impl Database {
    /// The reminder leads people chose, besides the default.
    pub async fn reminder_leads(&self) -> StoreResult<Vec<i32>> {
        with_pool!(self, pool => {
            let mut leads: Vec<i32> = sqlx::query_scalar(
                "SELECT DISTINCT reminder_lead_minutes FROM notification_settings \
                 WHERE meeting_reminder = TRUE",
            )
            .fetch_all(pool)
            .await?;
            if !leads.contains(&DEFAULT_REMINDER_LEAD_MINUTES) {
                leads.push(DEFAULT_REMINDER_LEAD_MINUTES);
            }
            Ok(leads)
        })
    }

    /// Participants whose reminder lead is `lead` minutes, of scheduled 1:1s starting after
    /// `at` and at most `lead` minutes after `at + ahead`: their reminder is due by then. One
    /// row per reminder job they already have for the meeting (or one with none).
    pub async fn reminders_due(
        &self,
        at: DateTime<Utc>,
        lead: i32,
        ahead: chrono::Duration,
    ) -> StoreResult<Vec<ReminderDue>> {
        let until = at + ahead + chrono::Duration::minutes(i64::from(lead));
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT m.id AS meeting_id, m.starts_at, p.id AS target_id, j.event_id AS queued \
                 FROM meetings m \
                 JOIN people p ON p.id IN (m.manager_id, m.report_id) \
                 LEFT JOIN notification_settings n ON n.person_id = p.id \
                 LEFT JOIN jobs j ON j.subject_id = m.id AND j.kind = 'meeting.reminder' \
                   AND j.target_id = p.id \
                 WHERE m.status = 'scheduled' AND m.starts_at > $1 AND m.starts_at <= $2 \
                 AND p.active = TRUE AND p.deleted_at IS NULL \
                 AND COALESCE(n.meeting_reminder, TRUE) = TRUE \
                 AND COALESCE(n.reminder_lead_minutes, $3) = $4",
            )
            .bind(at)
            .bind(until)
            .bind(DEFAULT_REMINDER_LEAD_MINUTES)
            .bind(lead)
            .fetch_all(pool)
            .await?)
        })
    }
}

impl Tx<'_> {
    /// Store a person's settings, if they are still at version `expected` (when given).
    pub async fn put_notification_settings(
        &mut self,
        person: Uuid,
        expected: Option<i64>,
        s: &NotificationSettings,
    ) -> StoreResult<StoredSettings> {
        let current = self.notification_settings(person).await?;
        if expected.is_some_and(|v| v != current.version) {
            return Err(StoreError::Stale);
        }
        let ts = now();
        let zone = s.time_zone.map(|z| z.name().to_owned());
        let s = s.clone();
        let written = on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO notification_settings (person_id, time_zone, reminder_lead_minutes, \
                 meeting_reminder, meeting_summary, weekly_digest, updated_at, version, \
                 meeting_invitation, webhook_disabled, checkin_reminder, enps_reminder) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $11, $12, $13) \
                 ON CONFLICT (person_id) DO UPDATE SET time_zone = $2, \
                 reminder_lead_minutes = $3, meeting_reminder = $4, meeting_summary = $5, \
                 weekly_digest = $6, updated_at = $7, version = $8, meeting_invitation = $10, \
                 webhook_disabled = $11, checkin_reminder = $12, enps_reminder = $13 \
                 WHERE notification_settings.version = $9",
            )
            .bind(person)
            .bind(&zone)
            .bind(s.reminder_lead_minutes)
            .bind(s.meeting_reminder)
            .bind(s.meeting_summary)
            .bind(s.weekly_digest)
            .bind(ts)
            .bind(current.version + 1)
            .bind(current.version)
            .bind(s.meeting_invitation)
            .bind(s.webhook_disabled)
            .bind(s.checkin_reminder)
            .bind(s.enps_reminder)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        // Another change came in between (two replicas): the caller tries again or reports it.
        if written == 0 {
            return Err(StoreError::Stale);
        }
        self.notification_settings(person).await
    }
}

impl Database {
    /// The time zones people chose for their emails.
    pub async fn chosen_zones(&self) -> StoreResult<Vec<String>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT DISTINCT time_zone FROM notification_settings WHERE time_zone IS NOT NULL",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Active managers (someone active reports to them) who want the weekly digest and read
    /// their emails in `zone` (`None`: chose none, so UTC).
    pub async fn digest_recipients(&self, zone: Option<String>) -> StoreResult<Vec<Uuid>> {
        with_pool!(self, pool => {
            let sql = format!(
                "SELECT p.id FROM people p LEFT JOIN notification_settings s ON s.person_id = p.id \
                 WHERE p.active = $1 AND p.deleted_at IS NULL \
                 AND COALESCE(s.weekly_digest, $1) = $1 AND {} \
                 AND EXISTS (SELECT 1 FROM people r WHERE r.manager_id = p.id AND r.active = $1 \
                 AND r.deleted_at IS NULL) ORDER BY p.id",
                if zone.is_some() { "s.time_zone = $2" } else { "s.time_zone IS NULL" }
            );
            let mut q = sqlx::query_scalar(&sql).bind(true);
            if let Some(z) = zone {
                q = q.bind(z);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }
}

impl Database {
    /// Draft check-ins due on or before `until` and not before `from`, launched before
    /// `launched_before`, of people who read their emails in `zone` (`None`: chose none):
    /// (check-in, person).
    pub async fn checkins_due(
        &self,
        from: chrono::NaiveDate,
        until: chrono::NaiveDate,
        launched_before: DateTime<Utc>,
        zone: Option<String>,
    ) -> StoreResult<Vec<(Uuid, Uuid)>> {
        with_pool!(self, pool => {
            let sql = format!(
                "SELECT k.id, k.person_id FROM checkins k JOIN checkin_cycles c ON c.id = k.cycle_id \
                 LEFT JOIN notification_settings s ON s.person_id = k.person_id \
                 WHERE k.state = 'draft' AND c.due_date >= $1 AND c.due_date <= $2 \
                 AND k.created_at < $3 AND {} ORDER BY k.id",
                if zone.is_some() { "s.time_zone = $4" } else { "s.time_zone IS NULL" }
            );
            let mut q = sqlx::query_as(&sql).bind(from).bind(until).bind(launched_before);
            if let Some(z) = zone {
                q = q.bind(z);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }

    /// Surveys open at `at`: (survey, opens_at, closes_at).
    pub async fn open_surveys(
        &self,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<(Uuid, DateTime<Utc>, DateTime<Utc>)>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT id, opens_at, closes_at FROM enps_surveys WHERE opens_at <= $1 \
                 AND closes_at > $1 AND finalized_at IS NULL ORDER BY id",
            )
            .bind(at)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The people a survey asked who have not answered yet (and are still active).
    pub async fn survey_non_respondents(&self, survey: Uuid) -> StoreResult<Vec<Uuid>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT e.person_id FROM enps_participants e JOIN people p ON p.id = e.person_id \
                 WHERE e.survey_id = $1 AND e.answered = $2 AND p.active = $3 \
                 AND p.deleted_at IS NULL ORDER BY e.person_id",
            )
            .bind(survey)
            .bind(false)
            .bind(true)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Whether a survey asked `person` (`None`: it did not) and whether they answered.
    pub async fn survey_answered(&self, survey: Uuid, person: Uuid) -> StoreResult<Option<bool>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT answered FROM enps_participants WHERE survey_id = $1 AND person_id = $2",
            )
            .bind(survey)
            .bind(person)
            .fetch_optional(pool)
            .await?)
        })
    }
}
