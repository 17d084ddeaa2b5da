//! Action items: `/meetings/{id}/action-items` and `/action-items`.
//!
//! Like all meeting content they belong to the two participants: HR admins and tokens get 403,
//! anyone else 404.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::action::{ActionItem, ActionStatus};
use oneonone_domain::policy::{self, ContentAccess};
use oneonone_domain::{Actor, Text};
use oneonone_persistence::actions::ActionFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

/// Where an action item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ActionItemStatus)]
pub enum Status {
    Open,
    Done,
    Cancelled,
}

impl From<Status> for ActionStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Open => ActionStatus::Open,
            Status::Done => ActionStatus::Done,
            Status::Cancelled => ActionStatus::Cancelled,
        }
    }
}

impl From<ActionStatus> for Status {
    fn from(s: ActionStatus) -> Self {
        match s {
            ActionStatus::Open => Status::Open,
            ActionStatus::Done => Status::Done,
            ActionStatus::Cancelled => Status::Cancelled,
        }
    }
}

/// A new action item.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Draft the migration RFC", "assignee_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e", "due_date": "2026-12-10"}))]
pub struct ActionIn {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub title: String,
    /// One of the two participants.
    pub assignee_id: Uuid,
    pub due_date: Option<NaiveDate>,
}

/// Changes to an action item (JSON merge patch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "done"}))]
pub struct ActionPatch {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub title: Option<String>,
    #[schema(nullable)]
    pub due_date: Option<NaiveDate>,
    pub status: Option<Status>,
    pub assignee_id: Option<Uuid>,
}

/// An action item.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d60",
    "meeting_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d40",
    "series_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3f",
    "assignee_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "created_by": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "report_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "title": "Draft the migration RFC",
    "due_date": "2026-12-10",
    "status": "open",
    "overdue": false,
    "completed_at": null,
    "created_at": "2026-12-01T09:20:00Z",
    "updated_at": "2026-12-01T09:20:00Z"
}))]
pub struct ActionOut {
    pub id: Uuid,
    /// The meeting it was agreed in.
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub assignee_id: Uuid,
    pub created_by: Uuid,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub title: String,
    pub due_date: Option<NaiveDate>,
    pub status: Status,
    /// Open and past its due date.
    pub overdue: bool,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<ActionItem> for ActionOut {
    fn from(a: ActionItem) -> Self {
        Self {
            overdue: a.overdue(Utc::now().date_naive()),
            id: a.id,
            meeting_id: a.meeting_id,
            series_id: a.series_id,
            assignee_id: a.assignee_id,
            created_by: a.created_by,
            manager_id: a.manager_id,
            report_id: a.report_id,
            title: a.title,
            due_date: a.due_date,
            status: a.status.into(),
            completed_at: a.completed_at,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of action items.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionPage {
    pub data: Vec<ActionOut>,
    pub next_cursor: Option<String>,
}

fn action_response(status: StatusCode, a: ActionItem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(a.version)))
        .json(ActionOut::from(a))
}

/// A new action item's title, checked, if `assignee` is one of the meeting's participants.
pub(crate) fn new_action(
    meeting: &oneonone_domain::meeting::Meeting,
    raw_title: &str,
    assignee: Uuid,
) -> ApiResult<String> {
    let text = title(raw_title)?;
    if !meeting.participants().contains(&assignee) {
        return Err(ApiError::validation(
            "assignee_id",
            "must be one of the two participants",
        ));
    }
    Ok(text)
}

fn title(raw: &str) -> ApiResult<String> {
    Text::parse_line(raw, 300)
        .map(Text::into_string)
        .map_err(|e| ApiError::validation("title", e.to_string()))
}

/// Agree on an action item in a meeting, owned by either participant.
#[utoipa::path(tag = "action-items", operation_id = "create_action_item",
    params(("id" = Uuid, Path), crate::extract::IdempotencyKeyHeader), request_body = ActionIn,
    responses((status = 201, description = "Created.", body = ActionOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/meetings/{id}/action-items")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBody<ActionIn>,
) -> ApiResult<HttpResponse> {
    let (meeting, me) = state.participant(&actor, id.into_inner()).await?;
    let assignee = body.value.assignee_id;
    let text = new_action(&meeting, &body.value.title, assignee)?;
    let due = body.value.due_date;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let item = usecases::meetings::create_action_item(
                tx, &who, &meeting, assignee, me, &text, due,
            )
            .await?;
            let (id, tag) = (item.id, etag(item.version));
            created(
                &ActionOut::from(item),
                format!("/api/v1/action-items/{id}"),
                Some(tag),
            )
        })
    })
    .await
}

