//! Goals: `/goals`, `/goals/{id}`, `/goals/{id}/updates`.
//!
//! A public goal is everyone's to read; a private one its owner's, their manager chain's, HR
//! admins' and `goals:read` tokens' (404 for anyone else). The owner and their manager chain
//! set and update goals.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::goal::{
    self as domain, Goal, GoalDraft, GoalKind, GoalStatus, GoalUpdate, GoalVisibility, Measure,
    Reading,
};
use oneonone_domain::{Actor, ValidationErrors};
use oneonone_persistence::goals::{GoalFilter, GoalSummary, KnownGoal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, AuthPending, AuthReads};
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{create_once, reply};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::{AppState, KnownHistory, SharedJson};
use oneonone_usecases as usecases;

/// A serde and OpenAPI mirror of a domain enum, converting both ways.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident as $schema:ident => $domain:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        #[schema(as = $schema)]
        pub enum $name { $($variant),+ }

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => $domain::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $($domain::$variant => $name::$variant),+ }
            }
        }
    };
}

pub(crate) use mirror_enum;

mirror_enum!(
    /// `objective`: an objective with 1 to 10 key results (OKR); `smart`: a specific, measurable,
    /// time-bound target (exactly one key result, its target).
    Kind as GoalKind => GoalKind { Objective, Smart }
);
mirror_enum!(
    /// Where a goal stands, as its owner or a manager last said: `on_track`, `at_risk`,
    /// `off_track` (active), `done`, `dropped`.
    Status as GoalStatus => GoalStatus { OnTrack, AtRisk, OffTrack, Done, Dropped }
);
mirror_enum!(
    /// `private`: the owner, their manager chain, HR admins and `goals:read` tokens;
    /// `public`: everyone in the organisation.
    Visibility as GoalVisibility => GoalVisibility { Private, Public }
);

/// How a key result is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = KeyResultMeasure)]
pub enum MeasureKind {
    /// From `start` toward `target` (up or down), now at `current`, in `unit`.
    Numeric,
    /// Done or not (`done`).
    Milestone,
}

/// A key result to set: numeric (`start`, `target`, optional `current` — the start by
/// default — and `unit`) or a milestone (optional `done`, false by default).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Weekly active users", "measure": "numeric", "start": 1200, "target": 2000, "unit": "users"}))]
pub struct KeyResultIn {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    pub measure: MeasureKind,
    pub start: Option<f64>,
    pub target: Option<f64>,
    pub current: Option<f64>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 24
    )]
    pub unit: Option<String>,
    pub done: Option<bool>,
}

impl KeyResultIn {
    /// The domain's measure, naming each wrong field under `field`.
    fn measure(&self, field: &str) -> Result<Measure, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut refuse = |name: &str, present: bool, why: &str| {
            if present {
                errors.push(format!("{field}.{name}"), why.to_owned());
            }
        };
        match self.measure {
            MeasureKind::Numeric => {
                refuse(
                    "done",
                    self.done.is_some(),
                    "a numeric key result has no `done`",
                );
                let (Some(start), Some(target), Some(unit)) = (self.start, self.target, &self.unit)
                else {
                    for (name, missing) in [
                        ("start", self.start.is_none()),
                        ("target", self.target.is_none()),
                        ("unit", self.unit.is_none()),
                    ] {
                        refuse(name, missing, "required for a numeric key result");
                    }
                    return Err(errors);
                };
                errors.into_result()?;
                Measure::numeric(start, target, self.current.unwrap_or(start), unit, field)
            }
            MeasureKind::Milestone => {
                for (name, present) in [
                    ("start", self.start.is_some()),
                    ("target", self.target.is_some()),
                    ("current", self.current.is_some()),
                    ("unit", self.unit.is_some()),
                ] {
                    refuse(
                        name,
                        present,
                        "a milestone is done or not: send `done` only",
                    );
                }
                errors.into_result()?;
                Ok(Measure::Milestone {
                    done: self.done.unwrap_or(false),
                })
            }
        }
    }
}

