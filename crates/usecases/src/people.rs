//! People and the org chart: create, change, (de)activate, erase, set a password, import, and
//! the bootstrap admin.

use std::collections::HashSet;

use oneonone_domain::ValidationErrors;
use oneonone_domain::person::{Person, PersonDraft, PersonFields, PersonId};
use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::people::{HandOver, ImportOutcome, ImportRow, ImportRowResult};
use oneonone_persistence::{EventActor, NewEvent, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::{Error, Precondition, Result, by};

const PERSON: &str = "person";

/// The people a draft refers to must exist; each missing one is named by its field.
async fn check_references(tx: &mut Tx<'_>, draft: &PersonDraft) -> Result<()> {
    let mut ids: Vec<Uuid> = draft.secondary_manager_ids.clone();
    ids.extend(draft.manager_id);
    let missing: HashSet<Uuid> = tx.missing_people(&ids).await?.into_iter().collect();
    let mut errors = ValidationErrors::default();
    if draft.manager_id.is_some_and(|m| missing.contains(&m)) {
        errors.push("manager_id", "no such person");
    }
    if draft
        .secondary_manager_ids
        .iter()
        .any(|m| missing.contains(m))
    {
        errors.push("secondary_manager_ids", "no such person");
    }
    Ok(errors.into_result()?)
}

/// Refuse a change that would leave the organisation without an active HR admin. Decided in
/// the change's transaction, with the other admins' rows locked, so two requests cannot each
/// remove "another" admin.
async fn keep_an_hr_admin(tx: &mut Tx<'_>, current: &Person, draft: &PersonDraft) -> Result<()> {
    let loses_admin = current.hr_admin && current.active && !(draft.hr_admin && draft.active);
    if loses_admin && tx.other_active_hr_admins(current.id).await? == 0 {
        return Err(Error::Conflict {
            code: "last_hr_admin",
            detail: "this is the last active HR admin; make someone else HR admin first".into(),
        });
    }
    Ok(())
}

async fn created(tx: &mut Tx<'_>, actor: EventActor, person: &Person) -> Result<()> {
    tx.append_events(actor, &[NewEvent::new("person.created", PERSON, person.id)])
        .await?;
    Ok(())
}

/// The fields that differ between two versions of a person, by their API names.
fn changed_fields(before: &Person, after: &Person) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("email", before.email == after.email);
    check("display_name", before.display_name == after.display_name);
    check("title", before.title == after.title);
    check("department", before.department == after.department);
    check("manager_id", before.manager_id == after.manager_id);
    check(
        "secondary_manager_ids",
        before.secondary_manager_ids == after.secondary_manager_ids,
    );
    check("external_id", before.external_id == after.external_id);
    check("hr_admin", before.hr_admin == after.hr_admin);
    check("active", before.active == after.active);
    out
}

/// The event of a change to a person: what kind of change, and which fields (never values).
fn updated_event(before: &Person, after: &Person) -> NewEvent {
    let kind = match (before.active, after.active) {
        (true, false) => "person.deactivated",
        (false, true) => "person.reactivated",
        _ => "person.updated",
    };
    NewEvent::new(kind, PERSON, after.id).data(json!({
        "fields": changed_fields(before, after),
        "manager_changed": before.manager_id != after.manager_id,
    }))
}

/// A person who stops being active loses every session (access tokens issued so far end, the
/// API tokens they created are revoked: coming back revives none); one who stops being an HR
/// admin loses the API tokens they created. The events of the revoked tokens.
async fn end_sessions_if_gone(
    tx: &mut Tx<'_>,
    before: &Person,
    after: &Person,
) -> Result<Vec<NewEvent>> {
    let deactivated = before.active && !after.active;
    let demoted = before.hr_admin && !after.hr_admin;
    let revoked = if deactivated {
        tx.end_sessions(after.id, true).await?
    } else if demoted {
        tx.revoke_api_tokens_of(after.id).await?
    } else {
        Vec::new()
    };
    Ok(revoked_events(&revoked))
}

fn revoked_events(revoked: &[Uuid]) -> Vec<NewEvent> {
    revoked
        .iter()
        .map(|id| NewEvent::new("api_token.revoked", "api_token", *id).content())
        .collect()
}

