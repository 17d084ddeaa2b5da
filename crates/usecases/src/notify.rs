//! Email: each person's settings, the one-click unsubscribe, and the jobs that become emails.
//!
//! Jobs come from two sources. **The log** (cursor `email`): a held 1:1 becomes a summary to
//! each participant; a series or a one-off scheduled, moved, skipped or cancelled by someone
//! becomes a calendar invitation (iTIP) to each. **The schedule**: a scheduled 1:1 whose reminder time has come becomes a
//! reminder to each participant who wants one; its key is derived from (meeting, start time,
//! person), so any replica may schedule at any time and each reminder is queued once, and a
//! 1:1 moved to another time gets a reminder for its new time.
//!
//! A job carries ids only; the message is written when it is sent, as its recipient may read
//! it then (so a talking point added after the job was queued is in it, and a private one is
//! in its author's email alone).

use chrono::{DateTime, NaiveTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use oneonone_domain::cadence;
use oneonone_domain::notify::{DigestTime, EmailKind, NotificationSettings};
use oneonone_domain::policy::{Actor, Denied};
use oneonone_persistence::events::Event;
use oneonone_persistence::jobs::NewJob;
use oneonone_persistence::notify::StoredSettings;
use oneonone_persistence::{Database, NewEvent, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::outbox::{self, FanOut};
use crate::{Error, Result, by};

/// The name of email's place in the event log.
pub const CURSOR: &str = "email";
/// The channel of email jobs.
pub const CHANNEL: &str = "email";

/// Emails about events older than this are not sent (a server whose email was off, or
/// down, does not mail about last month when it comes back).
pub fn summary_max_age() -> chrono::Duration {
    chrono::Duration::hours(48)
}

fn own(actor: &Actor) -> Result<Uuid> {
    actor.person_id().ok_or(Error::Denied(Denied(
        "notification settings belong to a person",
    )))
}

/// Change your own settings (`expected`: the version you read).
pub async fn update_settings(
    tx: &mut Tx<'_>,
    actor: &Actor,
    expected: Option<i64>,
    settings: &NotificationSettings,
) -> Result<StoredSettings> {
    let me = own(actor)?;
    let stored = tx.put_notification_settings(me, expected, settings).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("notification_settings.updated", "person", me).content()],
    )
    .await?;
    Ok(stored)
}

/// Turn one kind of email off for a person (the one-click link; no sign-in: the link is the
/// proof). Turning off what is off already changes nothing.
pub async fn unsubscribe(tx: &mut Tx<'_>, person: Uuid, kind: EmailKind) -> Result<StoredSettings> {
    let stored = tx.notification_settings(person).await?;
    if !stored.settings.wants(kind) {
        return Ok(stored);
    }
    let mut settings = stored.settings.clone();
    settings.set(kind, false);
    let stored = tx
        .put_notification_settings(person, Some(stored.version), &settings)
        .await?;
    tx.append_events(
        oneonone_persistence::EventActor {
            person_id: Some(person),
            token_id: None,
        },
        &[
            NewEvent::new("notification_settings.updated", "person", person)
                .content()
                .data(json!({"unsubscribed": kind.as_str()})),
        ],
    )
    .await?;
    Ok(stored)
}

/// The body of an email job: what it is about (a meeting, or for an invitation a series).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkin_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_id: Option<Uuid>,
    /// For an invitation: the meeting was skipped or cancelled (else it was scheduled or moved,
    /// and an invitation for a meeting cancelled since is not sent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancels: bool,
    /// For a reminder, the start it reminds of (a 1:1 moved since is not reminded of).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
}