/// A new goal.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Grow the mobile app's active users",
    "kind": "objective",
    "start_date": "2027-01-01",
    "due_date": "2027-03-31",
    "visibility": "public",
    "key_results": [
        {"title": "Weekly active users", "measure": "numeric", "start": 1200, "target": 2000, "unit": "users"},
        {"title": "Ship offline mode", "measure": "milestone"}
    ]
}))]
pub struct GoalIn {
    /// Whose goal it is: you (the default) or someone in your reporting subtree.
    pub owner_id: Option<Uuid>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    pub kind: Kind,
    /// The goal it aligns to (company → team → person); one you can see.
    pub parent_id: Option<Uuid>,
    pub start_date: NaiveDate,
    /// On or after `start_date`.
    pub due_date: NaiveDate,
    /// `private` by default.
    pub visibility: Option<Visibility>,
    /// 1 to 10 for an objective; exactly one (the target) for a SMART goal.
    #[schema(min_items = 1, max_items = 10)]
    pub key_results: Vec<KeyResultIn>,
}

/// A key result (or a SMART goal's target) and how far along it is.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyResultOut {
    pub id: Uuid,
    pub title: String,
    pub measure: MeasureKind,
    /// Numeric key results: where it started, where it is going, where it is, in `unit`.
    pub start: Option<f64>,
    pub target: Option<f64>,
    pub current: Option<f64>,
    pub unit: Option<String>,
    /// Milestones: done or not.
    pub done: Option<bool>,
    /// 0 to 100, rounded down: the share of the way from start to target.
    pub progress_percent: u8,
}

impl From<&domain::KeyResult> for KeyResultOut {
    fn from(k: &domain::KeyResult) -> Self {
        let progress_percent = domain::progress_percent(std::slice::from_ref(k));
        let (measure, start, target, current, unit, done) = match &k.measure {
            Measure::Numeric {
                start,
                target,
                current,
                unit,
            } => (
                MeasureKind::Numeric,
                Some(*start),
                Some(*target),
                Some(*current),
                Some(unit.clone()),
                None,
            ),
            Measure::Milestone { done } => {
                (MeasureKind::Milestone, None, None, None, None, Some(*done))
            }
        };
        Self {
            id: k.id,
            title: k.title.clone(),
            measure,
            start,
            target,
            current,
            unit,
            done,
            progress_percent,
        }
    }
}

/// A goal.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e10",
    "owner_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "parent_id": null,
    "kind": "smart",
    "title": "Cut p99 checkout latency to 200 ms",
    "description": null,
    "start_date": "2027-01-01",
    "due_date": "2027-03-31",
    "visibility": "private",
    "status": "at_risk",
    "progress_percent": 50,
    "key_results": [{"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e11", "title": "p99 checkout latency",
        "measure": "numeric", "start": 800, "target": 200, "current": 500, "unit": "ms",
        "done": null, "progress_percent": 50}],
    "last_discussed_meeting_id": null,
    "last_discussed_at": null,
    "created_by": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "created_at": "2027-01-04T10:00:00Z",
    "updated_at": "2027-02-01T09:00:00Z"
}))]
pub struct GoalOut {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// The goal it aligns to; `null` when it aligns to none, or to one you may not see.
    pub parent_id: Option<Uuid>,
    pub kind: Kind,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub due_date: NaiveDate,
    pub visibility: Visibility,
    pub status: Status,
    /// 0 to 100, rounded down: the mean of the key results' progress. Derived, never set.
    pub progress_percent: u8,
    pub key_results: Vec<KeyResultOut>,
    /// The last 1:1 a talking point about this goal was discussed in.
    pub last_discussed_meeting_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub last_discussed_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl GoalOut {
    /// The goal as `parent_visible` lets the reader see its alignment.
    fn new(g: &Goal, parent_visible: bool) -> Self {
        Self {
            id: g.id,
            owner_id: g.owner_id,
            parent_id: g.parent_id.filter(|_| parent_visible),
            kind: g.kind.into(),
            title: g.title.clone(),
            description: g.description.clone(),
            start_date: g.start_date,
            due_date: g.due_date,
            visibility: g.visibility.into(),
            status: g.status.into(),
            progress_percent: g.progress_percent(),
            key_results: g.key_results.iter().map(Into::into).collect(),
            last_discussed_meeting_id: g.last_discussed_meeting_id,
            last_discussed_at: g.last_discussed_at,
            created_by: g.created_by,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// A goal in an alignment view.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalSummaryOut {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub due_date: NaiveDate,
    pub visibility: Visibility,
    pub status: Status,
    pub progress_percent: u8,
}

impl From<GoalSummary> for GoalSummaryOut {
    fn from(s: GoalSummary) -> Self {
        Self {
            id: s.id,
            owner_id: s.owner_id,
            title: s.title,
            due_date: s.due_date,
            visibility: s.visibility.into(),
            status: s.status.into(),
            progress_percent: s.progress_percent,
        }
    }
}

/// The latest entry of a goal's history, as a 1:1 shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastUpdateOut {
    pub author_id: Uuid,
    pub comment: Option<String>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
}

/// A participant's active goal on the meeting page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e10",
    "owner_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "title": "Cut p99 checkout latency to 200 ms",
    "status": "at_risk",
    "visibility": "private",
    "progress_percent": 50,
    "due_date": "2027-03-31",
    "last_discussed_meeting_id": null,
    "last_discussed_at": null,
    "last_update": {"author_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
        "comment": "The cache helped; the database is next.", "created_at": "2027-02-01T09:00:00Z"}
}))]
pub struct PairGoalOut {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub status: Status,
    pub visibility: Visibility,
    pub progress_percent: u8,
    pub due_date: NaiveDate,
    /// The last 1:1 a talking point about it was checked off in.
    pub last_discussed_meeting_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub last_discussed_at: Option<DateTime<Utc>>,
    pub last_update: Option<LastUpdateOut>,
}

