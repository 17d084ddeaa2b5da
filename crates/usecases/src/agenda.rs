//! The content of a 1:1 besides its creation: changing, removing and ordering talking points,
//! writing notes, changing action items. The caller has resolved the meeting and the acting
//! participant and checked the rules that need the current record; each function writes (with
//! the version it was given, so a concurrent change is a 412) and logs its events. A private
//! record's events are its author's alone.

use chrono::NaiveDate;
use oneonone_domain::action::{ActionItem, ActionStatus};
use oneonone_domain::agenda::AgendaItem;
use oneonone_domain::meeting::Meeting;
use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::Tx;
use oneonone_persistence::agenda::{ItemUpdate, Note};
use serde_json::json;
use uuid::Uuid;

use crate::meetings::{content_event, record};
use crate::{Precondition, Result};

/// Change a talking point (text, category, privacy, checked) as participant `viewer`: the rules
/// of who changes what are `policy::edit_agenda_item`'s; `fields` are the ones that differ from
/// `current` (none: nothing is written).
#[allow(clippy::too_many_arguments)]
pub async fn update_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    viewer: Uuid,
    current: AgendaItem,
    update: &ItemUpdate,
    fields: &[&str],
    precondition: &Precondition,
) -> Result<AgendaItem> {
    policy::edit_agenda_item(viewer, current.author_id, fields)?;
    precondition.check(current.version)?;
    if fields.is_empty() {
        return Ok(current);
    }
    let current = &current;
    let item = tx
        .update_agenda_item(current, current.version, update)
        .await?;
    // Private before or after: the author's alone (a point made shared shows up as new).
    let private = (current.private || item.private).then_some(item.author_id);
    let kind = if !current.checked && item.checked {
        "agenda_item.checked"
    } else {
        "agenda_item.updated"
    };
    let event = content_event(kind, "agenda_item", item.id, meeting, private)
        .data(json!({"meeting_id": meeting.id, "fields": fields}));
    record(tx, actor, &[event]).await?;
    Ok(item)
}

/// Remove a talking point, as participant `viewer` (its author alone may).
pub async fn remove_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    viewer: Uuid,
    current: &AgendaItem,
    precondition: &Precondition,
) -> Result<()> {
    policy::remove_agenda_item(viewer, current.author_id)?;
    precondition.check(current.version)?;
    tx.delete_agenda_item(current.id, current.version).await?;
    let private = current.private.then_some(current.author_id);
    let event = content_event(
        "agenda_item.removed",
        "agenda_item",
        current.id,
        meeting,
        private,
    );
    record(tx, actor, &[event]).await
}

/// Put talking points in this order; `items` are the listed items with their privacy and
/// author, so a private item's move is logged for its author alone.
pub async fn reorder(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    items: &[(Uuid, Option<Uuid>)],
) -> Result<()> {
    let ids: Vec<Uuid> = items.iter().map(|(id, _)| *id).collect();
    tx.reorder_agenda(meeting.id, &ids).await?;
    let events: Vec<_> = items
        .iter()
        .map(|(id, private)| {
            content_event("agenda_item.moved", "agenda_item", *id, meeting, *private)
        })
        .collect();
    record(tx, actor, &events).await
}

#[allow(clippy::too_many_arguments)]
/// Write the shared note, or `writer`'s private one (`owner_key`), if it is still at
/// `expected_version`.
pub async fn write_note(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    owner_key: &str,
    private: bool,
    body: &str,
    writer: Uuid,
    expected_version: Option<i64>,
) -> Result<Note> {
    let note = tx
        .put_note(meeting.id, owner_key, body, writer, expected_version)
        .await?;
    let (kind, private_to) = if private {
        ("note.private_written", Some(writer))
    } else {
        ("note.shared_written", None)
    };
    record(
        tx,
        actor,
        &[content_event(
            kind, "meeting", meeting.id, meeting, private_to,
        )],
    )
    .await?;
    Ok(note)
}

/// Change an action item: title, due date, status, owner.
pub async fn update_action(
    tx: &mut Tx<'_>,
    actor: &Actor,
    current: &ActionItem,
    title: &str,
    due_date: Option<NaiveDate>,
    status: ActionStatus,
    assignee: Uuid,
) -> Result<ActionItem> {
    let item = tx
        .update_action_item(current, title, due_date, status, assignee)
        .await?;
    let kind = match (current.status, item.status) {
        (ActionStatus::Open, ActionStatus::Done) => "action_item.done",
        (ActionStatus::Open, ActionStatus::Cancelled) => "action_item.cancelled",
        (s, ActionStatus::Open) if s != ActionStatus::Open => "action_item.reopened",
        _ => "action_item.updated",
    };
    let event = oneonone_persistence::NewEvent::new(kind, "action_item", item.id)
        .pair(item.manager_id, item.report_id)
        .content()
        .data(json!({
            "meeting_id": item.meeting_id,
            "status": item.status.as_str(),
            "assignee_id": item.assignee_id,
            "due_date": item.due_date,
        }));
    record(tx, actor, &[event]).await?;
    Ok(item)
}