/// End every access token of the signed-in person (all their devices): `POST
/// /me/sign-out-everywhere`.
pub async fn sign_out_everywhere(tx: &mut Tx<'_>, actor: &Actor) -> Result<()> {
    let Some(id) = actor.person_id() else {
        return Err(Error::Denied(policy::Denied("only a person signs out")));
    };
    tx.end_sessions(id, false).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("person.signed_out", PERSON, id).content()],
    )
    .await?;
    Ok(())
}

/// A report's manager changed: their 1:1 series follows, as the domain says, and the events
/// of it. The previous manager's private talking points and notes on the meetings handed over
/// stay theirs: they move to the latest meeting of the series the previous manager holds (held
/// with them, so still theirs to read), or stay put when they never held one.
async fn hand_over(
    tx: &mut Tx<'_>,
    report: Uuid,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> Result<Vec<NewEvent>> {
    let Some((from, to)) = oneonone_domain::meeting::series_hand_over(from, to) else {
        return Ok(Vec::new());
    };
    let handed = tx.hand_over_series(report, from, to).await?;
    let mut events = hand_over_events(&handed);
    // Open check-ins go to the new manager too (reviewed ones keep who reviewed them).
    for checkin in tx
        .move_open_checkins(report, from, to, oneonone_persistence::now())
        .await?
    {
        let data = json!({"manager_id": to, "previous_manager_id": from});
        events.push(
            NewEvent::new("checkin.updated", "checkin", checkin)
                .pair(to, report)
                .content()
                .data(data.clone()),
        );
        events.push(
            NewEvent::new("checkin.handed_over", "checkin", checkin)
                .pair(from, report)
                .content()
                .data(data),
        );
    }
    let meetings: Vec<Uuid> = handed
        .iter()
        .filter(|h| h.subject_type == "meeting")
        .map(|h| h.id)
        .collect();
    for meeting in tx.holding_private_content(&meetings, Some(from)).await? {
        if let Some(kept) = tx.latest_meeting_held_by(meeting, from).await? {
            let moved = tx.move_private_content(meeting, kept, Some(from)).await?;
            events.extend(crate::meetings::carried_events(from, report, &moved));
        }
    }
    Ok(events)
}

/// The events of 1:1 records a new manager took over: an update for the new pair, and for the
/// old pair a hand-over (the old manager's copy, fetched again, is gone for them: a 404).
fn hand_over_events(handed: &[HandOver]) -> Vec<NewEvent> {
    handed
        .iter()
        .flat_map(|h| {
            let (updated, handed) = match h.subject_type {
                "meeting" => ("meeting.updated", "meeting.handed_over"),
                _ => ("meeting_series.updated", "meeting_series.handed_over"),
            };
            let data = json!({"manager_id": h.to, "previous_manager_id": h.from});
            [
                NewEvent::new(handed, h.subject_type, h.id)
                    .pair(h.from, h.report)
                    .data(data.clone()),
                NewEvent::new(updated, h.subject_type, h.id)
                    .pair(h.to, h.report)
                    .data(data),
            ]
        })
        .collect()
}

async fn write_update(
    tx: &mut Tx<'_>,
    actor: EventActor,
    current: &Person,
    draft: &PersonDraft,
) -> Result<Person> {
    check_references(tx, draft).await?;
    keep_an_hr_admin(tx, current, draft).await?;
    let update = tx
        .update_person(current.id, Some(current.version), draft)
        .await?;
    let handed = hand_over(
        tx,
        current.id,
        update.before.manager_id,
        update.after.manager_id,
    )
    .await?;
    let mut events = vec![updated_event(&update.before, &update.after)];
    events.extend(handed);
    events.extend(end_sessions_if_gone(tx, &update.before, &update.after).await?);
    tx.append_events(actor, &events).await?;
    Ok(update.after)
}

/// Create a person: HR admins and `people:write` tokens.
pub async fn create(tx: &mut Tx<'_>, actor: &Actor, fields: PersonFields) -> Result<Person> {
    policy::manage_people(actor)?;
    let draft = PersonDraft::parse(&fields, None)?;
    if draft.hr_admin {
        policy::grant_hr_admin(actor)?;
    }
    check_references(tx, &draft).await?;
    let person = tx.insert_person(&draft, None).await?;
    created(tx, by(actor), &person).await?;
    Ok(person)
}

/// A change of a person's fields, applied to the current ones: the new fields and the names of
/// those it touches (the policy decides by them).
pub type Edit = Box<dyn FnOnce(PersonFields) -> Result<(PersonFields, Vec<&'static str>)> + Send>;

/// Change a person. Everyone may change their own `display_name` and `title`; HR admins and
/// `people:write` tokens anything. A body is validated before the precondition is checked (422
/// before 412, as RFC 9110 orders them).
pub async fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: PersonId,
    edit: Edit,
    precondition: &Precondition,
) -> Result<Person> {
    policy::read_directory(actor)?;
    let current = tx.person(id).await?;
    let (fields, touched) = edit(current.fields())?;
    policy::edit_person(actor, id, &touched)?;
    let draft = PersonDraft::parse(&fields, Some(id))?;
    if draft.hr_admin != current.hr_admin {
        policy::grant_hr_admin(actor)?;
    }
    precondition.check(current.version)?;
    if touched.is_empty() {
        return Ok(current);
    }
    write_update(tx, by(actor), &current, &draft).await
}

/// Deactivate (a leaver) or reactivate (a returner) a person: HR admins and `people:write`
/// tokens. Doing it twice changes nothing.
pub async fn set_active(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: PersonId,
    active: bool,
    precondition: &Precondition,
) -> Result<Person> {
    policy::read_directory(actor)?;
    let current = tx.person(id).await?;
    policy::manage_people(actor)?;
    precondition.check(current.version)?;
    if current.active == active {
        return Ok(current);
    }
    let mut fields = current.fields();
    fields.active = active;
    let draft = PersonDraft::parse(&fields, Some(id))?;
    write_update(tx, by(actor), &current, &draft).await
}

/// Erase a person for good, leaving a tombstone. Refused while anyone reports to them and for
/// the last active HR admin.
pub async fn erase(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: PersonId,
    precondition: &Precondition,
) -> Result<()> {
    policy::read_directory(actor)?;
    let current = tx.person(id).await?;
    policy::manage_people(actor)?;
    precondition.check(current.version)?;
    if tx.has_reports(id).await? {
        return Err(Error::Conflict {
            code: "has_reports",
            detail: "people still report to this person (directly or as a secondary manager); \
                     give them another manager first"
                .into(),
        });
    }
    let mut fields = current.fields();
    fields.active = false;
    fields.hr_admin = false;
    let draft = PersonDraft::parse(&fields, Some(id))?;
    keep_an_hr_admin(tx, &current, &draft).await?;
    tx.erase_person(id).await?;
    let revoked = tx.end_sessions(id, true).await?;
    let mut events = vec![NewEvent::new("person.erased", PERSON, id)];
    events.extend(revoked_events(&revoked));
    tx.append_events(by(actor), &events).await?;
    Ok(())
}

/// Set a person's password (already hashed by the caller): HR admins.
pub async fn set_password(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: PersonId,
    password_hash: &str,
) -> Result<()> {
    policy::read_directory(actor)?;
    tx.person(id).await?;
    policy::set_password(actor, id)?;
    tx.set_password_hash(id, password_hash).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("person.password_set", PERSON, id).content()],
    )
    .await?;
    Ok(())
}