impl From<oneonone_persistence::goals::PairGoal> for PairGoalOut {
    fn from(g: oneonone_persistence::goals::PairGoal) -> Self {
        Self {
            id: g.id,
            owner_id: g.owner_id,
            title: g.title,
            status: g.status.into(),
            visibility: g.visibility.into(),
            progress_percent: g.progress_percent,
            due_date: g.due_date,
            last_discussed_meeting_id: g.last_discussed_meeting_id,
            last_discussed_at: g.last_discussed_at,
            last_update: g.last_update.map(|u| LastUpdateOut {
                author_id: u.author_id,
                comment: u.comment,
                created_at: u.at,
            }),
        }
    }
}

/// A key result's reading in a progress update.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingOut {
    pub key_result_id: Uuid,
    /// The new value of a numeric key result.
    pub value: Option<f64>,
    /// A milestone: done or not.
    pub done: Option<bool>,
    /// The key result's progress after the update.
    pub progress_percent: u8,
}

/// One entry of a goal's history: who, when, the status and progress after it, what it read.
/// The first entry is the goal being set.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e20",
    "goal_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e10",
    "author_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "status": "at_risk",
    "progress_percent": 50,
    "readings": [{"key_result_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e11", "value": 500, "done": null, "progress_percent": 50}],
    "comment": "The cache helped; the database is next.",
    "created_at": "2027-02-01T09:00:00Z"
}))]
pub struct GoalUpdateOut {
    pub id: Uuid,
    pub goal_id: Uuid,
    pub author_id: Uuid,
    pub status: Status,
    /// The goal's progress after this update: chart these over `created_at`.
    pub progress_percent: u8,
    /// The key results this update read (all of them in the first entry).
    pub readings: Vec<ReadingOut>,
    pub comment: Option<String>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
}

impl From<GoalUpdate> for GoalUpdateOut {
    fn from(u: GoalUpdate) -> Self {
        Self {
            id: u.id,
            goal_id: u.goal_id,
            author_id: u.author_id,
            status: u.status.into(),
            progress_percent: u.progress_percent,
            readings: u
                .readings
                .into_iter()
                .map(|r| ReadingOut {
                    key_result_id: r.key_result_id,
                    value: r.value,
                    done: r.done,
                    progress_percent: r.progress_percent,
                })
                .collect(),
            comment: u.comment,
            created_at: u.created_at,
        }
    }
}

/// A goal with its history and alignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalDetail {
    #[serde(flatten)]
    pub goal: GoalOut,
    /// Every update, oldest first; the first is the goal being set.
    #[schema(value_type = Vec<GoalUpdateOut>)]
    pub history: SharedJson,
    /// The goals it aligns to that you may see, nearest first.
    pub parents: Vec<GoalSummaryOut>,
    /// The goals aligned directly to it that you may see.
    pub children: Vec<GoalSummaryOut>,
}

