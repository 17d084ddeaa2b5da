//! 1:1s: series and meetings, their talking points and action items.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::action::ActionItem;
use oneonone_domain::agenda::{AgendaCategory, AgendaItem, AgendaText};
use oneonone_domain::meeting::{Meeting, MeetingKind, MeetingSeries};
use oneonone_domain::policy::Actor;
use oneonone_persistence::library::Starter;
use oneonone_persistence::meetings::NewSeries;
use oneonone_persistence::{NewEvent, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::{Result, by};

/// Create a recurring 1:1 and its first upcoming meetings.
pub async fn create_series(
    tx: &mut Tx<'_>,
    actor: &Actor,
    new: &NewSeries,
) -> Result<MeetingSeries> {
    create_series_as(tx, by(actor), new).await
}

/// A series of the seeded history, made by the system.
pub async fn seed_series(tx: &mut Tx<'_>, new: &NewSeries) -> Result<MeetingSeries> {
    create_series_as(tx, crate::SYSTEM, new).await
}

async fn create_series_as(
    tx: &mut Tx<'_>,
    actor: oneonone_persistence::EventActor,
    new: &NewSeries,
) -> Result<MeetingSeries> {
    let series = tx.create_series(new).await?;
    tx.append_events(
        actor,
        &[
            NewEvent::new("meeting_series.created", "meeting_series", series.id)
                .pair(series.manager_id, series.report_id)
                .data(json!({"kind": series.kind.as_str()})),
        ],
    )
    .await?;
    Ok(series)
}

/// Create a one-off meeting.
pub async fn create_meeting(
    tx: &mut Tx<'_>,
    actor: &Actor,
    kind: MeetingKind,
    pair: [Uuid; 2],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<Meeting> {
    let meeting = tx
        .create_meeting(kind, pair[0], pair[1], starts_at, ends_at)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("meeting.created", "meeting", meeting.id)
            .pair(meeting.manager_id, meeting.report_id)
            .data(json!({"kind": kind.as_str(), "series_id": meeting.series_id}))],
    )
    .await?;
    Ok(meeting)
}

/// Add a talking point to a meeting's agenda. A private one, and its event, are its author's
/// alone.
#[allow(clippy::too_many_arguments)]
pub async fn add_agenda_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    author: Uuid,
    text: &AgendaText,
    category: AgendaCategory,
    private: bool,
    starter: Option<&Starter>,
) -> Result<AgendaItem> {
    let item = tx
        .add_agenda_item(meeting, author, text, category, private, starter)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("agenda_item.added", "agenda_item", item.id)
            .pair(meeting.manager_id, meeting.report_id)
            .content()
            .private_to(private.then_some(author))
            .data(json!({"meeting_id": meeting.id}))],
    )
    .await?;
    Ok(item)
}

/// Agree on an action item in a meeting.
pub async fn create_action_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    assignee: Uuid,
    created_by: Uuid,
    title: &str,
    due_date: Option<NaiveDate>,
) -> Result<ActionItem> {
    let item = tx
        .create_action_item(meeting, assignee, created_by, title, due_date)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("action_item.created", "action_item", item.id)
            .pair(meeting.manager_id, meeting.report_id)
            .content()
            .data(json!({"meeting_id": meeting.id, "assignee_id": assignee}))],
    )
    .await?;
    Ok(item)
}