/// The action items of a meeting: those agreed in it and those still open from earlier
/// meetings of the series.
#[utoipa::path(tag = "action-items", operation_id = "list_meeting_action_items", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The items.", body = ActionPage)))]
#[get("/meetings/{id}/action-items")]
pub async fn for_meeting(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (meeting, _) = state.participant(&actor, id.into_inner()).await?;
    let items = state.db.meeting_action_items(&meeting).await?;
    Ok(HttpResponse::Ok().json(ActionPage {
        data: items.into_iter().map(ActionOut::from).collect(),
        next_cursor: None,
    }))
}

/// Filters of `GET /action-items`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `me` or a person id (the other participant of one of your 1:1s).
    pub assignee: Option<String>,
    pub status: Option<Status>,
    /// `true`: only open items past their due date.
    pub overdue: Option<bool>,
    /// Only items due on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Only items due on or before this date.
    pub due_to: Option<NaiveDate>,
    /// Only items agreed in this meeting.
    pub meeting_id: Option<Uuid>,
}

fn person_only(actor: &Actor) -> ApiResult<Uuid> {
    match actor.person_id() {
        Some(id) => Ok(id),
        None => Err(ApiError::Forbidden(
            "action items belong to the participants of a 1:1".into(),
        )),
    }
}

/// Action items across all your 1:1s, e.g. `assignee=me&status=open`.
#[utoipa::path(tag = "action-items", operation_id = "list_action_items", params(ActionQuery),
    responses((status = 200, description = "A page of items.", body = ActionPage)))]
#[get("/action-items")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<ActionQuery>,
) -> ApiResult<HttpResponse> {
    let me = person_only(&actor)?;
    let q = query.into_inner();
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some("me") => Some(me),
        Some(id) => Some(id.parse().map_err(|_| ApiError::BadRequest {
            code: "invalid_query",
            detail: "assignee must be `me` or a person id".into(),
        })?),
    };
    let overdue = q.overdue.unwrap_or(false);
    let limit = pagination::limit(q.limit)?;
    let filter = ActionFilter {
        participant: me,
        assignee,
        status: if overdue {
            Some(ActionStatus::Open)
        } else {
            q.status.map(Into::into)
        },
        due_before: overdue.then(|| Utc::now().date_naive()),
        due_from: q.due_from,
        due_to: q.due_to,
        meeting_id: q.meeting_id,
        after: pagination::after::<Uuid>(q.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = state.db.list_action_items(&filter).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |a| a.id);
    Ok(HttpResponse::Ok().json(ActionPage {
        data: rows.into_iter().map(ActionOut::from).collect(),
        next_cursor,
    }))
}

async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<ActionItem> {
    let item = state.db.get_action_item(id).await?;
    match policy::meeting_content(actor, item.participants()) {
        ContentAccess::Participant(_) => Ok(item),
        ContentAccess::MetadataOnly => Err(ApiError::Forbidden(
            "action items belong to the participants of a 1:1".into(),
        )),
        ContentAccess::Hidden => Err(ApiError::NotFound),
    }
}

/// Read an action item.
#[utoipa::path(tag = "action-items", operation_id = "read_action_item", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The item.", body = ActionOut, headers(("ETag" = String)))))]
#[get("/action-items/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let item = visible(&state, &actor, id.into_inner()).await?;
    Ok(action_response(StatusCode::OK, item))
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ActionFields {
    title: String,
    due_date: Option<NaiveDate>,
    status: Status,
    assignee_id: Uuid,
}

/// Change an action item (JSON merge patch): mark it done, cancel it, reopen it, move its due
/// date or hand it to the other participant.
#[utoipa::path(tag = "action-items", operation_id = "update_action_item",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = ActionPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = ActionOut, headers(("ETag" = String)))))]
#[patch("/action-items/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let current = visible(&state, &actor, id.into_inner()).await?;
    const FIELDS: [&str; 4] = ["title", "due_date", "status", "assignee_id"];
    let patch = body.into_inner().0;
    if let Some(unknown) = patch.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::validation(unknown, "unknown field"));
    }
    let fields: ActionFields = MergePatch(patch).apply(&ActionFields {
        title: current.title.clone(),
        due_date: current.due_date,
        status: current.status.into(),
        assignee_id: current.assignee_id,
    })?;
    if !current.participants().contains(&fields.assignee_id) {
        return Err(ApiError::validation(
            "assignee_id",
            "must be one of the two participants",
        ));
    }
    let text = title(&fields.title)?;
    if_match.check(&etag(current.version))?;
    let who = actor.clone();
    let item = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move {
            usecases::agenda::update_action(
                tx,
                &who,
                &current,
                &text,
                fields.due_date,
                fields.status.into(),
                fields.assignee_id,
            )
            .await
        })
    })
    .await?;
    Ok(action_response(StatusCode::OK, item))
}