/// A page of goals.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalPage {
    pub data: Vec<GoalOut>,
    pub next_cursor: Option<String>,
}

/// A reading of one key result.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingIn {
    pub key_result_id: Uuid,
    /// A numeric key result's new value.
    pub value: Option<f64>,
    /// Whether a milestone is done.
    pub done: Option<bool>,
}

/// A progress update: new readings, a status, a comment — at least one.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "readings": [{"key_result_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e11", "value": 500}],
    "status": "at_risk",
    "comment": "The cache helped; the database is next."
}))]
pub struct ProgressIn {
    #[serde(default)]
    #[schema(max_items = 10)]
    pub readings: Vec<ReadingIn>,
    pub status: Option<Status>,
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// The answer to a progress update: the update and the goal after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressOut {
    pub update: GoalUpdateOut,
    pub goal: GoalOut,
}

/// The draft a create carries, every wrong field named.
fn draft_of(body: &GoalIn) -> Result<GoalDraft, ApiError> {
    let mut errors = ValidationErrors::default();
    let mut key_results = Vec::with_capacity(body.key_results.len());
    for (i, kr) in body.key_results.iter().enumerate() {
        match kr.measure(&format!("key_results[{i}]")) {
            Ok(m) => key_results.push((kr.title.clone(), m)),
            Err(e) => {
                errors.0.extend(e.0);
                // A stand-in keeps the positions (and the count) the draft checks right.
                key_results.push((kr.title.clone(), Measure::Milestone { done: false }));
            }
        }
    }
    let draft = GoalDraft {
        title: body.title.clone(),
        description: body.description.clone(),
        kind: body.kind.into(),
        start_date: body.start_date,
        due_date: body.due_date,
        visibility: body.visibility.unwrap_or(Visibility::Private).into(),
        key_results,
    };
    if let Err(e) = draft.validate() {
        errors.0.extend(e.0);
    }
    if errors.is_empty() {
        Ok(draft)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Set a goal for yourself or someone in your reporting subtree.
#[utoipa::path(tag = "goals", operation_id = "create_goal",
    params(crate::extract::IdempotencyKeyHeader), request_body = GoalIn,
    responses((status = 201, description = "Set.", body = GoalOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/goals")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<GoalIn>,
) -> ApiResult<HttpResponse> {
    let me = person_only(&actor)?;
    let draft = draft_of(&body.value)?;
    let owner = body.value.owner_id.unwrap_or(me);
    let parent = body.value.parent_id;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let goal = usecases::goals::create_goal(tx, &who, owner, parent, draft).await?;
            crate::idempotency::created(
                &GoalOut::new(&goal, true),
                format!("/api/v1/goals/{}", goal.id),
                Some(etag(goal.version)),
            )
        })
    })
    .await
}

fn person_only(actor: &Actor) -> ApiResult<Uuid> {
    actor
        .person_id()
        .ok_or_else(|| ApiError::Forbidden("goals are set and updated by people".into()))
}

/// Filters of `GET /goals`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GoalQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only this person's goals: `me` or a person id.
    pub owner_id: Option<String>,
    /// A team's goals: this person's (`me` or an id) and everyone's below them.
    pub team_of: Option<String>,
    pub status: Option<Status>,
    /// The goals aligned directly to this one.
    pub parent_id: Option<Uuid>,
}

fn me_or_id(raw: Option<&str>, me: Option<Uuid>, name: &str) -> ApiResult<Option<Uuid>> {
    let bad = || ApiError::BadRequest {
        code: "invalid_query",
        detail: format!("{name} must be `me` or a person id"),
    };
    match raw {
        None => Ok(None),
        Some("me") => me.map(Some).ok_or_else(bad),
        Some(id) => id.parse().map(Some).map_err(|_| bad()),
    }
}

/// The goals you may see, in the order they were set: e.g. `owner_id=me`, `team_of=me`,
/// `status=at_risk`, `parent_id=…` (a goal's children).
#[utoipa::path(tag = "goals", operation_id = "list_goals", params(GoalQuery),
    responses((status = 200, description = "A page of goals.", body = GoalPage)))]
