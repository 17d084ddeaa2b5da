//! Recording escalations and PIPs (HR admins), and removing one recorded in error. The events
//! name the record only; none is in the webhook or `/changes` catalogues.

use chrono::{NaiveDate, NaiveTime};
use oneonone_domain::escalation::{EscalationKind, MAX_EXTERNAL_REF, lookback};
use oneonone_domain::policy::{self, Actor, Denied};
use oneonone_persistence::escalations::NewEscalation;
use oneonone_persistence::{NewEvent, Tx, now};
use uuid::Uuid;

use crate::{Error, Result, by};

/// What HR records.
#[derive(Debug, Clone)]
pub struct Record {
    pub person_id: Uuid,
    pub kind: EscalationKind,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
}

/// Days before this are typing mistakes.
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");

fn event(kind: &'static str, id: Uuid) -> NewEvent {
    NewEvent::new(kind, "escalation", id).content()
}

pub async fn record(tx: &mut Tx<'_>, actor: &Actor, input: Record) -> Result<Uuid> {
    policy::record_escalation(actor)?;
    let Some(me) = actor.person_id() else {
        return Err(Error::Denied(Denied(
            "escalations are recorded by HR admins",
        )));
    };
    let at = now();
    if input.occurred_on > at.date_naive() {
        return Err(Error::invalid("occurred_on", "not a day in the future"));
    }
    if input.occurred_on < EARLIEST {
        return Err(Error::invalid("occurred_on", "not before 1970-01-01"));
    }
    if let Some(r) = &input.external_ref
        && (r.trim().is_empty()
            || r.chars().count() > MAX_EXTERNAL_REF
            || r.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "external_ref",
            format!("1 to {MAX_EXTERNAL_REF} characters, no control characters"),
        ));
    }
    match tx.get_person(input.person_id).await {
        // A deactivated person keeps their record: an escalation often ends in a departure.
        Ok(p) if p.deleted_at.is_none() => {}
        Ok(_) | Err(oneonone_persistence::StoreError::NotFound) => {
            return Err(Error::invalid("person_id", "no such person"));
        }
        Err(e) => return Err(e.into()),
    }
    let (from, until) = lookback(input.occurred_on);
    let id = Uuid::now_v7();
    tx.insert_escalation(&NewEscalation {
        id,
        person_id: input.person_id,
        kind: input.kind.as_str().to_owned(),
        occurred_on: input.occurred_on,
        external_ref: input.external_ref,
        recorded_by: me,
        window_start: from.and_time(NaiveTime::MIN).and_utc(),
        window_end: until.and_time(NaiveTime::MIN).and_utc(),
        created_at: at,
    })
    .await?;
    tx.append_events(by(actor), &[event("escalation.recorded", id)])
        .await?;
    Ok(id)
}

/// Remove a record made in error.
pub async fn remove(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<()> {
    policy::record_escalation(actor)?;
    if !tx.delete_escalation(id).await? {
        return Err(Error::NotFound);
    }
    tx.append_events(by(actor), &[event("escalation.removed", id)])
        .await?;
    Ok(())
}
