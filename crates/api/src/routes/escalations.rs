//! `/escalations` and `/reports/escalations`: HR's record of performance problems that reached
//! HR and of performance-improvement plans, each with what preceded it — the question the
//! program exists to answer (seed 000): was the problem talked about, on the record, before?
//!
//! HR admins record and read; a token reads only with the dedicated `escalations:read` scope;
//! managers and everyone else get 403 (the records never reach them, not even their team's).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{Days, NaiveDate, Utc};
use oneonone_domain::escalation::{EscalationKind, Evidence, LOOKBACK_DAYS};
use oneonone_domain::policy;
use oneonone_persistence::escalations::{EscalationFilter, EscalationRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::JsonBody;
use crate::idempotency::{change, create_once, created};
use crate::pagination;
use crate::problem::ApiResult;
use crate::state::AppState;
use oneonone_usecases as usecases;

pub const TAG: &str = "escalations";

/// What reached HR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EscalationKindOut {
    /// A performance problem raised with HR.
    Escalation,
    /// A performance-improvement plan started.
    Pip,
}

impl From<EscalationKindOut> for EscalationKind {
    fn from(k: EscalationKindOut) -> Self {
        match k {
            EscalationKindOut::Escalation => EscalationKind::Escalation,
            EscalationKindOut::Pip => EscalationKind::Pip,
        }
    }
}

impl From<EscalationKind> for EscalationKindOut {
    fn from(k: EscalationKind) -> Self {
        match k {
            EscalationKind::Escalation => EscalationKindOut::Escalation,
            EscalationKind::Pip => EscalationKindOut::Pip,
        }
    }
}

/// A record to make. No free text: the HR system keeps the case itself.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"person_id": "019a6a5e-aaaa-7000-8000-000000000003", "kind": "escalation",
    "occurred_on": "2026-11-20", "external_ref": "HR-2291"}))]
pub struct EscalationIn {
    /// The person the problem is about (a deactivated person may be named; an erased one not).
    pub person_id: Uuid,
    pub kind: EscalationKindOut,
    /// The day it reached HR (or the plan started); not in the future, not before 1970.
    pub occurred_on: NaiveDate,
    /// The HR system's reference for the case.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub external_ref: Option<String>,
}

/// The latest documented expectation-setting conversation before an escalation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Conversation {
    /// `one_on_one`: a held 1:1 in which the person was the report (with their manager, a
    /// secondary manager or a skip level) with a shared talking point or an action item on
    /// record; `check_in`: a check-in the person submitted.
    #[schema(example = "one_on_one")]
    pub kind: String,
    /// The meeting's or the check-in's id.
    pub id: Uuid,
    /// When the meeting started, or when the check-in was submitted.
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub at: chrono::DateTime<Utc>,
}

/// An escalation or PIP record.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-eeee-7000-8000-000000000001",
    "person_id": "019a6a5e-aaaa-7000-8000-000000000003", "kind": "escalation",
    "occurred_on": "2026-11-20", "external_ref": "HR-2291",
    "recorded_by": "019a6a5e-aaaa-7000-8000-000000000001", "created_at": "2026-11-21T09:12:00Z",
    "preceded_by_conversation": true,
    "last_conversation": {"kind": "one_on_one", "id": "019a6a5e-bbbb-7000-8000-000000000009",
        "at": "2026-10-30T15:00:00Z"}}))]
pub struct EscalationOut {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: EscalationKindOut,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    /// The HR admin who recorded it (`null` once they are erased).
    pub recorded_by: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: chrono::DateTime<Utc>,
    /// Whether a documented expectation-setting conversation with the person took place in
    /// the 90 days before `occurred_on` or on that day: a held 1:1 in which they were the
    /// report with a shared talking point or an action item, or a check-in they submitted.
    /// Read when asked, so a 1:1 recorded afterwards for an earlier day counts.
    pub preceded_by_conversation: bool,
    /// The latest such conversation, if any.
    pub last_conversation: Option<Conversation>,
}