#[get("/goals")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<GoalQuery>,
) -> ApiResult<HttpResponse> {
    let reader = usecases::goals::reader(&actor)?;
    let q = query.into_inner();
    let me = actor.person_id();
    let limit = pagination::limit(q.limit)?;
    let filter = GoalFilter {
        reader,
        owner_id: me_or_id(q.owner_id.as_deref(), me, "owner_id")?,
        team_of: me_or_id(q.team_of.as_deref(), me, "team_of")?,
        status: q.status.map(Into::into),
        parent_id: q.parent_id,
        after: pagination::after::<Uuid>(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = state.db.list_goals(&filter).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |g| g.id);
    // A parent the reader may not see stays hidden.
    let parents: Vec<Uuid> = rows.iter().filter_map(|g| g.parent_id).collect();
    let visible = visible_ids(&state, reader, &parents).await?;
    Ok(HttpResponse::Ok().json(GoalPage {
        data: rows
            .iter()
            .map(|g| GoalOut::new(g, g.parent_id.is_some_and(|p| visible.contains(&p))))
            .collect(),
        next_cursor,
    }))
}

/// Which of these goals `reader` may see.
async fn visible_ids(
    state: &AppState,
    reader: oneonone_persistence::goals::GoalReader,
    ids: &[Uuid],
) -> ApiResult<Vec<Uuid>> {
    if ids.is_empty() || reader == oneonone_persistence::goals::GoalReader::All {
        return Ok(ids.to_vec());
    }
    Ok(state.db.visible_goal_ids(reader, ids).await?)
}

/// Read a goal with its history (oldest first: chart `progress_percent` over `created_at`) and
/// its alignment: the goals it aligns to and those aligned to it, as far as you may see them.
#[utoipa::path(tag = "goals", operation_id = "read_goal", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The goal.", body = GoalDetail, headers(("ETag" = String)))))]
#[get("/goals/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    AuthPending(bearer, mut reads): AuthPending,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    // One statement for the goal, its history, its alignment and the principal's record that
    // authentication checks; nothing read is shown before the actor and the policy allow it.
    // The history is left out while this server holds it for the goal's current version.
    let id = id.into_inner();
    let known = state.goal_histories.get(&id);
    let page = reads
        .goal_page(id, bearer.person_id(), known.as_ref().map(|k| k.goal))
        .await?;
    let actor = bearer.into_actor(page.principal)?;
    let reader = usecases::goals::reader(&actor)?;
    let mut detail = page.detail.ok_or(ApiError::NotFound)?;
    if !page.parents_read && detail.goal.parent_id.is_some() {
        // Aligned since this server last read it.
        detail.parents = reads.goal_parents(id).await?;
    }
    // The owner's managers matter only for a private goal of someone else's.
    let owner = detail.goal.owner_id;
    let chain = if oneonone_domain::policy::see_goal(&actor, owner, &[], detail.goal.visibility) {
        Vec::new()
    } else {
        reads.managers_of(owner).await?
    };
    // Visible first: the alignment of a goal you may not see is not asked about.
    detail.goal = usecases::goals::check_visible(&actor, detail.goal, chain)?.goal;
    reads.hide_unseen_alignment(&mut detail, reader).await?;
    drop(reads);
    let oneonone_persistence::goals::GoalDetail {
        goal,
        history,
        parents,
        children,
    } = detail;
    let parent_visible = parents.first().map(|p| p.id) == goal.parent_id;
    let history = match known {
        Some(k) if k.goal.version == goal.version => k.history,
        _ => {
            let out: Vec<GoalUpdateOut> = history.into_iter().map(Into::into).collect();
            let json = SharedJson::new(&out).map_err(ApiError::internal)?;
            let goal = KnownGoal {
                version: goal.version,
                had_parent: goal.parent_id.is_some(),
            };
            let known = KnownHistory {
                goal,
                history: json.clone(),
            };
            state.goal_histories.insert(id, known);
            json
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(goal.version)))
        .json(GoalDetail {
            goal: GoalOut::new(&goal, parent_visible),
            history,
            parents: parents.into_iter().map(Into::into).collect(),
            children: children.into_iter().map(Into::into).collect(),
        }))
}

