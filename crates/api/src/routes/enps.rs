//! eNPS surveys: `/enps-surveys` (HR creates and closes; everyone asked answers once) and their
//! results (HR and `reports:read` tokens for any group; a manager for their own subtree).
//!
//! Nobody reads an answer: not its author after sending it, not HR, not a token. Results are
//! published once the survey has closed, only for groups that are exactly a union of cells of
//! at least the survey's minimum group size (see `oneonone_domain::enps`).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use oneonone_domain::enps::{EXPECTATIONS_QUESTION, Figures, GroupKey, Phase, percent};
use oneonone_domain::policy::{self, ResultsScope};
use oneonone_persistence::enps::{ResultRow, SurveyStatus, TrendRow};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::idempotency::{create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::routes::checkins::{PopulationKind, population_of, population_parts};
use crate::state::AppState;
use oneonone_usecases as usecases;

crate::routes::goals::mirror_enum!(
    /// `scheduled` (not open yet), `open` (answers are taken), `closed` (results are out).
    Status as SurveyStatus => Phase { Scheduled, Open, Closed }
);

/// A new survey.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "eNPS, spring 2027", "population": "everyone",
    "opens_at": "2027-03-01T08:00:00Z", "closes_at": "2027-03-15T18:00:00Z",
    "ask_expectations": true, "allow_comment": true}))]
pub struct SurveyIn {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    /// Default: "How likely are you to recommend working here?" (answered 0–10).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 500
    )]
    pub question: Option<String>,
    /// Also ask "I know what is expected of me at work." (1–5; then every answer gives it).
    #[serde(default)]
    pub ask_expectations: bool,
    /// Answers may carry a comment (default true).
    #[serde(default = "yes")]
    pub allow_comment: bool,
    pub population: PopulationKind,
    /// For `population: department`.
    #[schema(max_length = 200)]
    pub department: Option<String>,
    /// For `population: subtree`: the manager whose reports (at any depth) are asked.
    pub manager_id: Option<Uuid>,
    pub opens_at: DateTime<Utc>,
    /// After `opens_at`, in the future.
    pub closes_at: DateTime<Utc>,
    /// The survey before a program launch: later results show their change against it.
    #[serde(default)]
    pub baseline: bool,
    /// The smallest group whose figures are shown (default 5, never below 3).
    #[schema(minimum = 3, maximum = 100)]
    pub min_group_size: Option<u32>,
}

fn yes() -> bool {
    true
}

/// Whether you were asked and have answered (never what).
#[derive(Debug, Serialize, ToSchema)]
pub struct YouOut {
    pub answered: bool,
}

/// A survey.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f40", "name": "eNPS, spring 2027",
    "question": "How likely are you to recommend working here?",
    "expectations_question": "I know what is expected of me at work.", "allow_comment": true,
    "population": "everyone", "department": null, "manager_id": null,
    "opens_at": "2027-03-01T08:00:00Z", "closes_at": "2027-03-15T18:00:00Z", "baseline": false,
    "min_group_size": 5, "status": "open", "audience": 120, "responses": 64,
    "response_rate_percent": 53, "you": {"answered": true},
    "created_by": "019a6a5e-8f5e-7cc0-9a53-000000000002", "created_at": "2027-02-20T09:00:00Z"}))]
