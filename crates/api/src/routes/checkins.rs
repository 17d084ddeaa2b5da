//! Check-ins: `/checkin-cycles` (HR) and `/checkins` (the person and their manager).
//!
//! A check-in is not a 1:1: it documents a period (a self-assessment, the goals' progress, the
//! manager's comment) and moves `draft → submitted → reviewed → acknowledged`. Its content is
//! its person's and their manager's; HR admins and `reports:read` tokens see completion
//! counts, never content (403 on a check-in); everyone else gets 404.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::{
    Checkin, CheckinState, Cycle, CycleFrequency, GoalSnapshot, Population, SelfAssessment, Step,
};
use oneonone_domain::policy;
use oneonone_persistence::checkins::{CheckinFilter, Completion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, AuthReads};
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

crate::routes::goals::mirror_enum!(
    /// `monthly` or `quarterly`.
    Frequency as CheckinFrequency => CycleFrequency { Monthly, Quarterly }
);
crate::routes::goals::mirror_enum!(
    /// `draft` (the person writes) → `submitted` (the manager comments) → `reviewed` →
    /// `acknowledged` (by the person).
    State as CheckinState => CheckinState { Draft, Submitted, Reviewed, Acknowledged }
);

/// Who a cycle (or a survey) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CheckinPopulation)]
pub enum PopulationKind {
    /// Every active person (for a check-in cycle: who has a manager).
    Everyone,
    /// Everyone in `department`.
    Department,
    /// Everyone below `manager_id`, at any depth.
    Subtree,
}

/// The population a body names: `department` goes with `department`, `manager_id` with
/// `subtree`, neither with `everyone`.
pub(crate) fn population_of(
    kind: PopulationKind,
    department: Option<&String>,
    manager_id: Option<Uuid>,
) -> ApiResult<Population> {
    match (kind, department, manager_id) {
        (PopulationKind::Everyone, None, None) => Ok(Population::Everyone),
        (PopulationKind::Department, Some(d), None) => Ok(Population::Department(d.clone())),
        (PopulationKind::Subtree, None, Some(m)) => Ok(Population::Subtree(m)),
        (PopulationKind::Department, _, _) => Err(ApiError::validation(
            "department",
            "a department's population names its department (and no manager_id)",
        )),
        (PopulationKind::Subtree, _, _) => Err(ApiError::validation(
            "manager_id",
            "a subtree's population names its manager (and no department)",
        )),
        (PopulationKind::Everyone, _, _) => Err(ApiError::validation(
            "population",
            "everyone takes neither department nor manager_id",
        )),
    }
}

/// The `population`, `department` and `manager_id` of a cycle or survey.
pub(crate) fn population_parts(p: Population) -> (PopulationKind, Option<String>, Option<Uuid>) {
    match p {
        Population::Everyone => (PopulationKind::Everyone, None, None),
        Population::Department(d) => (PopulationKind::Department, Some(d), None),
        Population::Subtree(m) => (PopulationKind::Subtree, None, Some(m)),
    }
}

/// A new check-in cycle.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Q1 2027 check-in", "frequency": "quarterly",
    "period_start": "2027-01-01", "period_end": "2027-03-31", "due_date": "2027-04-10",
    "population": "department", "department": "Engineering"}))]
pub struct CycleIn {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    pub frequency: Frequency,
    pub period_start: NaiveDate,
    /// On or after `period_start`.
    pub period_end: NaiveDate,
    /// On or after `period_start`.
    pub due_date: NaiveDate,
    pub population: PopulationKind,
    /// For `population: department`.
    #[schema(max_length = 200)]
    pub department: Option<String>,
    /// For `population: subtree`: the manager whose reports (at any depth) take part.
    pub manager_id: Option<Uuid>,
}

/// How far a cycle has come: check-ins per state. Counts, never content.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionOut {
    pub total: i64,
    pub draft: i64,
    pub submitted: i64,
    pub reviewed: i64,
    pub acknowledged: i64,
    /// Acknowledged ÷ total, 0 to 100 (rounded down); 0 for an empty cycle.
    pub completion_percent: i64,
}

impl From<Completion> for CompletionOut {
    fn from(c: Completion) -> Self {
        let total = c.draft + c.submitted + c.reviewed + c.acknowledged;
        Self {
            total,
            draft: c.draft,
            submitted: c.submitted,
            reviewed: c.reviewed,
            acknowledged: c.acknowledged,
            completion_percent: (c.acknowledged * 100).checked_div(total).unwrap_or(0),
        }
    }
}