/// What emails an event of the log becomes, to whom: a summary of a held 1:1 and a calendar
/// invitation when a series or a one-off is scheduled or changes, to both participants; a
/// check-in's steps to whoever acts next. Changes the system made on its own (the demo's
/// history, meetings prepared ahead) are not mailed.
fn emails_of(e: &Event) -> Vec<(Uuid, EmailKind, EmailJob)> {
    let (Some(manager), Some(report)) = (e.manager_id, e.report_id) else {
        return Vec::new();
    };
    let by_someone = e.actor_id.is_some() || e.actor_token.is_some();
    let meeting = EmailJob {
        meeting_id: Some(e.subject_id),
        cancels: matches!(e.kind.as_str(), "meeting.skipped" | "meeting.cancelled"),
        ..EmailJob::default()
    };
    let checkin = EmailJob {
        checkin_id: Some(e.subject_id),
        ..EmailJob::default()
    };
    let (kind, job, to): (EmailKind, EmailJob, &[Uuid]) = match e.kind.as_str() {
        "meeting.completed" => (EmailKind::MeetingSummary, meeting, &[manager, report]),
        "meeting_series.created" | "meeting_series.rescheduled" | "meeting_series.updated"
            if by_someone =>
        {
            let series = EmailJob {
                series_id: Some(e.subject_id),
                ..EmailJob::default()
            };
            (EmailKind::MeetingInvitation, series, &[manager, report])
        }
        "meeting.created" | "meeting.rescheduled" | "meeting.skipped" | "meeting.cancelled"
            if by_someone =>
        {
            (EmailKind::MeetingInvitation, meeting, &[manager, report])
        }
        "checkin.created" | "checkin.reviewed" => (EmailKind::CheckinReminder, checkin, &[report]),
        "checkin.submitted" => (EmailKind::CheckinReminder, checkin, &[manager]),
        _ => return Vec::new(),
    };
    to.iter().map(|p| (*p, kind, job.clone())).collect()
}

/// Who answers for a webhook subscription: whoever made it, or the person who made the API
/// token that made it.
async fn webhook_owner(tx: &mut Tx<'_>, subscription: Uuid) -> Result<Option<Uuid>> {
    let hook = match tx.get_webhook(subscription).await {
        Ok(h) => h,
        Err(oneonone_persistence::StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(match (hook.created_by, hook.created_by_token) {
        (Some(person), _) => Some(person),
        (None, Some(token)) => tx.token_creator(token).await?,
        (None, None) => None,
    })
}

/// Turn up to `limit` events after email's cursor into jobs (see [`email_of`]).
pub async fn fan_out(tx: &mut Tx<'_>, limit: i64) -> Result<FanOut> {
    outbox::fan_out(
        tx,
        CURSOR,
        limit,
        async |tx: &mut Tx<'_>, events: &[Event]| {
            let now = oneonone_persistence::now();
            let mut jobs = Vec::new();
            for e in events {
                if now - e.occurred_at > summary_max_age() {
                    continue;
                }
                if e.kind == "webhook_subscription.disabled" {
                    if let Some(owner) = webhook_owner(tx, e.subject_id).await? {
                        jobs.push(NewJob {
                            id: Uuid::now_v7(),
                            channel: CHANNEL,
                            target_id: owner,
                            event_id: Some(e.id),
                            kind: EmailKind::WebhookDisabled.job_kind().to_owned(),
                            subject_id: e.subject_id,
                            payload: "{}".to_owned(),
                            deadline: now + chrono::Duration::hours(24),
                            not_before: None,
                        });
                    }
                    continue;
                }
                for (person, kind, body) in emails_of(e) {
                    jobs.push(NewJob {
                        id: Uuid::now_v7(),
                        channel: CHANNEL,
                        target_id: person,
                        event_id: Some(e.id),
                        kind: kind.job_kind().to_owned(),
                        subject_id: e.subject_id,
                        payload: json!(body).to_string(),
                        deadline: now + chrono::Duration::hours(24),
                        not_before: None,
                    });
                }
            }
            Ok(jobs)
        },
    )
    .await
}

/// Which channels the schedule queues messages for: those the server sends (email when a relay
/// is set; chat when someone set a destination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channels {
    pub email: bool,
    pub chat: bool,
}

/// The key of a reminder: one per (meeting, start, recipient).
pub fn reminder_key(meeting: Uuid, starts_at: DateTime<Utc>, person: Uuid) -> Uuid {
    let name = format!("{meeting}/{}/{person}", starts_at.timestamp_millis());
    Uuid::new_v5(&REMINDER_NAMESPACE, name.as_bytes())
}