pub struct SurveyOut {
    pub id: Uuid,
    pub name: String,
    pub question: String,
    /// The second question, if the survey asks it.
    pub expectations_question: Option<String>,
    pub allow_comment: bool,
    pub population: PopulationKind,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub opens_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub closes_at: DateTime<Utc>,
    pub baseline: bool,
    pub min_group_size: u32,
    pub status: Status,
    /// People asked (the audience as it was at creation).
    pub audience: i64,
    /// How many of them have answered.
    pub responses: i64,
    pub response_rate_percent: u32,
    /// `null` unless the survey asked you.
    pub you: Option<YouOut>,
    pub created_by: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

impl From<SurveyStatus> for SurveyOut {
    fn from(st: SurveyStatus) -> Self {
        let s = st.survey;
        let status = s.phase(oneonone_persistence::now()).into();
        let (population, department, manager_id) = population_parts(s.audience);
        Self {
            id: s.id,
            name: s.name,
            question: s.question,
            expectations_question: s.ask_expectations.then(|| EXPECTATIONS_QUESTION.to_owned()),
            allow_comment: s.allow_comment,
            population,
            department,
            manager_id,
            opens_at: s.opens_at,
            closes_at: s.closes_at,
            baseline: s.baseline,
            min_group_size: s.min_group_size,
            status,
            audience: st.audience,
            responses: st.responses,
            response_rate_percent: percent(count(st.responses), count(st.audience)),
            you: st.you.map(|answered| YouOut { answered }),
            created_by: s.created_by,
            created_at: s.created_at,
        }
    }
}

/// A page of surveys, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SurveyPage {
    pub data: Vec<SurveyOut>,
    pub next_cursor: Option<String>,
}

/// Create a survey: everyone active in the population (as it is now) is asked. HR admins.
#[utoipa::path(tag = "enps", operation_id = "create_enps_survey",
    params(crate::extract::IdempotencyKeyHeader), request_body = SurveyIn,
    responses((status = 201, description = "Created.", body = SurveyOut, headers(("Location" = String)))))]
#[post("/enps-surveys")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<SurveyIn>,
) -> ApiResult<HttpResponse> {
    policy::run_surveys(&actor)?;
    let b = &body.value;
    let draft = usecases::enps::SurveyDraft {
        name: b.name.clone(),
        question: b.question.clone(),
        ask_expectations: b.ask_expectations,
        allow_comment: b.allow_comment,
        audience: population_of(b.population, b.department.as_ref(), b.manager_id)?,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        baseline: b.baseline,
        min_group_size: b
            .min_group_size
            .unwrap_or(oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE),
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let (survey, asked) = usecases::enps::create_survey(tx, &who, draft).await?;
            let id = survey.id;
            let status = SurveyStatus {
                survey,
                audience: i64::try_from(asked).unwrap_or(i64::MAX),
                responses: 0,
                you: None,
            };
            created(
                &SurveyOut::from(status),
                format!("/api/v1/enps-surveys/{id}"),
                None,
            )
        })
    })
    .await
}

/// Compute the results of surveys whose close has passed (there is no job runner yet: the
/// first read after a close does it).
async fn settle(state: &AppState, actor: &oneonone_domain::Actor) -> ApiResult<()> {
    usecases::enps::finalize_due(&state.db, actor).await?;
    Ok(())
}

/// A survey, its results computed first if its close has passed.
async fn settled_survey(
    state: &AppState,
    actor: &oneonone_domain::Actor,
    id: Uuid,
) -> ApiResult<oneonone_domain::enps::Survey> {
    let survey = state.db.get_survey(id).await?;
    if !unsettled(&survey) {
        return Ok(survey);
    }
    settle(state, actor).await?;
    Ok(state.db.get_survey(id).await?)
}

/// A reader who is neither HR nor a manager of the group asked for (or has no team in it).
fn not_theirs() -> ApiError {
    policy::Denied("eNPS results are for HR and for managers about their own team").into()
}

fn unsettled(s: &oneonone_domain::enps::Survey) -> bool {
    s.finalized_at.is_none() && oneonone_persistence::now() >= s.closes_at
}

/// The surveys, newest first, with how many answered: HR admins and `reports:read` tokens see
/// all; everyone else sees all too, with `you` on those that asked them (`asked=me` for just
/// those).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SurveyQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `me`: only the surveys that asked you.
    pub asked: Option<String>,
}

/// List surveys.
#[utoipa::path(tag = "enps", operation_id = "list_enps_surveys", params(SurveyQuery),
    responses((status = 200, description = "A page of surveys.", body = SurveyPage)))]