/// A check-in cycle with its completion.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f00", "name": "Q1 2027 check-in",
    "frequency": "quarterly", "period_start": "2027-01-01", "period_end": "2027-03-31",
    "due_date": "2027-04-10", "population": "department", "department": "Engineering",
    "manager_id": null, "created_by": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "created_at": "2027-01-02T09:00:00Z",
    "completion": {"total": 14, "draft": 3, "submitted": 4, "reviewed": 2, "acknowledged": 5, "completion_percent": 35}}))]
pub struct CycleOut {
    pub id: Uuid,
    pub name: String,
    pub frequency: Frequency,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub population: PopulationKind,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    pub created_by: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    pub completion: CompletionOut,
}

impl CycleOut {
    fn new(c: Cycle, completion: Completion) -> Self {
        let (population, department, manager_id) = population_parts(c.population);
        Self {
            id: c.id,
            name: c.name,
            frequency: c.frequency.into(),
            period_start: c.period_start,
            period_end: c.period_end,
            due_date: c.due_date,
            population,
            department,
            manager_id,
            created_by: c.created_by,
            created_at: c.created_at,
            completion: completion.into(),
        }
    }
}

/// A page of cycles, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CyclePage {
    pub data: Vec<CycleOut>,
    pub next_cursor: Option<String>,
}

/// A goal as a submitted check-in keeps it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalSnapshotOut {
    pub goal_id: Uuid,
    pub title: String,
    pub status: String,
    pub progress_percent: u8,
}

impl From<GoalSnapshot> for GoalSnapshotOut {
    fn from(g: GoalSnapshot) -> Self {
        Self {
            goal_id: g.goal_id,
            title: g.title,
            status: g.status,
            progress_percent: g.progress_percent,
        }
    }
}

/// A check-in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f10",
    "cycle_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f00",
    "person_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001", "state": "submitted",
    "went_well": "Shipped the importer two weeks early.", "went_badly": null,
    "blockers": "Waiting on the data team's schema.", "next_focus": "Latency work.",
    "manager_comment": null,
    "goals": [{"goal_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e10", "title": "Cut p99 latency to 200 ms",
        "status": "at_risk", "progress_percent": 50}],
    "due_date": "2027-04-10", "submitted_at": "2027-04-03T16:00:00Z", "reviewed_at": null,
    "acknowledged_at": null, "created_at": "2027-01-02T09:00:00Z", "updated_at": "2027-04-03T16:00:00Z"}))]
pub struct CheckinOut {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub person_id: Uuid,
    pub manager_id: Uuid,
    pub state: State,
    pub went_well: Option<String>,
    pub went_badly: Option<String>,
    pub blockers: Option<String>,
    pub next_focus: Option<String>,
    pub manager_comment: Option<String>,
    /// The person's active goals at submission; empty before.
    pub goals: Vec<GoalSnapshotOut>,
    pub due_date: NaiveDate,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub reviewed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<Checkin> for CheckinOut {
    fn from(c: Checkin) -> Self {
        Self {
            id: c.id,
            cycle_id: c.cycle_id,
            person_id: c.person_id,
            manager_id: c.manager_id,
            state: c.state.into(),
            went_well: c.assessment.went_well,
            went_badly: c.assessment.went_badly,
            blockers: c.assessment.blockers,
            next_focus: c.assessment.next_focus,
            manager_comment: c.manager_comment,
            goals: c.goals.into_iter().map(Into::into).collect(),
            due_date: c.due_date,
            submitted_at: c.submitted_at,
            reviewed_at: c.reviewed_at,
            acknowledged_at: c.acknowledged_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A page of check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinPage {
    pub data: Vec<CheckinOut>,
    pub next_cursor: Option<String>,
}

fn checkin_response(c: Checkin) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(c.version)))
        .json(CheckinOut::from(c))
}

/// Launch a check-in cycle: every active person of the population who has a manager gets a
/// draft check-in with that manager. HR admins.
#[utoipa::path(tag = "check-ins", operation_id = "launch_checkin_cycle",
    params(crate::extract::IdempotencyKeyHeader), request_body = CycleIn,
    responses((status = 201, description = "Launched.", body = CycleOut, headers(("Location" = String)))))]