impl From<EscalationRecord> for EscalationOut {
    fn from(r: EscalationRecord) -> Self {
        let meeting = r
            .meeting_id
            .zip(r.meeting_at)
            .map(|(id, at)| (Evidence::OneOnOne, id, at));
        let checkin = r
            .checkin_id
            .zip(r.checkin_at)
            .map(|(id, at)| (Evidence::CheckIn, id, at));
        let last = match (meeting, checkin) {
            (Some(m), Some(c)) => Some(if c.2 > m.2 { c } else { m }),
            (m, c) => m.or(c),
        };
        Self {
            id: r.id,
            person_id: r.person_id,
            kind: r
                .kind
                .parse::<EscalationKind>()
                .unwrap_or(EscalationKind::Escalation)
                .into(),
            occurred_on: r.occurred_on,
            external_ref: r.external_ref,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
            preceded_by_conversation: last.is_some(),
            last_conversation: last.map(|(kind, id, at)| Conversation {
                kind: kind.as_str().to_owned(),
                id,
                at,
            }),
        }
    }
}

/// Record an escalation or the start of a PIP (HR admins). Safe to retry with an
/// `Idempotency-Key`.
#[utoipa::path(operation_id = "record_escalation", tag = TAG, request_body = EscalationIn,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body answer with the first response.")),
    responses((status = 201, description = "Recorded.", body = EscalationOut,
        headers(("Location" = String)))))]
#[post("/escalations")]
pub async fn record(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<EscalationIn>,
) -> ApiResult<HttpResponse> {
    policy::record_escalation(&actor)?;
    let b = &body.value;
    let input = usecases::escalations::Record {
        person_id: b.person_id,
        kind: b.kind.into(),
        occurred_on: b.occurred_on,
        external_ref: b.external_ref.clone(),
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let id = usecases::escalations::record(tx, &who, input).await?;
            let stored = tx.get_escalation(id).await?;
            created(
                &EscalationOut::from(stored),
                format!("/api/v1/escalations/{id}"),
                None,
            )
        })
    })
    .await
}

/// Which records: a window of days and a person or a slice of the organisation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EscalationQuery {
    /// First day (on `occurred_on`), inclusive.
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    pub to: Option<NaiveDate>,
    /// One person's records.
    pub person_id: Option<Uuid>,
    /// People of this department (by their current department).
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// People below this manager, at any depth (by the current reporting lines).
    pub manager_id: Option<Uuid>,
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A page of escalation records.
#[derive(Debug, Serialize, ToSchema)]
pub struct EscalationPage {
    pub data: Vec<EscalationOut>,
    pub next_cursor: Option<String>,
}

fn window(from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<EscalationFilter> {
    super::days_in_order(from, to)?;
    Ok(EscalationFilter {
        from,
        until: to.and_then(|t| t.checked_add_days(Days::new(1))),
        ..EscalationFilter::default()
    })
}

/// Escalation and PIP records, most recently recorded first (HR admins, `escalations:read`).
#[utoipa::path(operation_id = "list_escalations", tag = TAG, params(EscalationQuery),
    responses((status = 200, description = "A page of records.", body = EscalationPage)))]
#[get("/escalations")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<EscalationQuery>,
) -> ApiResult<HttpResponse> {
    policy::read_escalations(&actor)?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let mut filter = window(q.from, q.to)?;
    filter.person = q.person_id;
    if q.department.is_some() || q.manager_id.is_some() {
        filter.slice = Some(super::slice_of(&state, q.department, q.manager_id).await?);
    }
    let rows = state
        .db
        .list_escalations(&filter, before, Some(limit + 1))
        .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.id);
    Ok(HttpResponse::Ok().json(EscalationPage {
        data: rows.into_iter().map(EscalationOut::from).collect(),
        next_cursor,
    }))
}

/// One record (HR admins, `escalations:read`).
#[utoipa::path(operation_id = "read_escalation", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The record.", body = EscalationOut)))]
#[get("/escalations/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::read_escalations(&actor)?;
    let found = state.db.get_escalation(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(EscalationOut::from(found)))
}