#[get("/enps-surveys")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<SurveyQuery>,
) -> ApiResult<HttpResponse> {
    policy::see_surveys(&actor)?;
    let q = query.into_inner();
    let mine = match q.asked.as_deref() {
        None => false,
        Some("me") if actor.person_id().is_some() => true,
        Some(_) => {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: "asked takes `me` (and a person signed in)".into(),
            });
        }
    };
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let rows = state
        .db
        .list_surveys(actor.person_id(), mine, before, limit + 1)
        .await?;
    let rows = if rows.iter().any(|s| unsettled(&s.survey)) {
        settle(&state, &actor).await?;
        state
            .db
            .list_surveys(actor.person_id(), mine, before, limit + 1)
            .await?
    } else {
        rows
    };
    let (rows, next_cursor) = pagination::page(rows, limit, |s| s.survey.id);
    Ok(HttpResponse::Ok().json(SurveyPage {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Read a survey: what it asks, when, how many answered, and whether you have.
#[utoipa::path(tag = "enps", operation_id = "read_enps_survey", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The survey.", body = SurveyOut)))]
#[get("/enps-surveys/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::see_surveys(&actor)?;
    let id = id.into_inner();
    let mut status = state.db.survey_status(id, actor.person_id()).await?;
    if unsettled(&status.survey) {
        settle(&state, &actor).await?;
        status = state.db.survey_status(id, actor.person_id()).await?;
    }
    Ok(HttpResponse::Ok().json(SurveyOut::from(status)))
}

/// An answer. Sent once; never shown again, to anyone.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"score": 8, "expectations": 4, "comment": "More time for focused work, please."}))]
pub struct AnswerIn {
    /// 0 (not at all likely) to 10 (extremely likely).
    #[schema(minimum = 0, maximum = 10)]
    pub score: i64,
    /// 1 (strongly disagree) to 5 (strongly agree): required when the survey asks it, refused
    /// otherwise.
    #[schema(minimum = 1, maximum = 5)]
    pub expectations: Option<i64>,
    /// Where the survey allows comments.
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// Answer a survey that asked you, once, while it is open. The answer is stored apart from the
/// fact that you answered, with nothing that ties it to you; the response is empty, and no
/// request will ever return it. `Idempotency-Key` is not kept here (it would tie the request to
/// you): a retry of an answer that went through is a 409 `already_answered`.
#[utoipa::path(tag = "enps", operation_id = "answer_enps_survey", params(("id" = Uuid, Path)),
    request_body = AnswerIn,
    responses((status = 204, description = "Answered."),
        (status = 409, description = "`already_answered`, `survey_not_open` or `survey_closed`.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/enps-surveys/{id}/answers")]
pub async fn answer(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: JsonBody<AnswerIn>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let b = &body.value;
    let raw = usecases::enps::RawAnswer {
        score: b.score,
        expectations: b.expectations,
        comment: b.comment.clone(),
    };
    let who = actor.clone();
    crate::idempotency::change(&state, move |tx| {
        Box::pin(async move { usecases::enps::answer(tx, &who, id, raw).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Close a survey now (or confirm it is closed) and publish its results. HR admins.
#[utoipa::path(tag = "enps", operation_id = "close_enps_survey", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Closed; results are out.", body = SurveyOut)))]
#[post("/enps-surveys/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::run_surveys(&actor)?;
    let id = id.into_inner();
    let who = actor.clone();
    crate::idempotency::change(&state, move |tx| {
        Box::pin(async move { usecases::enps::close(tx, &who, id).await })
    })
    .await?;
    if let Err(e) = state.db.vacuum_pending_answers().await {
        tracing::warn!(error = %e, "could not vacuum the pending eNPS answers");
    }
    let status = state.db.survey_status(id, actor.person_id()).await?;
    Ok(HttpResponse::Ok().json(SurveyOut::from(status)))
}

/// Which group: the organisation (default for HR and tokens), a `department`, or the subtree of
/// `manager_id` (default for a manager: their own).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResultsQuery {
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
}

/// What a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    Organisation,
    Department,
    /// Everyone below `manager_id`, at any depth.
    Subtree,
}

/// A group's figures. `suppressed`: the group is smaller than the minimum group size, or
/// showing it would let someone subtract their way to a smaller one; then only `audience` is
/// given.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub kind: GroupKind,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    /// The department, or the manager's name.
    pub label: String,
    /// People asked in this group.
    pub audience: i64,
    pub suppressed: bool,
    pub respondents: Option<i64>,
    pub response_rate_percent: Option<u32>,
    /// % promoters (9–10) − % detractors (0–6), −100 to 100.
    pub enps: Option<i32>,
    pub promoters_percent: Option<u32>,
    pub passives_percent: Option<u32>,
    pub detractors_percent: Option<u32>,
    /// How many answered 0, 1, … 10.
    pub distribution: Option<Vec<u32>>,
    /// The second question's mean (1–5, two decimals), if asked.
    pub expectations_mean: Option<f64>,
    /// How many answered 1, … 5 to the second question, if asked.
    pub expectations_distribution: Option<Vec<u32>>,
    /// How many answers carry a comment (read them at `/comments`).
    pub comments: Option<i64>,
}

/// A closed survey's eNPS for the same group.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendOut {
    pub survey_id: Uuid,
    pub name: String,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub closes_at: DateTime<Utc>,
    pub baseline: bool,
    pub suppressed: bool,
    pub enps: Option<i32>,
    pub response_rate_percent: Option<u32>,
}

/// The change against the baseline survey (the latest one marked `baseline` that closed
/// before this one), for the same group.
#[derive(Debug, Serialize, ToSchema)]
pub struct BaselineOut {
    pub survey_id: Uuid,
    pub name: String,
    pub enps: i32,
    /// This survey's eNPS minus the baseline's.
    pub change: i32,
}

/// A survey's results for one group, with its breakdown, comments and trend.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"survey_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f40", "status": "closed",
    "published": true, "min_group_size": 5,
    "group": {"kind": "organisation", "department": null, "manager_id": null, "label": "Organisation",
        "audience": 120, "suppressed": false, "respondents": 96, "response_rate_percent": 80,
        "enps": 21, "promoters_percent": 42, "passives_percent": 37, "detractors_percent": 20,
        "distribution": [1, 0, 1, 2, 3, 4, 9, 16, 20, 22, 18], "expectations_mean": 3.84,
        "expectations_distribution": [2, 8, 18, 38, 30], "comments": 31},
    "departments": [{"kind": "department", "department": "Legal", "manager_id": null, "label": "Legal",
        "audience": 3, "suppressed": true, "respondents": null, "response_rate_percent": null,
        "enps": null, "promoters_percent": null, "passives_percent": null, "detractors_percent": null,
        "distribution": null, "expectations_mean": null, "expectations_distribution": null, "comments": null}],
    "subtrees": [],
    "trend": [{"survey_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f30", "name": "eNPS before the 1:1 program",
        "closes_at": "2026-09-15T18:00:00Z", "baseline": true, "suppressed": false, "enps": 4, "response_rate_percent": 71},
        {"survey_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f40", "name": "eNPS, spring 2027",
        "closes_at": "2027-03-15T18:00:00Z", "baseline": false, "suppressed": false, "enps": 21, "response_rate_percent": 80}],
    "baseline": {"survey_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f30", "name": "eNPS before the 1:1 program", "enps": 4, "change": 17}}))]
