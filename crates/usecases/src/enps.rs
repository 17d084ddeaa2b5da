//! eNPS surveys: HR creates one for an audience; each person asked answers once while it is
//! open; at close the answers are cut into cells and every group's figures computed, once.
//!
//! No event, log line or idempotency record is written for an answer: each would tie a person
//! (or a moment) to it. A survey's own events (created, closed) carry counts only.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use oneonone_domain::checkin::Population;
use oneonone_domain::enps::{
    self, Answer, DEFAULT_QUESTION, Figures, GroupKey, Lines, MIN_GROUP_SIZE_CEILING,
    MIN_GROUP_SIZE_FLOOR, Phase, Position, Survey,
};
use oneonone_domain::policy::{self, Actor};
use oneonone_domain::{Text, ValidationErrors};
use oneonone_persistence::enps::{CutAnswer, NewResult};
use oneonone_persistence::{Database, NewEvent, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::meetings::record;
use crate::{Error, Result};

/// A survey as HR describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyDraft {
    pub name: String,
    /// [`DEFAULT_QUESTION`] when `None`.
    pub question: Option<String>,
    pub ask_expectations: bool,
    pub allow_comment: bool,
    pub audience: Population,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub baseline: bool,
    pub min_group_size: u32,
}

fn survey_event(kind: &'static str, s: &Survey, data: serde_json::Value) -> NewEvent {
    NewEvent::new(kind, "enps_survey", s.id).data(data)
}

/// Create a survey and ask everyone of its audience (active people, as they are now: their
/// department and manager are kept as they were at this moment).
pub async fn create_survey(
    tx: &mut Tx<'_>,
    actor: &Actor,
    draft: SurveyDraft,
) -> Result<(Survey, usize)> {
    policy::run_surveys(actor)?;
    let me = actor
        .person_id()
        .ok_or_else(|| Error::from(policy::Denied("only HR admins run eNPS surveys")))?;
    let now = oneonone_persistence::now();
    let mut errors = ValidationErrors::default();
    let name = errors
        .check("name", Text::parse_line(&draft.name, enps::NAME_MAX_CHARS))
        .map(Text::into_string);
    let question = match &draft.question {
        None => Some(DEFAULT_QUESTION.to_owned()),
        Some(q) => errors
            .check("question", Text::parse_line(q, enps::QUESTION_MAX_CHARS))
            .map(Text::into_string),
    };
    if draft.closes_at <= draft.opens_at {
        errors.push("closes_at", "must be after opens_at");
    } else if draft.closes_at <= now {
        errors.push("closes_at", "must be in the future");
    }
    if !(MIN_GROUP_SIZE_FLOOR..=MIN_GROUP_SIZE_CEILING).contains(&draft.min_group_size) {
        errors.push(
            "min_group_size",
            format!("must be from {MIN_GROUP_SIZE_FLOOR} to {MIN_GROUP_SIZE_CEILING}"),
        );
    }
    if let Population::Department(d) = &draft.audience
        && d.trim().is_empty()
    {
        errors.push("department", "required for a department's survey");
    }
    errors.into_result()?;
    crate::checkins::check_root(tx, &draft.audience).await?;
    let audience = tx.people_of(&draft.audience).await?;
    if audience.len() < draft.min_group_size as usize {
        return Err(Error::invalid(
            "population",
            format!(
                "the audience is {} people, fewer than min_group_size ({}): its results could never be shown",
                audience.len(),
                draft.min_group_size
            ),
        ));
    }
    let survey = Survey {
        id: Uuid::now_v7(),
        name: name.unwrap_or_default(),
        question: question.unwrap_or_default(),
        ask_expectations: draft.ask_expectations,
        allow_comment: draft.allow_comment,
        audience: draft.audience,
        opens_at: draft.opens_at,
        closes_at: draft.closes_at,
        baseline: draft.baseline,
        min_group_size: draft.min_group_size,
        created_by: me,
        created_at: now,
        finalized_at: None,
    };
    tx.create_survey(&survey, &audience).await?;
    record(
        tx,
        actor,
        &[survey_event(
            "enps_survey.created",
            &survey,
            json!({"audience": audience.len(), "opens_at": survey.opens_at, "closes_at": survey.closes_at}),
        )],
    )
    .await?;
    Ok((survey, audience.len()))
}

