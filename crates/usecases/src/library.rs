//! The conversation-starter library and agenda templates, curated by HR admins. The library is
//! everyone's to read: its events are the directory's.

use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::policy::Actor;
use oneonone_persistence::library::{Starter, Template};
use oneonone_persistence::{NewEvent, Tx};

use crate::Result;
use crate::meetings::record;

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
    let event = NewEvent::new("agenda_template.updated", "agenda_template", t.id);
    record(tx, actor, &[event]).await?;
    Ok(t)
}