pub struct ResultsOut {
    pub survey_id: Uuid,
    pub status: Status,
    /// Figures of answers are published once the survey has closed; before, only turnout.
    pub published: bool,
    pub min_group_size: u32,
    pub group: GroupOut,
    /// For the organisation: every department.
    pub departments: Vec<GroupOut>,
    /// For the organisation: the subtrees of the top of the organisation and of the managers
    /// right below; for a subtree: the subtrees right below it.
    pub subtrees: Vec<GroupOut>,
    /// This group's eNPS in the surveys closed up to this one (the last 24), oldest first.
    pub trend: Vec<TrendOut>,
    pub baseline: Option<BaselineOut>,
}

fn parse_counts<const N: usize>(json: Option<&str>) -> Option<[u32; N]> {
    let v: Vec<u32> = serde_json::from_str(json?).ok()?;
    v.try_into().ok()
}

fn group_out(r: &ResultRow, expectations: bool) -> GroupOut {
    let figures = r
        .reportable
        .then(|| parse_counts::<11>(r.scores.as_deref()))
        .flatten()
        .map(|distribution| Figures {
            distribution,
            expectations: parse_counts::<5>(r.expectations.as_deref()).unwrap_or([0; 5]),
        });
    let audience = i64::from(r.audience);
    let key = GroupKey::from_parts(&r.group_kind, &r.group_key).unwrap_or(GroupKey::Organisation);
    let mut out = empty_group(&key, r.label.clone(), audience);
    out.suppressed = figures.is_none();
    if let Some(f) = figures {
        out.comments = r.comments.map(i64::from);
        let n = f.respondents();
        let (p, pa, d) = f.split();
        out.respondents = Some(i64::from(n));
        out.response_rate_percent = Some(percent(n, count(audience)));
        out.enps = f.enps();
        out.promoters_percent = Some(percent(p, n));
        out.passives_percent = Some(percent(pa, n));
        out.detractors_percent = Some(percent(d, n));
        out.distribution = Some(f.distribution.to_vec());
        if expectations {
            out.expectations_mean = f.expectations_mean();
            out.expectations_distribution = Some(f.expectations.to_vec());
        }
    }
    out
}