const REMINDER_NAMESPACE: Uuid = Uuid::from_u128(0x6f6e_656f_6e65_4000_8000_7265_6d69_6e64);

/// Queue the reminders whose time comes by `at + ahead`: to each participant who wants one, of
/// each scheduled 1:1 starting within their lead by then. A reminder queued ahead waits for its
/// time in the queue, so it goes out when it is due however seldom the schedule is read. The
/// reminders queued.
pub async fn schedule_reminders(
    db: &Database,
    at: DateTime<Utc>,
    ahead: chrono::Duration,
    to: Channels,
) -> Result<u64> {
    let mut jobs = Vec::new();
    for lead in db.reminder_leads().await? {
        let mut due = Vec::new();
        if to.email {
            due.extend(
                db.reminders_due(at, lead, ahead)
                    .await?
                    .into_iter()
                    .map(|d| (CHANNEL, d)),
            );
        }
        if to.chat {
            due.extend(
                db.chat_reminders_due(at, lead, ahead)
                    .await?
                    .into_iter()
                    .map(|d| (crate::chat::CHANNEL, d)),
            );
        }
        let mut queued = std::collections::HashSet::new();
        for (_, d) in &due {
            if let Some(k) = d.queued {
                queued.insert(k);
            }
        }
        for (channel, d) in due {
            let key = reminder_key(d.meeting_id, d.starts_at, d.target_id);
            if !queued.insert(key) {
                continue;
            }
            jobs.push(NewJob {
                id: Uuid::now_v7(),
                channel,
                target_id: d.target_id,
                event_id: Some(key),
                kind: EmailKind::MeetingReminder.job_kind().to_owned(),
                subject_id: d.meeting_id,
                payload: json!(EmailJob {
                    meeting_id: Some(d.meeting_id),
                    starts_at: Some(d.starts_at),
                    ..EmailJob::default()
                })
                .to_string(),
                // Useless once the 1:1 has started.
                deadline: d.starts_at,
                // Queued ahead: sent when it comes due.
                not_before: Some(d.starts_at - chrono::Duration::minutes(i64::from(lead))),
            });
        }
    }
    if jobs.is_empty() {
        return Ok(0);
    }
    let mut queued = 0;
    for chunk in jobs.chunks(500) {
        let chunk = chunk.to_vec();
        queued += db
            .transact(move |tx| {
                Box::pin(async move { Ok::<_, Error>(tx.enqueue_jobs(&chunk).await?) })
            })
            .await?;
    }
    Ok(queued)
}

/// The time zones people read their emails in (`None`: chose none, so UTC) where `at` is past
/// `hour` o'clock, with the local time there.
async fn mornings(
    db: &Database,
    at: DateTime<Utc>,
    hour: u32,
) -> Result<Vec<(Option<String>, DateTime<chrono_tz::Tz>)>> {
    use chrono::Timelike;
    let mut zones: Vec<Option<String>> = db.chosen_zones().await?.into_iter().map(Some).collect();
    zones.push(None);
    Ok(zones
        .into_iter()
        .filter_map(|zone| {
            let tz: chrono_tz::Tz = match &zone {
                Some(z) => z.parse().ok()?,
                None => chrono_tz::Tz::UTC,
            };
            let local = at.with_timezone(&tz);
            (local.hour() >= hour).then_some((zone, local))
        })
        .collect())
}

const DIGEST_NAMESPACE: Uuid = Uuid::from_u128(0x6f6e_656f_6e65_4000_8000_6469_6765_7374);