#[post("/checkin-cycles")]
pub async fn launch(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<CycleIn>,
) -> ApiResult<HttpResponse> {
    policy::launch_checkins(&actor)?;
    let b = &body.value;
    let population = population_of(b.population, b.department.as_ref(), b.manager_id)?;
    let draft = usecases::checkins::CycleDraft {
        name: b.name.clone(),
        frequency: b.frequency.into(),
        period_start: b.period_start,
        period_end: b.period_end,
        due_date: b.due_date,
        population,
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let (cycle, made) = usecases::checkins::launch_cycle(tx, &who, draft).await?;
            let id = cycle.id;
            let completion = Completion {
                draft: i64::try_from(made).unwrap_or(i64::MAX),
                ..Completion::default()
            };
            created(
                &CycleOut::new(cycle, completion),
                format!("/api/v1/checkin-cycles/{id}"),
                None,
            )
        })
    })
    .await
}

/// The check-in cycles, newest first, with their completion (counts only). HR admins and
/// `reports:read` tokens.
#[utoipa::path(tag = "check-ins", operation_id = "list_checkin_cycles", params(pagination::PageQuery),
    responses((status = 200, description = "A page of cycles.", body = CyclePage)))]
#[get("/checkin-cycles")]
pub async fn list_cycles(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<pagination::PageQuery>,
) -> ApiResult<HttpResponse> {
    policy::see_checkin_cycles(&actor)?;
    let limit = pagination::limit(query.limit)?;
    let before = pagination::after::<Uuid>(query.cursor.as_deref())?;
    let rows = state.db.list_cycles(before, limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |(c, _)| c.id);
    Ok(HttpResponse::Ok().json(CyclePage {
        data: rows.into_iter().map(|(c, n)| CycleOut::new(c, n)).collect(),
        next_cursor,
    }))
}

/// A check-in cycle with its completion: how many check-ins are in each state.
#[utoipa::path(tag = "check-ins", operation_id = "read_checkin_cycle", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The cycle.", body = CycleOut)))]
#[get("/checkin-cycles/{id}")]
pub async fn read_cycle(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::see_checkin_cycles(&actor)?;
    let (cycle, completion) = state.db.get_cycle(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(CycleOut::new(cycle, completion)))
}

/// Filters of `GET /checkins`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CheckinQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `me` (your own check-ins) or a person id (one of your reports').
    pub person: Option<String>,
    /// `me` (your team's check-ins) or a person id.
    pub manager: Option<String>,
    pub state: Option<State>,
    /// `true`: only those not yet acknowledged.
    pub open: Option<bool>,
    pub cycle_id: Option<Uuid>,
}

fn me_or_id(raw: Option<&str>, me: Uuid, name: &str) -> ApiResult<Option<Uuid>> {
    match raw {
        None => Ok(None),
        Some("me") => Ok(Some(me)),
        Some(id) => id.parse().map(Some).map_err(|_| ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{name} must be `me` or a person id"),
        }),
    }
}

/// Your check-ins and your team's: e.g. `person=me&open=true` (mine to do), `manager=me&state=submitted`
/// (mine to review).
#[utoipa::path(tag = "check-ins", operation_id = "list_checkins", params(CheckinQuery),
    responses((status = 200, description = "A page of check-ins.", body = CheckinPage)))]
