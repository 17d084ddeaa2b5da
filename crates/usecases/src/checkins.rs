//! Check-ins: HR launches a cycle; each person in it and their manager fill in, submit, review
//! and acknowledge their check-in.
//!
//! A check-in's events reach its person and manager alone (the pair, as content): HR follows
//! completion through the cycle's counts, never content.

use chrono::NaiveDate;
use oneonone_domain::checkin::{
    Checkin, CheckinState, Cycle, CycleFrequency, GoalSnapshot, Population, Role, SelfAssessment,
    Step,
};
use oneonone_domain::policy::{self, Actor, ContentAccess};
use oneonone_domain::{Text, ValidationErrors};
use oneonone_persistence::checkins::NewCheckin;
use oneonone_persistence::goals::{GoalFilter, GoalReader};
use oneonone_persistence::{NewEvent, StoreError, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::meetings::record;
use crate::{Error, Precondition, Result};

/// A cycle as HR describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleDraft {
    pub name: String,
    pub frequency: CycleFrequency,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub population: Population,
}

/// The longest cycle name.
pub const NAME_MAX_CHARS: usize = 200;

fn checkin_event(kind: &'static str, c: &Checkin) -> NewEvent {
    NewEvent::new(kind, "checkin", c.id)
        .pair(c.manager_id, c.person_id)
        .content()
        .data(json!({"cycle_id": c.cycle_id, "state": c.state.as_str()}))
}