fn empty_group(key: &GroupKey, label: String, audience: i64) -> GroupOut {
    let (kind, department, manager_id) = match key {
        GroupKey::Organisation => (GroupKind::Organisation, None, None),
        GroupKey::Department(d) => (GroupKind::Department, d.clone(), None),
        GroupKey::Subtree(m) => (GroupKind::Subtree, None, Some(*m)),
    };
    GroupOut {
        kind,
        department,
        manager_id,
        label,
        audience,
        suppressed: true,
        respondents: None,
        response_rate_percent: None,
        enps: None,
        promoters_percent: None,
        passives_percent: None,
        detractors_percent: None,
        distribution: None,
        expectations_mean: None,
        expectations_distribution: None,
        comments: None,
    }
}

fn trend_out(t: &TrendRow) -> TrendOut {
    let figures = (t.reportable == Some(true))
        .then(|| parse_counts::<11>(t.scores.as_deref()))
        .flatten()
        .map(|distribution| Figures {
            distribution,
            expectations: [0; 5],
        });
    let audience = t.audience.map(|a| count(i64::from(a))).unwrap_or(0);
    TrendOut {
        survey_id: t.survey_id,
        name: t.name.clone(),
        closes_at: t.closes_at,
        baseline: t.baseline,
        suppressed: figures.is_none(),
        enps: figures.as_ref().and_then(Figures::enps),
        response_rate_percent: figures.map(|f| percent(f.respondents(), audience)),
    }
}