#[get("/checkins")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<CheckinQuery>,
) -> ApiResult<HttpResponse> {
    let me = actor.person_id().ok_or_else(|| {
        ApiError::Forbidden(
            "check-ins belong to their person and manager; read cycle completion".into(),
        )
    })?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let filter = CheckinFilter {
        participant: me,
        person_id: me_or_id(q.person.as_deref(), me, "person")?,
        manager_id: me_or_id(q.manager.as_deref(), me, "manager")?,
        state: q.state.map(Into::into),
        open: q.open.unwrap_or(false),
        cycle_id: q.cycle_id,
        after: pagination::after::<Uuid>(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = state.db.list_checkins(&filter).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |c| c.id);
    Ok(HttpResponse::Ok().json(CheckinPage {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Read a check-in: its person and their manager.
#[utoipa::path(tag = "check-ins", operation_id = "read_checkin", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The check-in.", body = CheckinOut, headers(("ETag" = String)))))]
#[get("/checkins/{id}")]
pub async fn read(
    AuthReads(actor, mut reads): AuthReads,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let checkin = reads.get_checkin(id.into_inner()).await?;
    usecases::checkins::side_of(&actor, &checkin)?;
    Ok(checkin_response(checkin))
}

/// Changes to a check-in (JSON merge patch): the person's self-assessment while it is a draft,
/// the manager's comment until they review it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"went_well": "Shipped the importer two weeks early.", "blockers": null}))]
pub struct CheckinPatch {
    #[schema(nullable, max_length = 5000)]
    pub went_well: Option<String>,
    #[schema(nullable, max_length = 5000)]
    pub went_badly: Option<String>,
    #[schema(nullable, max_length = 5000)]
    pub blockers: Option<String>,
    #[schema(nullable, max_length = 5000)]
    pub next_focus: Option<String>,
    #[schema(nullable, max_length = 5000)]
    pub manager_comment: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct CheckinFields {
    went_well: Option<String>,
    went_badly: Option<String>,
    blockers: Option<String>,
    next_focus: Option<String>,
    manager_comment: Option<String>,
}

/// Write your part of a check-in.
#[utoipa::path(tag = "check-ins", operation_id = "update_checkin",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = CheckinPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = CheckinOut, headers(("ETag" = String))),
        (status = 409, description = "Your part no longer changes: the self-assessment once submitted, the comment once reviewed.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[patch("/checkins/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    AuthReads(actor, mut reads): AuthReads,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    // Visible first: a check-in you may not see answers the same whatever the body.
    let current = reads.get_checkin(id).await?;
    usecases::checkins::side_of(&actor, &current)?;
    drop(reads);
    const ASSESSMENT: [&str; 4] = ["went_well", "went_badly", "blockers", "next_focus"];
    let patch = body.into_inner().0;
    if let Some(unknown) = patch
        .keys()
        .find(|k| !ASSESSMENT.contains(&k.as_str()) && k.as_str() != "manager_comment")
    {
        return Err(ApiError::validation(unknown, "unknown field"));
    }
    let touches_assessment = patch.keys().any(|k| ASSESSMENT.contains(&k.as_str()));
    let touches_comment = patch.contains_key("manager_comment");
    let a = &current.assessment;
    let fields: CheckinFields = MergePatch(patch).apply(&CheckinFields {
        went_well: a.went_well.clone(),
        went_badly: a.went_badly.clone(),
        blockers: a.blockers.clone(),
        next_focus: a.next_focus.clone(),
        manager_comment: current.manager_comment.clone(),
    })?;
    let edit = usecases::checkins::CheckinEdit {
        assessment: touches_assessment.then_some(SelfAssessment {
            went_well: fields.went_well,
            went_badly: fields.went_badly,
            blockers: fields.blockers,
            next_focus: fields.next_focus,
        }),
        manager_comment: touches_comment.then_some(fields.manager_comment),
    };
    let precondition = if_match.precondition();
    let who = actor.clone();
    let checkin = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move { usecases::checkins::edit(tx, &who, id, &precondition, edit).await })
    })
    .await?;
    Ok(checkin_response(checkin))
}

async fn take(
    state: &AppState,
    actor: &oneonone_domain::Actor,
    id: Uuid,
    if_match: &IfMatch,
    step: Step,
) -> ApiResult<HttpResponse> {
    let precondition = if_match.precondition();
    let who = actor.clone();
    let checkin = crate::idempotency::change(state, move |tx| {
        Box::pin(async move { usecases::checkins::step(tx, &who, id, &precondition, step).await })
    })
    .await?;
    Ok(checkin_response(checkin))
}

/// Submit your check-in (draft → submitted): your self-assessment stops changing and your
/// active goals' progress is kept with it.
#[utoipa::path(tag = "check-ins", operation_id = "submit_checkin",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 200, description = "Submitted.", body = CheckinOut, headers(("ETag" = String))),
        (status = 409, description = "Only a draft is submitted.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/checkins/{id}/submit")]
pub async fn submit(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    take(&state, &actor, id.into_inner(), &if_match, Step::Submit).await
}

/// Review a report's submitted check-in (submitted → reviewed): your comment stops changing.
#[utoipa::path(tag = "check-ins", operation_id = "review_checkin",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 200, description = "Reviewed.", body = CheckinOut, headers(("ETag" = String))),
        (status = 409, description = "Only a submitted check-in is reviewed.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/checkins/{id}/review")]
pub async fn review(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    take(&state, &actor, id.into_inner(), &if_match, Step::Review).await
}

/// Acknowledge your manager's review (reviewed → acknowledged): the check-in is done.
#[utoipa::path(tag = "check-ins", operation_id = "acknowledge_checkin",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 200, description = "Acknowledged.", body = CheckinOut, headers(("ETag" = String))),
        (status = 409, description = "Only a reviewed check-in is acknowledged.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/checkins/{id}/acknowledge")]
pub async fn acknowledge(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    take(
        &state,
        &actor,
        id.into_inner(),
        &if_match,
        Step::Acknowledge,
    )
    .await
}