/// Changes to a goal's definition (JSON merge patch). Progress and status change through
/// `POST /goals/{id}/updates`, which keeps their history.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_date": "2027-04-30", "visibility": "public"}))]
pub struct GoalPatch {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub title: Option<String>,
    #[schema(nullable, max_length = 5000)]
    pub description: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub visibility: Option<Visibility>,
    /// Align to another goal (one you can see, not below this one), or `null` for none.
    #[schema(nullable)]
    pub parent_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct GoalFields {
    title: String,
    description: Option<String>,
    start_date: NaiveDate,
    due_date: NaiveDate,
    visibility: Visibility,
    parent_id: Option<Uuid>,
}

/// Change a goal's title, description, period, visibility or alignment: its owner and their
/// manager chain.
#[utoipa::path(tag = "goals", operation_id = "update_goal",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = GoalPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = GoalOut, headers(("ETag" = String)))))]
#[patch("/goals/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    AuthReads(actor, mut reads): AuthReads,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    person_only(&actor)?;
    let id = id.into_inner();
    // Visible first: a goal you may not see answers 404 whatever the body.
    let current = reads.get_goal(id).await?;
    let chain = reads.managers_of(current.owner_id).await?;
    let current = usecases::goals::check_visible(&actor, current, chain)?.goal;
    drop(reads);
    const FIELDS: [&str; 6] = [
        "title",
        "description",
        "start_date",
        "due_date",
        "visibility",
        "parent_id",
    ];
    let patch = body.into_inner().0;
    if let Some(unknown) = patch.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::validation(unknown, "unknown field"));
    }
    let fields: GoalFields = MergePatch(patch).apply(&GoalFields {
        title: current.title.clone(),
        description: current.description.clone(),
        start_date: current.start_date,
        due_date: current.due_date,
        visibility: current.visibility.into(),
        parent_id: current.parent_id,
    })?;
    let precondition = if_match.precondition();
    let who = actor.clone();
    let (goal, parent_visible) = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move {
            let goal = usecases::goals::update_goal(
                tx,
                &who,
                id,
                &precondition,
                usecases::goals::GoalChange {
                    title: fields.title,
                    description: fields.description,
                    start_date: fields.start_date,
                    due_date: fields.due_date,
                    visibility: fields.visibility.into(),
                    parent_id: fields.parent_id,
                },
            )
            .await?;
            let parent_visible = usecases::goals::parent_visible(tx, &who, &goal).await?;
            Ok((goal, parent_visible))
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(goal.version)))
        .json(GoalOut::new(&goal, parent_visible)))
}

/// Record progress on a goal: new readings of its key results, a status, a comment. The goal's
/// progress follows from the readings, and the update joins its history. The owner and their
/// manager chain.
#[utoipa::path(tag = "goals", operation_id = "record_goal_progress",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader, crate::extract::IdempotencyKeyHeader),
    request_body = ProgressIn,
    responses((status = 201, description = "Recorded.", body = ProgressOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/goals/{id}/updates")]
pub async fn record_progress(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<ProgressIn>,
) -> ApiResult<HttpResponse> {
    person_only(&actor)?;
    let id = id.into_inner();
    let mut errors = ValidationErrors::default();
    let mut readings = Vec::with_capacity(body.value.readings.len());
    for (i, r) in body.value.readings.iter().enumerate() {
        match (r.value, r.done) {
            (Some(v), None) => readings.push((r.key_result_id, Reading::Value(v))),
            (None, Some(d)) => readings.push((r.key_result_id, Reading::Done(d))),
            _ => errors.push(
                format!("readings[{i}]"),
                "send `value` (a numeric key result) or `done` (a milestone), not both",
            ),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let progress = usecases::goals::Progress {
        status: body.value.status.map(Into::into),
        readings,
        comment: body.value.comment.clone(),
    };
    let precondition = if_match.precondition();
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let (goal, entry) =
                usecases::goals::record_progress(tx, &who, id, &precondition, progress).await?;
            let parent_visible = usecases::goals::parent_visible(tx, &who, &goal).await?;
            reply(
                StatusCode::CREATED,
                &ProgressOut {
                    update: entry.into(),
                    goal: GoalOut::new(&goal, parent_visible),
                },
                Some(format!("/api/v1/goals/{}", goal.id)),
                Some(etag(goal.version)),
            )
        })
    })
    .await
}