/// The group a reader asks for (their default if none) and whether they may read it: HR
/// admins and `reports:read` tokens any; a manager their own subtree and those within it.
async fn readable_group(
    state: &AppState,
    actor: &oneonone_domain::Actor,
    q: ResultsQuery,
) -> ApiResult<(ResultsScope, GroupKey)> {
    let scope = policy::survey_results(actor)?;
    let key = match (q.department, q.manager_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: "ask for a department or a manager's subtree, not both".into(),
            });
        }
        (Some(d), None) => match scope {
            ResultsScope::Everything => GroupKey::Department(Some(d).filter(|d| !d.is_empty())),
            ResultsScope::Below(_) => {
                return Err(policy::Denied(
                    "a manager reads the results of their own subtree; HR reads departments",
                )
                .into());
            }
        },
        (None, Some(m)) => GroupKey::Subtree(m),
        (None, None) => match scope {
            ResultsScope::Everything => GroupKey::Organisation,
            ResultsScope::Below(me) => GroupKey::Subtree(me),
        },
    };
    if let (ResultsScope::Below(me), GroupKey::Subtree(m)) = (scope, &key)
        && *m != me
    {
        let chain = match state.db.managers_of(*m).await {
            Ok(chain) => chain,
            Err(oneonone_persistence::StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        if !chain.contains(&me) {
            return Err(policy::Denied(
                "a manager reads the results of their own subtree and those within it",
            )
            .into());
        }
    }
    Ok((scope, key))
}

/// A survey's results for a group. Once the survey has closed: response rate, eNPS,
/// distribution, the second question, how many comments, the breakdown by department and by subtree,
/// the trend across surveys and the change against the baseline — every group only if it is
/// shown (see the README, "eNPS anonymity"). While it is open: turnout only. HR admins and
/// `reports:read` tokens read any group; a manager reads their own subtree and those within
/// it.
#[utoipa::path(tag = "enps", operation_id = "read_enps_results",
    params(("id" = Uuid, Path), ResultsQuery),
    responses((status = 200, description = "The results.", body = ResultsOut)))]
#[get("/enps-surveys/{id}/results")]
pub async fn results(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    query: web::Query<ResultsQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (scope, key) = readable_group(&state, &actor, query.into_inner()).await?;
    let (kind, key_text) = key.parts();
    // Only a closed survey's results are kept, and they never change.
    let cache_key = (id, kind, key_text.clone());
    if let Some(body) = state.enps_results.get(&cache_key) {
        return Ok(json_bytes(body));
    }
    let survey = settled_survey(&state, &actor, id).await?;
    let status: Status = survey.phase(oneonone_persistence::now()).into();
    let trend_rows = state
        .db
        .survey_trend(kind.to_owned(), key_text.clone(), survey.closes_at)
        .await?;
    let trend: Vec<TrendOut> = trend_rows.iter().map(trend_out).collect();
    if survey.finalized_at.is_none() {
        let (department, below) = match &key {
            GroupKey::Organisation => (None, None),
            GroupKey::Department(d) => (Some(d.clone().unwrap_or_default()), None),
            GroupKey::Subtree(m) => (None, Some(*m)),
        };
        let turnout = state.db.turnout(id, department, below).await?;
        if turnout.audience == 0 && matches!(scope, ResultsScope::Below(_)) {
            return Err(not_theirs());
        }
        let mut group = empty_group(&key, String::new(), turnout.audience);
        group.label = match &key {
            GroupKey::Organisation => "Organisation".into(),
            GroupKey::Department(d) => d.clone().unwrap_or_default(),
            GroupKey::Subtree(_) => String::new(),
        };
        if turnout.audience >= i64::from(survey.min_group_size) {
            group.suppressed = false;
            group.respondents = Some(turnout.responses);
            group.response_rate_percent =
                Some(percent(count(turnout.responses), count(turnout.audience)));
        }
        return Ok(HttpResponse::Ok().json(ResultsOut {
            survey_id: id,
            status,
            published: false,
            min_group_size: survey.min_group_size,
            group,
            departments: Vec::new(),
            subtrees: Vec::new(),
            trend,
            baseline: None,
        }));
    }
    let rows = state
        .db
        .survey_results(id, kind.to_owned(), key_text.clone())
        .await?;
    let own = rows
        .iter()
        .find(|r| r.group_kind == kind && r.group_key == key_text);
    let Some(own) = own else {
        if matches!(scope, ResultsScope::Below(_)) {
            return Err(not_theirs());
        }
        return Ok(HttpResponse::Ok().json(ResultsOut {
            survey_id: id,
            status,
            published: true,
            min_group_size: survey.min_group_size,
            group: empty_group(&key, String::new(), 0),
            departments: Vec::new(),
            subtrees: Vec::new(),
            trend,
            baseline: None,
        }));
    };
    let group = group_out(own, survey.ask_expectations);
    let mut departments = Vec::new();
    let mut subtrees = Vec::new();
    for r in rows.iter().filter(|r| !std::ptr::eq(*r, own)) {
        match r.group_kind.as_str() {
            "department" => departments.push(group_out(r, survey.ask_expectations)),
            "subtree" => subtrees.push(group_out(r, survey.ask_expectations)),
            _ => {}
        }
    }
    let baseline = if survey.baseline {
        None
    } else {
        trend
            .iter()
            .rfind(|t| t.baseline && t.survey_id != id && t.closes_at < survey.closes_at)
            .and_then(|b| {
                Some(BaselineOut {
                    survey_id: b.survey_id,
                    name: b.name.clone(),
                    enps: b.enps?,
                    change: group.enps? - b.enps?,
                })
            })
    };
    let body = ResultsOut {
        survey_id: id,
        status,
        published: true,
        min_group_size: survey.min_group_size,
        group,
        departments,
        subtrees,
        trend,
        baseline,
    };
    let body = web::Bytes::from(serde_json::to_vec(&body).map_err(ApiError::internal)?);
    // Kept once nothing that closed before it can still join its trend.
    if state
        .db
        .surveys_to_finalize(survey.closes_at)
        .await?
        .is_empty()
    {
        state.enps_results.insert(cache_key, body.clone());
    }
    Ok(json_bytes(body))
}