/// Remove a record made in error (HR admins).
#[utoipa::path(operation_id = "remove_escalation", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed.")))]
#[delete("/escalations/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::record_escalation(&actor)?;
    let id = id.into_inner();
    change(&state, move |tx| {
        Box::pin(async move { usecases::escalations::remove(tx, &actor, id).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A report's window and slice.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EscalationReportQuery {
    /// First day, inclusive. Default: 364 days before `to` (a year).
    pub from: Option<NaiveDate>,
    /// Last day, inclusive. Default: today (UTC).
    pub to: Option<NaiveDate>,
    /// People of this department.
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// People below this manager, at any depth.
    pub manager_id: Option<Uuid>,
}

/// Escalations of one kind, and how many were preceded by a documented conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    pub kind: EscalationKindOut,
    pub escalations: usize,
    pub preceded: usize,
}

/// Of the escalations in a window, how many were preceded by a documented expectation-setting
/// conversation (see `EscalationOut.preceded_by_conversation`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2025-11-25", "to": "2026-11-24", "department": null,
    "manager_id": null, "lookback_days": 90, "escalations": 8, "preceded": 5, "preceded_pct": 62.5,
    "by_kind": [{"kind": "escalation", "escalations": 6, "preceded": 3},
        {"kind": "pip", "escalations": 2, "preceded": 2}],
    "not_preceded": ["019a6a5e-eeee-7000-8000-000000000001"]}))]
pub struct EscalationReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    /// How far back a conversation counts (days before `occurred_on`, and that day).
    pub lookback_days: u64,
    pub escalations: usize,
    pub preceded: usize,
    /// `preceded` ÷ `escalations` in percent, one decimal; `null` without escalations.
    pub preceded_pct: Option<f64>,
    pub by_kind: Vec<KindCount>,
    /// The records with no documented conversation before them, most recent first: where the
    /// program did not reach in time.
    pub not_preceded: Vec<Uuid>,
}

/// The escalation record of a window and a slice (HR admins, `escalations:read`).
#[utoipa::path(operation_id = "escalation_report", tag = TAG, params(EscalationReportQuery),
    responses((status = 200, description = "The report.", body = EscalationReport)))]
#[get("/reports/escalations")]
pub async fn report(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<EscalationReportQuery>,
) -> ApiResult<HttpResponse> {
    policy::read_escalations(&actor)?;
    let q = query.into_inner();
    let to = q.to.unwrap_or_else(|| Utc::now().date_naive());
    let from = q
        .from
        .unwrap_or_else(|| to.checked_sub_days(Days::new(364)).unwrap_or(to));
    let mut filter = window(Some(from), Some(to))?;
    if q.department.is_some() || q.manager_id.is_some() {
        filter.slice = Some(super::slice_of(&state, q.department.clone(), q.manager_id).await?);
    }
    let rows: Vec<EscalationOut> = state
        .db
        .list_escalations(&filter, None, None)
        .await?
        .into_iter()
        .map(EscalationOut::from)
        .collect();
    let preceded = rows.iter().filter(|r| r.preceded_by_conversation).count();
    let by_kind = [EscalationKindOut::Escalation, EscalationKindOut::Pip]
        .into_iter()
        .map(|kind| KindCount {
            kind,
            escalations: rows.iter().filter(|r| r.kind == kind).count(),
            preceded: rows
                .iter()
                .filter(|r| r.kind == kind && r.preceded_by_conversation)
                .count(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(EscalationReport {
        from,
        to,
        department: q.department,
        manager_id: q.manager_id,
        lookback_days: LOOKBACK_DAYS,
        escalations: rows.len(),
        preceded,
        preceded_pct: (!rows.is_empty())
            .then(|| (preceded as f64 * 1000.0 / rows.len() as f64).round() / 10.0),
        by_kind,
        not_preceded: rows
            .iter()
            .filter(|r| !r.preceded_by_conversation)
            .map(|r| r.id)
            .collect(),
    }))
}
