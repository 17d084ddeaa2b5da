//! Goals: set one, change it, record its progress. The owner and their manager chain set and
//! update a person's goals; a goal's progress is derived from its key results, and every update
//! is kept in its history.
//!
//! Events carry ids, the status and the progress percentage, never titles or comments. A public
//! goal's events are the directory's (everyone's); a private goal's reach its owner and their
//! manager (the pair), never HR's or tokens' feeds — those read the goal itself.

use oneonone_domain::goal::{
    Goal, GoalDraft, GoalStatus, GoalUpdate, GoalVisibility, KeyResult, KeyResultReading, Reading,
    alignment_closes_cycle,
};
use oneonone_domain::policy::{self, Actor};
use oneonone_domain::{Text, ValidationErrors};
use oneonone_persistence::goals::GoalReader;
use oneonone_persistence::{NewEvent, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::meetings::record;
use crate::{Error, Precondition, Result};

/// Who may read which goals, as the store filters lists: HR admins and tokens with
/// `goals:read` all of them, a person those `policy::see_goal` shows them.
pub fn reader(actor: &Actor) -> Result<GoalReader> {
    if policy::see_all_goals(actor) {
        return Ok(GoalReader::All);
    }
    match actor.person_id() {
        Some(id) => Ok(GoalReader::Person(id)),
        None => Err(policy::Denied("reading goals needs the goals:read scope").into()),
    }
}

/// A goal with the manager chain of its owner (nearest first), as policy decisions need it.
#[derive(Debug, Clone)]
pub struct Owned {
    pub goal: Goal,
    pub chain: Vec<Uuid>,
}

/// The goal, if `actor` may see it (`chain`: its owner's managers); else not found (a private
/// goal does not exist for others).
pub fn check_visible(actor: &Actor, goal: Goal, chain: Vec<Uuid>) -> Result<Owned> {
    if !policy::see_goal(actor, goal.owner_id, &chain, goal.visibility) {
        return Err(Error::NotFound);
    }
    Ok(Owned { goal, chain })
}

/// A goal `actor` may see, or not found.
pub async fn visible_goal(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<Owned> {
    let goal = tx.get_goal(id).await?;
    let chain = tx.managers_of(goal.owner_id).await?;
    check_visible(actor, goal, chain)
}

/// Whether `actor` may see the goal `goal` aligns to (a client is shown its `parent_id` only
/// then).
pub async fn parent_visible(tx: &mut Tx<'_>, actor: &Actor, goal: &Goal) -> Result<bool> {
    let Some(parent) = goal.parent_id else {
        return Ok(false);
    };
    match visible_goal(tx, actor, parent).await {
        Ok(_) => Ok(true),
        Err(Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The event of a change to a goal: everyone's for a public goal, the owner's and their
/// manager's for a private one.
fn goal_event(kind: &'static str, g: &Owned) -> NewEvent {
    let event = NewEvent::new(kind, "goal", g.goal.id).data(json!({
        "owner_id": g.goal.owner_id,
        "status": g.goal.status.as_str(),
        "progress_percent": g.goal.progress_percent(),
    }));
    match (g.goal.visibility, g.chain.first()) {
        (GoalVisibility::Public, _) => event,
        (GoalVisibility::Private, Some(manager)) => event.pair(*manager, g.goal.owner_id).content(),
        (GoalVisibility::Private, None) => event.private_to(Some(g.goal.owner_id)),
    }
}

/// A parent goal to align under: one `actor` may see, else it is unknown (422, the same as one
/// that does not exist). `goal` is the goal being aligned (none for a new one): the parent must
/// not sit below it.
async fn check_parent(
    tx: &mut Tx<'_>,
    actor: &Actor,
    goal: Option<Uuid>,
    parent: Uuid,
) -> Result<()> {
    let unknown = || Error::Refused {
        code: "unknown_reference",
        detail: "parent_id: no such goal".into(),
    };
    match visible_goal(tx, actor, parent).await {
        Ok(_) => {}
        Err(Error::NotFound) => return Err(unknown()),
        Err(e) => return Err(e),
    }
    if let Some(goal) = goal {
        let ancestors = tx.goal_chain(parent).await?;
        if alignment_closes_cycle(goal, &ancestors) {
            return Err(Error::invalid(
                "parent_id",
                "this alignment would form a loop: the parent is aligned under this goal",
            ));
        }
    }
    Ok(())
}

/// The author of a goal change: a person (tokens read goals, they do not set them).
fn author(actor: &Actor) -> Result<Uuid> {
    actor
        .person_id()
        .ok_or_else(|| policy::Denied("goals are set and updated by people").into())
}

/// Set a goal for `owner` (the actor, or someone below them), aligned under `parent`.
pub async fn create_goal(
    tx: &mut Tx<'_>,
    actor: &Actor,
    owner: Uuid,
    parent: Option<Uuid>,
    draft: GoalDraft,
) -> Result<Goal> {
    let me = author(actor)?;
    draft.validate()?;
    let person = match tx.get_person(owner).await {
        Ok(p) if p.active => p,
        Ok(_) | Err(oneonone_persistence::StoreError::NotFound) => {
            return Err(Error::Refused {
                code: "unknown_reference",
                detail: "owner_id: no such active person".into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let chain = tx.managers_of(person.id).await?;
    policy::edit_goal(actor, owner, &chain)?;
    if let Some(p) = parent {
        check_parent(tx, actor, None, p).await?;
    }
    let ts = oneonone_persistence::now();
    let goal = Goal {
        id: Uuid::now_v7(),
        owner_id: owner,
        parent_id: parent,
        kind: draft.kind,
        title: draft.title,
        description: draft.description,
        start_date: draft.start_date,
        due_date: draft.due_date,
        visibility: draft.visibility,
        status: GoalStatus::OnTrack,
        key_results: draft
            .key_results
            .into_iter()
            .map(|(title, measure)| KeyResult {
                id: Uuid::now_v7(),
                title,
                measure,
            })
            .collect(),
        last_discussed_meeting_id: None,
        last_discussed_at: None,
        created_by: me,
        version: 1,
        created_at: ts,
        updated_at: ts,
    };
    let first = GoalUpdate {
        id: Uuid::now_v7(),
        goal_id: goal.id,
        author_id: me,
        status: goal.status,
        progress_percent: goal.progress_percent(),
        readings: goal.key_results.iter().map(KeyResultReading::of).collect(),
        comment: None,
        created_at: ts,
    };
    tx.insert_goal(&goal, &first).await?;
    let owned = Owned { goal, chain };
    record(tx, actor, &[goal_event("goal.created", &owned)]).await?;
    Ok(owned.goal)
}

/// The definition fields of a goal a change may set.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalChange {
    pub title: String,
    pub description: Option<String>,
    pub start_date: chrono::NaiveDate,
    pub due_date: chrono::NaiveDate,
    pub visibility: GoalVisibility,
    pub parent_id: Option<Uuid>,
}

/// Change a goal's definition: title, description, period, visibility, alignment.
pub async fn update_goal(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    precondition: &Precondition,
    change: GoalChange,
) -> Result<Goal> {
    let Owned {
        goal: current,
        chain,
    } = visible_goal(tx, actor, id).await?;
    policy::edit_goal(actor, current.owner_id, &chain)?;
    GoalDraft {
        title: change.title.clone(),
        description: change.description.clone(),
        kind: current.kind,
        start_date: change.start_date,
        due_date: change.due_date,
        visibility: change.visibility,
        key_results: current
            .key_results
            .iter()
            .map(|k| (k.title.clone(), k.measure.clone()))
            .collect(),
    }
    .validate()?;
    precondition.check(current.version)?;
    if let Some(p) = change.parent_id
        && change.parent_id != current.parent_id
    {
        check_parent(tx, actor, Some(current.id), p).await?;
    }
    let next = Goal {
        title: change.title,
        description: change.description,
        start_date: change.start_date,
        due_date: change.due_date,
        visibility: change.visibility,
        parent_id: change.parent_id,
        version: current.version + 1,
        updated_at: oneonone_persistence::now(),
        ..current.clone()
    };
    tx.update_goal(&current, &next).await?;
    let owned = Owned { goal: next, chain };
    record(tx, actor, &[goal_event("goal.updated", &owned)]).await?;
    Ok(owned.goal)
}

/// A progress update as a client sends it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    pub status: Option<GoalStatus>,
    /// New readings of key results, by id.
    pub readings: Vec<(Uuid, Reading)>,
    pub comment: Option<String>,
}

/// Record progress: new readings of key results, a status, a comment — at least one. The goal's
/// progress follows from the readings; the update joins its history.
pub async fn record_progress(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    precondition: &Precondition,
    progress: Progress,
) -> Result<(Goal, GoalUpdate)> {
    let me = author(actor)?;
    // Locked: two updates of one goal at once queue (each joins the history) rather than the
    // second failing as if its client had sent a stale If-Match.
    let goal = tx.lock_goal(id).await?;
    let chain = tx.managers_of(goal.owner_id).await?;
    let Owned {
        goal: current,
        chain,
    } = check_visible(actor, goal, chain)?;
    policy::edit_goal(actor, current.owner_id, &chain)?;
    let mut errors = ValidationErrors::default();
    if progress.status.is_none() && progress.readings.is_empty() && progress.comment.is_none() {
        errors.push("readings", "send new readings, a status or a comment");
    }
    let comment = match progress
        .comment
        .as_deref()
        .map(|c| Text::parse(c, oneonone_domain::goal::COMMENT_MAX_CHARS))
    {
        None => None,
        Some(Ok(c)) => Some(c.into_string()),
        Some(Err(e)) => {
            errors.push("comment", e.to_string());
            None
        }
    };
    let mut key_results = current.key_results.clone();
    let mut changed: Vec<Uuid> = Vec::new();
    for (i, (kr_id, reading)) in progress.readings.iter().enumerate() {
        let field = format!("readings[{i}]");
        if changed.contains(kr_id) {
            errors.push(
                format!("{field}.key_result_id"),
                "a key result may be read once per update",
            );
            continue;
        }
        let Some(kr) = key_results.iter_mut().find(|k| k.id == *kr_id) else {
            errors.push(
                format!("{field}.key_result_id"),
                "not a key result of this goal",
            );
            continue;
        };
        match kr.measure.at(*reading, &field) {
            Ok(m) => {
                kr.measure = m;
                changed.push(*kr_id);
            }
            Err(e) => errors.0.extend(e.0),
        }
    }
    errors.into_result()?;
    precondition.check(current.version)?;
    let ts = oneonone_persistence::now();
    let next = Goal {
        status: progress.status.unwrap_or(current.status),
        key_results,
        version: current.version + 1,
        updated_at: ts,
        ..current.clone()
    };
    let update = GoalUpdate {
        id: Uuid::now_v7(),
        goal_id: current.id,
        author_id: me,
        status: next.status,
        progress_percent: next.progress_percent(),
        readings: next
            .key_results
            .iter()
            .filter(|k| changed.contains(&k.id))
            .map(KeyResultReading::of)
            .collect(),
        comment,
        created_at: ts,
    };
    tx.record_goal_progress(&current, &next, &update).await?;
    let owned = Owned { goal: next, chain };
    record(tx, actor, &[goal_event("goal.progressed", &owned)]).await?;
    Ok((owned.goal, update))
}

/// The title of a goal a talking point by `author` in `meeting` may be about: a goal of one of
/// the two participants that the author may see — and, for a shared talking point, that the
/// other participant may see too (a shared point must not point at what they cannot read).
/// Anything else is the same 422 on `goal_id`, whether or not the goal exists.
pub async fn goal_for_talking_point(
    tx: &mut Tx<'_>,
    meeting: &oneonone_domain::meeting::Meeting,
    author: Uuid,
    goal: Uuid,
    private: bool,
) -> Result<String> {
    let unknown = || {
        Error::invalid(
            "goal_id",
            "no such goal of yours or the other participant's",
        )
    };
    let participants = meeting.participants();
    let as_person = |id: Uuid| Actor::Person {
        id,
        hr_admin: false,
    };
    let owned = match visible_goal(tx, &as_person(author), goal).await {
        Ok(o) if participants.contains(&o.goal.owner_id) => o,
        Ok(_) | Err(Error::NotFound) => return Err(unknown()),
        Err(e) => return Err(e),
    };
    let other = if participants[0] == author {
        participants[1]
    } else {
        participants[0]
    };
    if !private
        && !policy::see_goal(
            &as_person(other),
            owned.goal.owner_id,
            &owned.chain,
            owned.goal.visibility,
        )
    {
        return Err(Error::invalid(
            "goal_id",
            "the other participant cannot see this private goal: add the talking point as \
             private, or make the goal public",
        ));
    }
    Ok(owned.goal.title)
}