/// Create or update many people at once (the nightly HR sync), all or nothing: when a row is
/// invalid nothing is written and the error lists every bad row's fields as `rows[i].field`.
pub async fn import(tx: &mut Tx<'_>, actor: &Actor, rows: &[ImportRow]) -> Result<ImportOutcome> {
    policy::manage_people(actor)?;
    import_as(tx, by(actor), rows).await
}

async fn import_as(
    tx: &mut Tx<'_>,
    actor: EventActor,
    rows: &[ImportRow],
) -> Result<ImportOutcome> {
    let outcome = tx.import_people(rows).await?;
    let mut handed = Vec::new();
    for change in &outcome.manager_changes {
        handed.extend(hand_over(tx, change.person, change.from, change.to).await?);
    }
    let mut revoked = Vec::new();
    for id in &outcome.deactivated {
        revoked.extend(tx.end_sessions(*id, true).await?);
    }
    if !outcome.applied {
        let mut errors = ValidationErrors::default();
        for (i, r) in outcome.rows.iter().enumerate() {
            if let ImportRowResult::Failed(e) = r {
                errors
                    .0
                    .extend(e.clone().prefixed(&format!("rows[{i}].")).0);
            }
        }
        return Err(Error::Invalid(errors));
    }
    let events: Vec<NewEvent> = outcome
        .rows
        .iter()
        .filter_map(|r| match r {
            ImportRowResult::Created(id) => Some(NewEvent::new("person.created", PERSON, *id)),
            ImportRowResult::Updated(id) => {
                Some(NewEvent::new("person.updated", PERSON, *id).data(json!({"source": "import"})))
            }
            _ => None,
        })
        .chain(handed)
        .chain(revoked_events(&revoked))
        .collect();
    tx.append_events(actor, &events).await?;
    Ok(outcome)
}