/// A subtree's population needs an active person at its root (422 `unknown_reference`).
pub(crate) async fn check_root(tx: &mut Tx<'_>, population: &Population) -> Result<()> {
    if let Population::Subtree(root) = population {
        match tx.get_person(*root).await {
            Ok(p) if p.active => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(Error::Refused {
                    code: "unknown_reference",
                    detail: "manager_id: no such active person".into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Launch a cycle: one draft check-in for every active person of the population who has a
/// manager, with that manager. Returns the cycle and how many check-ins it made.
pub async fn launch_cycle(
    tx: &mut Tx<'_>,
    actor: &Actor,
    draft: CycleDraft,
) -> Result<(Cycle, usize)> {
    policy::launch_checkins(actor)?;
    let me = actor
        .person_id()
        .ok_or_else(|| Error::from(policy::Denied("only HR admins launch check-in cycles")))?;
    let mut errors = ValidationErrors::default();
    let name = errors
        .check("name", Text::parse_line(&draft.name, NAME_MAX_CHARS))
        .map(Text::into_string);
    if draft.period_end < draft.period_start {
        errors.push("period_end", "must not be before period_start");
    }
    if draft.due_date < draft.period_start {
        errors.push("due_date", "must not be before period_start");
    }
    if let Population::Department(d) = &draft.population
        && d.trim().is_empty()
    {
        errors.push("department", "required for a department's cycle");
    }
    errors.into_result()?;
    check_root(tx, &draft.population).await?;
    let people = tx.population(&draft.population).await?;
    let cycle = Cycle {
        id: Uuid::now_v7(),
        name: name.unwrap_or_default(),
        frequency: draft.frequency,
        period_start: draft.period_start,
        period_end: draft.period_end,
        due_date: draft.due_date,
        population: draft.population,
        created_by: me,
        created_at: oneonone_persistence::now(),
    };
    let checkins: Vec<NewCheckin> = people
        .into_iter()
        .map(|(person_id, manager_id)| NewCheckin {
            id: Uuid::now_v7(),
            person_id,
            manager_id,
        })
        .collect();
    tx.launch_cycle(&cycle, &checkins).await?;
    let events: Vec<NewEvent> = checkins
        .iter()
        .map(|k| {
            NewEvent::new("checkin.created", "checkin", k.id)
                .pair(k.manager_id, k.person_id)
                .content()
                .data(json!({"cycle_id": cycle.id, "state": CheckinState::Draft.as_str()}))
        })
        .collect();
    record(tx, actor, &events).await?;
    Ok((cycle, checkins.len()))
}

/// The check-in and which side `actor` is on; 403 for HR admins and `reports:read` tokens
/// (they count check-ins, they do not read them), 404 for everyone else.
pub fn side_of(actor: &Actor, c: &Checkin) -> Result<Role> {
    match policy::checkin_content(actor, c.person_id, c.manager_id) {
        ContentAccess::Participant(id) => c.role_of(id).ok_or(Error::NotFound),
        ContentAccess::MetadataOnly => Err(policy::Denied(
            "a check-in belongs to its person and their manager; HR reads completion counts",
        )
        .into()),
        ContentAccess::Hidden => Err(Error::NotFound),
    }
}

/// What a change to a check-in's content carries: each field given is set (`Some(None)` clears).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckinEdit {
    pub assessment: Option<SelfAssessment>,
    pub manager_comment: Option<Option<String>>,
}

fn closed(what: &str, state: CheckinState) -> Error {
    Error::Conflict {
        code: "invalid_transition",
        detail: format!(
            "the check-in is {}: {what} no longer changes",
            state.as_str()
        ),
    }
}

/// Change a check-in's content: the person their self-assessment while it is a draft, the
/// manager their comment until they have reviewed it.
pub async fn edit(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    precondition: &Precondition,
    edit: CheckinEdit,
) -> Result<Checkin> {
    let current = tx.get_checkin(id).await?;
    let role = side_of(actor, &current)?;
    let mut next = current.clone();
    if let Some(assessment) = edit.assessment {
        if role != Role::Person {
            return Err(policy::Denied("the self-assessment is the person's to write").into());
        }
        if !current.editable_by(Role::Person) {
            return Err(closed("the self-assessment", current.state));
        }
        next.assessment = assessment.parse()?;
    }
    if let Some(comment) = edit.manager_comment {
        if role != Role::Manager {
            return Err(policy::Denied("the comment is the manager's to write").into());
        }
        if !current.editable_by(Role::Manager) {
            return Err(closed("the manager's comment", current.state));
        }
        next.manager_comment = match comment.filter(|c| !c.trim().is_empty()) {
            None => None,
            Some(c) => Some(
                Text::parse(&c, oneonone_domain::checkin::ANSWER_MAX_CHARS)
                    .map_err(|e| Error::invalid("manager_comment", e.to_string()))?
                    .into_string(),
            ),
        };
    }
    precondition.check(current.version)?;
    if next == current {
        return Ok(current);
    }
    next.version = current.version + 1;
    next.updated_at = oneonone_persistence::now();
    tx.update_checkin(&current, &next).await?;
    record(tx, actor, &[checkin_event("checkin.updated", &next)]).await?;
    Ok(next)
}

/// Move a check-in on: the person submits (their goals' progress is kept with it) and later
/// acknowledges; the manager reviews. Out of order is a 409; doing a step again changes
/// nothing.
pub async fn step(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    precondition: &Precondition,
    step: Step,
) -> Result<Checkin> {
    let current = tx.get_checkin(id).await?;
    let role = side_of(actor, &current)?;
    let (_, to, who) = step.rule();
    if role != who {
        return Err(policy::Denied(match who {
            Role::Person => "only the person submits and acknowledges their check-in",
            Role::Manager => "only the manager reviews a check-in",
        })
        .into());
    }
    let state = step.from(current.state).map_err(|detail| Error::Conflict {
        code: "invalid_transition",
        detail,
    })?;
    precondition.check(current.version)?;
    if current.state == to {
        return Ok(current);
    }
    let ts = oneonone_persistence::now();
    let mut next = Checkin {
        state,
        version: current.version + 1,
        updated_at: ts,
        ..current.clone()
    };
    match step {
        Step::Submit => {
            next.submitted_at = Some(ts);
            next.goals = goal_snapshot(tx, current.person_id).await?;
        }
        Step::Review => next.reviewed_at = Some(ts),
        Step::Acknowledge => next.acknowledged_at = Some(ts),
    }
    tx.update_checkin(&current, &next).await?;
    let kind = match step {
        Step::Submit => "checkin.submitted",
        Step::Review => "checkin.reviewed",
        Step::Acknowledge => "checkin.acknowledged",
    };
    record(tx, actor, &[checkin_event(kind, &next)]).await?;
    Ok(next)
}

/// The person's active goals as they stand (at most 100): what a submitted check-in keeps.
async fn goal_snapshot(tx: &mut Tx<'_>, person: Uuid) -> Result<Vec<GoalSnapshot>> {
    let goals = tx
        .list_goals(&GoalFilter {
            reader: GoalReader::All,
            owner_id: Some(person),
            team_of: None,
            status: None,
            parent_id: None,
            after: None,
            limit: 100,
        })
        .await?;
    Ok(goals
        .into_iter()
        .filter(|g| g.status.active())
        .map(|g| GoalSnapshot {
            goal_id: g.id,
            progress_percent: g.progress_percent(),
            title: g.title,
            status: g.status.as_str().to_owned(),
        })
        .collect())
}