/// Queue this week's digest for each manager whose digest time (`when`, in their zone) has
/// come at `at` and not passed with the day. Each zone's week is marked done in the same
/// transaction as its jobs, so replicas scanning side by side queue each digest once (and a
/// digest's key, (manager, week), holds even for a manager who changes zone mid-week).
pub async fn schedule_digests(
    db: &Database,
    at: DateTime<Utc>,
    when: DigestTime,
    to: Channels,
) -> Result<u64> {
    use chrono::Datelike;
    let mut queued = 0;
    for (zone, local) in mornings(db, at, when.hour).await? {
        if local.weekday() != when.weekday {
            continue;
        }
        let week = local.iso_week();
        let week = format!("{}-W{:02}", week.year(), week.week());
        let marker = format!("digest/{week}/{}", zone.as_deref().unwrap_or("-"));
        if db.setting(&marker).await?.is_some() {
            continue;
        }
        // (channel, recipient, manager)
        let mut to_whom = Vec::new();
        if to.email {
            for manager in db.digest_recipients(zone.clone()).await? {
                to_whom.push((CHANNEL, manager, manager));
            }
        }
        if to.chat {
            for (destination, manager) in db.chat_digest_destinations(zone.clone()).await? {
                to_whom.push((crate::chat::CHANNEL, destination, manager));
            }
        }
        let jobs: Vec<NewJob> = to_whom
            .into_iter()
            .map(|(channel, target, manager)| NewJob {
                id: Uuid::now_v7(),
                channel,
                target_id: target,
                event_id: Some(Uuid::new_v5(
                    &DIGEST_NAMESPACE,
                    format!("{target}/{week}").as_bytes(),
                )),
                kind: EmailKind::WeeklyDigest.job_kind().to_owned(),
                subject_id: manager,
                payload: "{}".to_owned(),
                // Not worth sending the next day.
                deadline: at + chrono::Duration::hours(16),
                not_before: None,
            })
            .collect();
        queued += queue_once(db, marker, jobs).await?;
    }
    Ok(queued)
}

const PROGRAM_NAMESPACE: Uuid = Uuid::from_u128(0x6f6e_656f_6e65_4000_8000_7072_6f67_7261);

/// How long before a check-in is due, or a survey closes, the last reminder goes out.
pub fn last_call() -> chrono::Duration {
    chrono::Duration::hours(48)
}

/// Queue `jobs` unless `marker` was set, and set it, in one transaction (so replicas queue them
/// once); how many were queued.
async fn queue_once(db: &Database, marker: String, jobs: Vec<NewJob>) -> Result<u64> {
    if db.setting(&marker).await?.is_some() {
        return Ok(0);
    }
    db.transact(move |tx| {
        Box::pin(async move {
            if !tx.set_once(&marker, "done").await? {
                return Ok::<_, Error>(0);
            }
            let mut queued = 0;
            for chunk in jobs.chunks(500) {
                queued += tx.enqueue_jobs(chunk).await?;
            }
            Ok(queued)
        })
    })
    .await
}

/// A job for a program reminder, keyed by what it is about and why.
fn program_job(
    person: Uuid,
    subject: Uuid,
    why: &str,
    body: EmailJob,
    kind: EmailKind,
    deadline: DateTime<Utc>,
) -> NewJob {
    NewJob {
        id: Uuid::now_v7(),
        channel: CHANNEL,
        target_id: person,
        event_id: Some(Uuid::new_v5(
            &PROGRAM_NAMESPACE,
            format!("{subject}/{why}/{person}").as_bytes(),
        )),
        kind: kind.job_kind().to_owned(),
        subject_id: subject,
        payload: json!(body).to_string(),
        deadline,
        not_before: None,
    }
}