/// On a database with no active HR admin, make the person with this email one (creating them
/// if needed) with this password hash. Returns whether anything changed.
pub async fn bootstrap_admin(
    tx: &mut Tx<'_>,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> Result<bool> {
    if tx.other_active_hr_admins(Uuid::nil()).await? > 0 {
        return Ok(false);
    }
    let fields = PersonFields {
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        hr_admin: true,
        active: true,
        ..PersonFields::default()
    };
    let draft = PersonDraft::parse(&fields, None)?;
    let system = crate::SYSTEM;
    match tx.person_by_email(draft.email.normalized()).await? {
        Some(current) => {
            let mut fields = current.fields();
            fields.hr_admin = true;
            fields.active = true;
            let draft = PersonDraft::parse(&fields, Some(current.id))?;
            let update = tx.update_person(current.id, None, &draft).await?;
            tx.set_password_hash(current.id, password_hash).await?;
            tx.append_events(system, &[updated_event(&update.before, &update.after)])
                .await?;
        }
        None => {
            let person = tx.insert_person(&draft, Some(password_hash)).await?;
            created(tx, system, &person).await?;
        }
    }
    Ok(true)
}

/// The demo and benchmark seeds: the organisation as the system makes it (no policy; the
/// events name no actor).
pub mod seed {
    use super::*;

    /// Import people (as [`super::import`] does).
    pub async fn import(tx: &mut Tx<'_>, rows: &[ImportRow]) -> Result<ImportOutcome> {
        import_as(tx, crate::SYSTEM, rows).await
    }

    /// Make the person with this email an HR admin, and give them this password if they have
    /// none (`hash` is called only then).
    pub async fn login(
        tx: &mut Tx<'_>,
        email_normalized: &str,
        hr_admin: bool,
        hash: Option<String>,
    ) -> Result<Uuid> {
        let current = tx
            .person_by_email(email_normalized)
            .await?
            .ok_or(Error::NotFound)?;
        if hr_admin && !current.hr_admin {
            let mut fields = current.fields();
            fields.hr_admin = true;
            let draft = PersonDraft::parse(&fields, Some(current.id))?;
            let update = tx.update_person(current.id, None, &draft).await?;
            tx.append_events(
                crate::SYSTEM,
                &[updated_event(&update.before, &update.after)],
            )
            .await?;
        }
        if let Some(hash) = hash {
            tx.set_password_hash(current.id, &hash).await?;
        }
        Ok(current.id)
    }
}

/// Change one's own password (already checked against the current one and hashed).
pub async fn change_own_password(
    tx: &mut Tx<'_>,
    actor: &Actor,
    password_hash: &str,
) -> Result<()> {
    let Some(id) = actor.person_id() else {
        return Err(Error::Denied(policy::Denied(
            "only people have passwords; API tokens do not",
        )));
    };
    tx.set_password_hash(id, password_hash).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("person.password_changed", PERSON, id).content()],
    )
    .await?;
    Ok(())
}