/// What a person sends: checked against the survey in [`answer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAnswer {
    pub score: i64,
    pub expectations: Option<i64>,
    pub comment: Option<String>,
}

/// Answer a survey, once, while it is open. Nothing of the answer comes back, ever.
pub async fn answer(tx: &mut Tx<'_>, actor: &Actor, id: Uuid, raw: RawAnswer) -> Result<()> {
    let me = actor.person_id().ok_or_else(|| {
        Error::from(policy::Denied(
            "surveys are answered by people, not integrations",
        ))
    })?;
    let survey = tx.hold_survey(id, false).await?;
    match tx.participation(id, me).await? {
        None => {
            return Err(policy::Denied("this survey did not ask you").into());
        }
        Some(true) => return Err(already()),
        Some(false) => {}
    }
    match survey.phase(oneonone_persistence::now()) {
        Phase::Scheduled => {
            return Err(Error::Conflict {
                code: "survey_not_open",
                detail: format!("the survey opens at {}", survey.opens_at.to_rfc3339()),
            });
        }
        Phase::Closed => {
            return Err(Error::Conflict {
                code: "survey_closed",
                detail: "the survey has closed".into(),
            });
        }
        Phase::Open => {}
    }
    let answer = Answer::parse(&survey, raw.score, raw.expectations, raw.comment.as_deref())?;
    let position = tx.mark_answered(id, me).await?.ok_or_else(already)?;
    tx.add_pending_answer(id, &position, &answer).await?;
    Ok(())
}

fn already() -> Error {
    Error::Conflict {
        code: "already_answered",
        detail: "you have answered this survey; an answer is given once and never shown again"
            .into(),
    }
}