/// Queue the reminders of the performance program that came due at `at`: each eNPS survey
/// that opened, to everyone it asks; two days before it closes, to those who have not
/// answered yet; each morning (from `morning` o'clock in the person's zone), each check-in due
/// within two days that is still a draft (and was not launched that day), to its person. Each
/// once, however many replicas scan.
pub async fn schedule_program_reminders(
    db: &Database,
    at: DateTime<Utc>,
    morning: u32,
) -> Result<u64> {
    let mut queued = 0;
    for (survey, opens_at, closes_at) in db.open_surveys(at).await? {
        let body = EmailJob {
            survey_id: Some(survey),
            ..EmailJob::default()
        };
        let mut steps = vec!["open"];
        if at >= closes_at - last_call() && at >= opens_at + chrono::Duration::hours(24) {
            steps.push("last-call");
        }
        for step in steps {
            let marker = format!("enps/{survey}/{step}");
            if db.setting(&marker).await?.is_some() {
                continue;
            }
            let jobs = db
                .survey_non_respondents(survey)
                .await?
                .into_iter()
                .map(|p| {
                    program_job(
                        p,
                        survey,
                        step,
                        body.clone(),
                        EmailKind::SurveyReminder,
                        closes_at,
                    )
                })
                .collect();
            queued += queue_once(db, marker, jobs).await?;
        }
    }
    for (zone, local) in mornings(db, at, morning).await? {
        let today = local.date_naive();
        let marker = format!("checkins/{today}/{}", zone.as_deref().unwrap_or("-"));
        if db.setting(&marker).await?.is_some() {
            continue;
        }
        let start_of_day = cadence::local_instant(local.timezone(), today.and_time(NaiveTime::MIN));
        let jobs = db
            .checkins_due(
                today,
                today + chrono::Duration::days(2),
                start_of_day,
                zone.clone(),
            )
            .await?
            .into_iter()
            .map(|(checkin, person)| {
                let body = EmailJob {
                    checkin_id: Some(checkin),
                    ..EmailJob::default()
                };
                program_job(
                    person,
                    checkin,
                    &format!("due/{today}"),
                    body,
                    EmailKind::CheckinReminder,
                    at + chrono::Duration::hours(20),
                )
            })
            .collect();
        queued += queue_once(db, marker, jobs).await?;
    }
    Ok(queued)
}

/// Signs and reads the one-click unsubscribe links. The key is derived from the server's
/// signing secret with a purpose of its own, so a link is never an access token and an access
/// token never a link.
#[derive(Clone)]
pub struct LinkKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for LinkKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKeys(..)")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: Uuid,
    kind: EmailKind,
    aud: String,
}

const LINK_AUDIENCE: &str = "oneonone-unsubscribe";

impl LinkKeys {
    pub fn new(server_secret: &[u8]) -> Self {
        let mut key = server_secret.to_vec();
        key.extend_from_slice(b"/unsubscribe-links");
        Self {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }

    /// The token of a link that turns `kind` off for `person`. It does not expire: an old
    /// email's link keeps working, as mail providers expect.
    pub fn token(&self, person: Uuid, kind: EmailKind) -> String {
        let claims = LinkClaims {
            sub: person,
            kind,
            aud: LINK_AUDIENCE.to_owned(),
        };
        // HS256 over a small struct cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// The person and kind of a link's token, if this server signed it.
    pub fn read(&self, token: &str) -> Option<(Uuid, EmailKind)> {
        let mut v = Validation::new(Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        v.set_audience(&[LINK_AUDIENCE]);
        let data = jsonwebtoken::decode::<LinkClaims>(token, &self.decoding, &v).ok()?;
        Some((data.claims.sub, data.claims.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_other_keys_are_refused() {
        let keys = LinkKeys::new(b"0123456789abcdef0123456789abcdef");
        let p = Uuid::now_v7();
        let t = keys.token(p, EmailKind::WeeklyDigest);
        assert_eq!(keys.read(&t), Some((p, EmailKind::WeeklyDigest)));
        let other = LinkKeys::new(b"another-secret-another-secret-xx");
        assert_eq!(other.read(&t), None);
        assert_eq!(keys.read("not-a-token"), None);
    }

    #[test]
    fn a_reminder_key_changes_with_the_start() {
        let (m, p) = (Uuid::now_v7(), Uuid::now_v7());
        let t = Utc::now();
        assert_eq!(reminder_key(m, t, p), reminder_key(m, t, p));
        assert_ne!(
            reminder_key(m, t, p),
            reminder_key(m, t + chrono::Duration::hours(1), p)
        );
        assert_ne!(reminder_key(m, t, p), reminder_key(m, t, Uuid::now_v7()));
    }
}