fn json_bytes(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}

/// A page of comments.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"data": ["More time for focused work, please.", "Great onboarding."],
    "next_cursor": null}))]
pub struct CommentPage {
    /// In no particular order (nor the order they were given).
    pub data: Vec<String>,
    pub next_cursor: Option<String>,
}

/// Filters of `GET /enps-surveys/{id}/comments`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentQuery {
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The comments of a group of a closed survey, for whoever may read its results; empty for a
/// suppressed group and before the close.
#[utoipa::path(tag = "enps", operation_id = "list_enps_comments",
    params(("id" = Uuid, Path), CommentQuery),
    responses((status = 200, description = "A page of comments.", body = CommentPage)))]
#[get("/enps-surveys/{id}/comments")]
pub async fn comments(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    query: web::Query<CommentQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let (scope, key) = readable_group(
        &state,
        &actor,
        ResultsQuery {
            department: q.department,
            manager_id: q.manager_id,
        },
    )
    .await?;
    let survey = settled_survey(&state, &actor, id).await?;
    let empty = || {
        HttpResponse::Ok().json(CommentPage {
            data: Vec::new(),
            next_cursor: None,
        })
    };
    if survey.finalized_at.is_none() || !survey.allow_comment {
        return Ok(empty());
    }
    let (kind, key_text) = key.parts();
    let Some((reportable, cells)) = state.db.group_cells(id, kind.to_owned(), key_text).await?
    else {
        if matches!(scope, ResultsScope::Below(_)) {
            return Err(not_theirs());
        }
        return Ok(empty());
    };
    if !reportable {
        return Ok(empty());
    }
    let cells = match key {
        GroupKey::Organisation => None,
        _ => Some(
            cells
                .as_deref()
                .and_then(|c| serde_json::from_str::<Vec<i32>>(c).ok())
                .unwrap_or_default(),
        ),
    };
    let rows = state
        .db
        .survey_comments(id, cells, after, limit + 1)
        .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |(key, _)| *key);
    Ok(HttpResponse::Ok().json(CommentPage {
        data: rows.into_iter().map(|(_, c)| c).collect(),
        next_cursor,
    }))
}
