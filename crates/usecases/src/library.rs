//! The conversation-starter library and agenda templates, curated by HR admins. The library is
//! everyone's to read: its events are the directory's.

use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::library::{Starter, Template};
use oneonone_persistence::{NewEvent, Tx};

use serde_json::json;
use uuid::Uuid;

use crate::meetings::record;
use crate::{Error, Precondition, Result};

/// Add a conversation starter.
pub async fn create_starter(
    tx: &mut Tx<'_>,
    actor: &Actor,
    category: AgendaCategory,
    question: &str,
) -> Result<Starter> {
    let s = tx.create_starter(category, question).await?;
    let event = NewEvent::new("conversation_starter.created", "conversation_starter", s.id);
    record(tx, actor, &[event]).await?;
    Ok(s)
}

/// Change a starter, if it is still at `expected_version`.
pub async fn update_starter(
    tx: &mut Tx<'_>,
    actor: &Actor,
    current: &Starter,
    category: AgendaCategory,
    question: &str,
    active: bool,
) -> Result<Starter> {
    let s = tx
        .update_starter(current.id, current.version, category, question, active)
        .await?;
    let event = NewEvent::new("conversation_starter.updated", "conversation_starter", s.id);
    record(tx, actor, &[event]).await?;
    Ok(s)
}

/// Change a template, if it is still at `expected_version`.
pub async fn update_template(
    tx: &mut Tx<'_>,
    actor: &Actor,
    current: &Template,
    name: &str,
    items: &[(AgendaCategory, String)],
) -> Result<Template> {
    let t = tx
        .update_template(current.id, current.version, name, items)
        .await?;
    let event = template_event("agenda_template.updated", &t);
    record(tx, actor, &[event]).await?;
    Ok(t)
}

/// The event of a change to a template: the library's (everyone's) or its owner's alone.
fn template_event(kind: &'static str, t: &Template) -> NewEvent {
    NewEvent::new(kind, "agenda_template", t.id).private_to(t.owner_id)
}

/// A template `actor` may see, or not found (someone else's own template does not exist for
/// them).
pub async fn visible_template(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<Template> {
    let t = tx.get_template(id).await?;
    if !policy::see_template(actor, t.owner_id) {
        return Err(Error::NotFound);
    }
    Ok(t)
}

/// Make an agenda template: HR admins add to the shared library, everyone else makes their own.
pub async fn create_template(
    tx: &mut Tx<'_>,
    actor: &Actor,
    name: &str,
    items: &[(AgendaCategory, String)],
) -> Result<Template> {
    policy::read_library(actor)?;
    let owner = if actor.is_hr_admin() {
        None
    } else {
        actor.person_id()
    };
    let t = tx.create_template(owner, name, items).await?;
    record(tx, actor, &[template_event("agenda_template.created", &t)]).await?;
    Ok(t)
}

/// Delete a template (HR admins any, people their own). The series that started every meeting
/// with it stop doing so; agenda items it put on meetings stay.
pub async fn delete_template(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    precondition: &Precondition,
) -> Result<()> {
    policy::read_library(actor)?;
    let t = visible_template(tx, actor, id).await?;
    policy::edit_template(actor, t.owner_id)?;
    precondition.check(t.version)?;
    let detached = tx.delete_template(id, t.version).await?;
    let mut events = vec![template_event("agenda_template.deleted", &t)];
    events.extend(detached.into_iter().map(|(series, manager, report)| {
        NewEvent::new("meeting_series.updated", "meeting_series", series)
            .pair(manager, report)
            .data(json!({"agenda_template_id": null}))
    }));
    record(tx, actor, &events).await
}
