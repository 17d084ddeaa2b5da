//! Chat destinations: where Slack and Teams messages go. A person sets their own; a manager (or
//! HR for them) sets their team's. The address is a secret the server posts to; the event of a
//! change carries neither it nor its hint.

use oneonone_domain::chat::{Audience, MAX_PER_PERSON};
use oneonone_domain::policy::{self, Actor, Denied};
use oneonone_persistence::chat::{ChatFields, ChatRecord};
use oneonone_persistence::{NewEvent, Tx};
use uuid::Uuid;

use crate::{Error, Result, by};

/// The channel of chat jobs.
pub const CHANNEL: &str = "chat";

fn event(kind: &'static str, id: Uuid) -> NewEvent {
    NewEvent::new(kind, "chat_destination", id).content()
}

fn audience(record: &ChatRecord) -> Audience {
    record
        .audience
        .parse::<Audience>()
        .ok()
        .unwrap_or(Audience::Person)
}

/// Who may read or change a stored destination: as [`policy::manage_chat`].
pub fn may_manage(actor: &Actor, record: &ChatRecord) -> bool {
    policy::manage_chat(actor, audience(record), record.person_id).is_ok()
}

pub async fn create(tx: &mut Tx<'_>, actor: &Actor, fields: ChatFields) -> Result<ChatRecord> {
    let aud = fields
        .audience
        .parse::<Audience>()
        .ok()
        .ok_or_else(|| Error::invalid("audience", "person or team"))?;
    policy::manage_chat(actor, aud, fields.person_id)?;
    let Some(me) = actor.person_id() else {
        return Err(Error::Denied(Denied("chat destinations are set by people")));
    };
    let owner = match tx.get_person(fields.person_id).await {
        Ok(p) => p,
        Err(oneonone_persistence::StoreError::NotFound) => {
            return Err(Error::invalid("person_id", "no such person"));
        }
        Err(e) => return Err(e.into()),
    };
    if !owner.active || owner.deleted_at.is_some() {
        return Err(Error::invalid("person_id", "this person is deactivated"));
    }
    if tx
        .count_chat_destinations(fields.person_id, fields.audience.clone())
        .await?
        >= MAX_PER_PERSON
    {
        return Err(Error::Refused {
            code: "too_many_destinations",
            detail: format!(
                "at most {MAX_PER_PERSON} chat destinations of one audience per person; delete one first"
            ),
        });
    }
    let record = tx.create_chat_destination(&fields, me).await?;
    tx.append_events(by(actor), &[event("chat_destination.created", record.id)])
        .await?;
    Ok(record)
}

/// Store `fields` (everything but whose and which audience) if the destination is still at
/// `expected`.
pub async fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    expected: i64,
    fields: ChatFields,
) -> Result<ChatRecord> {
    let current = tx.get_chat_destination(id).await?;
    if !may_manage(actor, &current) {
        return Err(Error::NotFound);
    }
    let record = tx.update_chat_destination(id, expected, &fields).await?;
    tx.append_events(by(actor), &[event("chat_destination.updated", id)])
        .await?;
    Ok(record)
}

pub async fn delete(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<()> {
    let current = tx.get_chat_destination(id).await?;
    if !may_manage(actor, &current) {
        return Err(Error::NotFound);
    }
    tx.delete_chat_destination(id).await?;
    tx.append_events(by(actor), &[event("chat_destination.deleted", id)])
        .await?;
    Ok(())
}