/// Close a survey now (HR), or confirm it closed; its results are computed at once.
pub async fn close(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<Survey> {
    policy::run_surveys(actor)?;
    let survey = tx.hold_survey(id, true).await?;
    if survey.finalized_at.is_some() {
        return Ok(survey);
    }
    let now = oneonone_persistence::now();
    let closes_at = survey.closes_at.min(now);
    finalize(tx, actor, survey, closes_at, now).await
}

/// Compute a survey's results if it has closed and they are not there yet; `None` otherwise.
pub async fn finalize_if_due(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<Option<Survey>> {
    let survey = tx.hold_survey(id, true).await?;
    let now = oneonone_persistence::now();
    if survey.finalized_at.is_some() || now < survey.closes_at {
        return Ok(None);
    }
    let closes_at = survey.closes_at;
    finalize(tx, actor, survey, closes_at, now).await.map(Some)
}

/// Compute the results of every survey whose close has passed (each in its own change), then
/// let PostgreSQL reclaim the pending answers' space. Reads call it before they show a survey.
pub async fn finalize_due(db: &Database, actor: &Actor) -> Result<usize> {
    let now = oneonone_persistence::now();
    let mut done = 0;
    for id in db.surveys_to_finalize(now).await? {
        let who = actor.clone();
        let made = db
            .transact(move |tx| Box::pin(async move { finalize_if_due(tx, &who, id).await }))
            .await?;
        done += usize::from(made.is_some());
    }
    if done > 0
        && let Err(e) = db.vacuum_pending_answers().await
    {
        tracing::warn!(error = %e, "could not vacuum the pending eNPS answers");
    }
    Ok(done)
}

/// Cut the answers into cells, compute every group's figures, store them, delete the pending
/// answers.
async fn finalize(
    tx: &mut Tx<'_>,
    actor: &Actor,
    mut survey: Survey,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Survey> {
    let participants = tx.survey_participants(survey.id).await?;
    let pending = tx.pending_answers(survey.id).await?;
    let people = tx.reporting_lines().await?;
    let mut lines: Lines = HashMap::with_capacity(people.len());
    let mut names: HashMap<Uuid, String> = HashMap::with_capacity(people.len());
    for (id, manager, name) in people {
        if let Some(m) = manager {
            lines.insert(id, m);
        }
        names.insert(id, name);
    }
    // The audience's reporting lines as they were at launch.
    for (id, p) in &participants {
        match p.manager {
            Some(m) => lines.insert(*id, m),
            None => lines.remove(id),
        };
    }
    let audience: Vec<Position> = participants.into_iter().map(|(_, p)| p).collect();
    let positions: Vec<Position> = pending.iter().map(|(p, _)| p.clone()).collect();
    let k = survey.min_group_size as usize;
    let cut = enps::cut(k, &lines, &audience, &positions);

    let mut per_cell = vec![
        Figures {
            distribution: [0; 11],
            expectations: [0; 5],
        };
        cut.cell_sizes.len()
    ];
    let mut comments_per_cell = vec![0i32; cut.cell_sizes.len()];
    let mut answers: Vec<CutAnswer> = Vec::with_capacity(pending.len());
    for ((_, answer), cell) in pending.into_iter().zip(&cut.cell_of) {
        let f = &mut per_cell[*cell as usize];
        f.distribution[usize::from(answer.score.min(10))] += 1;
        if let Some(e) = answer.expectations {
            f.expectations[usize::from(e.clamp(1, 5) - 1)] += 1;
        }
        if answer.comment.is_some() {
            comments_per_cell[*cell as usize] += 1;
        }
        answers.push(CutAnswer {
            // Random keys, written in their order: no trace of the order of answering.
            id: Uuid::new_v4(),
            cell: i32::try_from(*cell).unwrap_or(i32::MAX),
            answer,
        });
    }
    answers.sort_by_key(|a| a.id);

    let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
    let results: Vec<NewResult> = cut
        .groups
        .iter()
        .map(|g| {
            let (kind, key) = g.key.parts();
            let label = match &g.key {
                GroupKey::Organisation => "Organisation".to_owned(),
                GroupKey::Department(d) => d.clone().unwrap_or_else(|| "No department".into()),
                GroupKey::Subtree(m) => names.get(m).cloned().unwrap_or_default(),
            };
            let figures = g.reportable.then(|| {
                let mut f = Figures {
                    distribution: [0; 11],
                    expectations: [0; 5],
                };
                for c in &g.cells {
                    let cf = &per_cell[*c as usize];
                    for i in 0..11 {
                        f.distribution[i] += cf.distribution[i];
                    }
                    for i in 0..5 {
                        f.expectations[i] += cf.expectations[i];
                    }
                }
                f
            });
            NewResult {
                kind,
                key,
                label,
                parent_id: g.parent,
                depth: i32::try_from(g.depth).unwrap_or(i32::MAX),
                audience: to_i32(g.audience),
                reportable: g.reportable,
                respondents: g.reportable.then_some(to_i32(g.respondents)),
                scores: figures
                    .as_ref()
                    .map(|f| serde_json::Value::from(f.distribution.to_vec()).to_string()),
                expectations: figures
                    .as_ref()
                    .filter(|_| survey.ask_expectations)
                    .map(|f| serde_json::Value::from(f.expectations.to_vec()).to_string()),
                comments: g
                    .reportable
                    .then(|| g.cells.iter().map(|c| comments_per_cell[*c as usize]).sum()),
                cells: g
                    .reportable
                    .then(|| serde_json::Value::from(g.cells.clone()).to_string()),
            }
        })
        .collect();
    tx.store_cut(survey.id, closes_at, now, &answers, &results)
        .await?;
    survey.closes_at = closes_at;
    survey.finalized_at = Some(now);
    let shown = results.iter().filter(|r| r.reportable).count();
    record(
        tx,
        actor,
        &[survey_event(
            "enps_survey.closed",
            &survey,
            json!({"groups_shown": shown}),
        )],
    )
    .await?;
    Ok(survey)
}
