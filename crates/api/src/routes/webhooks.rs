//! `/webhooks`: subscriptions of HR systems and scripts to the event log, signed deliveries
//! with their log, redelivery and test pings; `/job-queue`: the queue of every channel.
//!
//! HR admins and tokens with `webhooks:manage`. A delivery carries metadata only (the
//! `WebhookPayload` schema): never text, never anything private, never an eNPS answer.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use oneonone_domain::policy;
use oneonone_domain::webhook::{self, EventFilter};
use oneonone_jobs::signing::new_secret;
use oneonone_persistence::jobs::{AttemptRecord, JobRecord, QueueCounts};
use oneonone_persistence::webhooks::{NewWebhook, WebhookChange, WebhookRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{change, create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

pub const TAG: &str = "webhooks";

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hr.example.com/hooks/oneonone",
    "event_types": ["meeting.*", "person.created"], "description": "HRIS sync"}))]
pub struct WebhookIn {
    /// Where deliveries go: `https://…` (plain `http://` only to a loopback address).
    #[schema(max_length = 2000, example = "https://hr.example.com/hooks/oneonone")]
    pub url: String,
    /// Event types (see `WebhookEventType`), families (`meeting.*`) or `*` for all.
    #[validate(length(min = 1, max = 50))]
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Vec<String>,
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub description: String,
}

/// A subscription (never its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "url": "https://hr.example.com/hooks/oneonone",
    "description": "HRIS sync",
    "event_types": ["meeting.*", "person.created"],
    "active": true,
    "disabled_reason": null,
    "previous_secret_expires_at": null,
    "created_at": "2026-11-01T08:00:00Z",
    "updated_at": "2026-11-01T08:00:00Z"
}))]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    /// Deliveries go out only while active. The server turns a subscription off
    /// (`disabled_reason: failing`) when a delivery failed for its whole retry window with no
    /// success since; turn it on again with `PATCH {"active": true}`: what waited is sent.
    pub active: bool,
    /// `failing`, or null.
    pub disabled_reason: Option<String>,
    /// After a rotation, until when the previous secret still signs deliveries too.
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRecord> for WebhookOut {
    fn from(r: WebhookRecord) -> Self {
        let now = Utc::now();
        Self {
            id: r.id,
            url: r.url,
            description: r.description,
            event_types: EventFilter::from_stored(&r.event_types).entries().to_vec(),
            active: r.active,
            disabled_reason: r.disabled_reason,
            previous_secret_expires_at: r.previous_secret_until.filter(|until| *until > now),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A new subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// The signing secret (`whsec_` and the base64 of the key): verify each delivery's
    /// `webhook-signature` with it (see the README). It cannot be shown again; rotate it to get
    /// a new one.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// A page of subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPage {
    pub data: Vec<WebhookOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Changes to a subscription (JSON merge patch).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct WebhookPatch {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub event_types: Option<Vec<String>>,
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub description: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct WebhookFields {
    url: String,
    event_types: Vec<String>,
    description: String,
    active: bool,
}

/// A rotation.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"overlap_hours": 24}))]
pub struct RotateIn {
    /// How long the current secret keeps signing beside the new one (0 to 168, default 24):
    /// deploy the new secret to the receiver within this time.
    #[validate(range(max = 168))]
    #[schema(maximum = 168)]
    pub overlap_hours: Option<u32>,
}

/// A new secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
    /// Until then deliveries carry two signatures: one with each secret.
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub previous_secret_expires_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// To be sent (or being sent, or waiting for a retry).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Failed for its whole retry window.
    Dead,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => DeliveryState::Delivered,
            "dead" => DeliveryState::Dead,
            _ => DeliveryState::Pending,
        }
    }
}

/// One delivery of one event to one subscription. Its `id` is the `webhook-id` header of every
/// attempt: de-duplicate on it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5f-0000-7000-8000-000000000001",
    "event_id": "019a6a5e-ffff-7000-8000-000000000001",
    "event_type": "meeting.completed",
    "state": "delivered",
    "attempts": 1,
    "last_status": 204,
    "last_error": null,
    "created_at": "2026-11-01T08:00:00Z",
    "next_attempt_at": null,
    "finished_at": "2026-11-01T08:00:01Z"
}))]
pub struct DeliveryOut {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub event_type: String,
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    /// When it is tried next (pending only).
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<JobRecord> for DeliveryOut {
    fn from(j: JobRecord) -> Self {
        let state = DeliveryState::parse(&j.state);
        Self {
            id: j.id,
            event_id: j.event_id,
            event_type: j.kind,
            state,
            attempts: j.attempts,
            last_status: j.last_status,
            last_error: j.last_error,
            created_at: j.created_at,
            next_attempt_at: (state == DeliveryState::Pending).then_some(j.next_attempt_at),
            finished_at: j.finished_at,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptOut {
    pub attempt: i32,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub started_at: DateTime<Utc>,
    /// How long the receiver took to answer (or to fail).
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

impl From<AttemptRecord> for AttemptOut {
    fn from(a: AttemptRecord) -> Self {
        Self {
            attempt: a.attempt,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
        }
    }
}

/// A delivery with what it carries and every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetail {
    #[serde(flatten)]
    pub delivery: DeliveryOut,
    pub payload: WebhookPayload,
    pub attempt_log: Vec<AttemptOut>,
}

/// What a delivery's body holds (`application/json`), with the headers `webhook-id` (the
/// delivery's id), `webhook-timestamp` (Unix seconds) and `webhook-signature`
/// (`v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per valid
/// secret, space-separated).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-ffff-7000-8000-000000000001",
    "type": "meeting.completed",
    "occurred_at": "2026-11-01T08:00:00Z",
    "subject": {"type": "meeting", "id": "019a6a5e-aaaa-7000-8000-000000000001"},
    "actor": {"person_id": "019a6a5e-8f5e-7cc0-9a53-000000000001", "token_id": null},
    "pair": {"manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
             "report_id": "019a6a5e-8f5e-7cc0-9a53-000000000002"},
    "data": {"status": "completed", "series_id": "019a6a5e-bbbb-7000-8000-000000000001"}
}))]
pub struct WebhookPayload {
    /// The event's id (the same in every subscription's delivery of it).
    pub id: Uuid,
    /// The event type (`WebhookEventType`).
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: String,
    /// The record it is about: `{"type": "meeting", "id": …}`.
    pub subject: serde_json::Value,
    /// Who did it (`person_id` or `token_id`), or null (the system; and always for ratings).
    pub actor: serde_json::Value,
    /// The two people of the 1:1 it belongs to (`manager_id`, `report_id`), or null.
    pub pair: serde_json::Value,
    /// Metadata of the change: ids, statuses, names of changed fields. Never text.
    pub data: serde_json::Value,
}

/// The event types a subscription may ask for.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookEventType {
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
}

/// A page of deliveries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub data: Vec<DeliveryOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A queued delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    /// The delivery (`GET /webhooks/{id}/deliveries/{delivery_id}` follows it).
    pub delivery_id: Uuid,
}

/// One channel's queue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"channel": "webhook", "pending": 3, "retrying": 1, "dead": 0}))]
pub struct ChannelQueue {
    /// `webhook`, `email` or `chat` (Slack and Teams).
    pub channel: String,
    /// To be sent, not tried yet.
    pub pending: i64,
    /// Failed at least once, to be tried again.
    pub retrying: i64,
    /// Gave up after the retry window.
    pub dead: i64,
}

impl From<QueueCounts> for ChannelQueue {
    fn from(q: QueueCounts) -> Self {
        Self {
            channel: q.channel,
            pending: q.pending,
            retrying: q.retrying,
            dead: q.dead,
        }
    }
}

/// The queue of every outgoing channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobQueue {
    pub channels: Vec<ChannelQueue>,
}

/// Which deliveries.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub state: Option<DeliveryState>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

fn url(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    webhook::check_url(raw).map_err(|e| ApiError::validation("url", e.to_string()))?;
    Ok(raw.to_owned())
}

fn event_types(raw: &[String]) -> Result<String, ApiError> {
    if raw.len() > 50 {
        return Err(ApiError::validation("event_types", "at most 50"));
    }
    EventFilter::parse(raw)
        .map(|f| f.stored())
        .map_err(|e| ApiError::validation("event_types", e.to_string()))
}

fn description(raw: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    oneonone_domain::Text::parse_line(raw, 200)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| ApiError::validation("description", e.to_string()))
}

fn window(state: &AppState) -> chrono::Duration {
    chrono::Duration::from_std(state.settings.jobs.retry_window)
        .unwrap_or(chrono::Duration::days(1))
}

/// Subscribe to events (HR admins, `webhooks:manage` tokens). The signing secret is in this
/// response only. A subscription receives the events that happen after it is created.
#[utoipa::path(operation_id = "create_webhook", tag = TAG, request_body = WebhookIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Created.", body = WebhookCreated,
        headers(("Location" = String, description = "The subscription's URL."), ("ETag" = String)))))]
#[post("/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<WebhookIn>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let new = NewWebhook {
        url: url(&body.value.url)?,
        description: description(&body.value.description)?,
        event_types: event_types(&body.value.event_types)?,
        secret: String::new(),
        created_by: actor.person_id(),
        created_by_token: match &actor {
            policy::Actor::Integration { token_id, .. } => Some(*token_id),
            policy::Actor::Person { .. } => None,
        },
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let secret = new_secret();
            let record = usecases::webhooks::create(
                tx,
                &who,
                NewWebhook {
                    secret: secret.clone(),
                    ..new
                },
            )
            .await?;
            let (id, version) = (record.id, record.version);
            let out = WebhookCreated {
                webhook: record.into(),
                secret,
            };
            created(&out, format!("/api/v1/webhooks/{id}"), Some(etag(version)))
        })
    })
    .await
}

/// List subscriptions.
#[utoipa::path(operation_id = "list_webhooks", tag = TAG, params(pagination::PageQuery), responses(
    (status = 200, description = "A page of subscriptions.", body = WebhookPage)))]
#[get("/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<pagination::PageQuery>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let rows = state.db.list_webhooks(after, limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.id);
    Ok(HttpResponse::Ok().json(WebhookPage {
        data: rows.into_iter().map(WebhookOut::from).collect(),
        next_cursor,
    }))
}

/// The event types a subscription may ask for, with what each means. Nothing else of the
/// event log ever leaves through a webhook.
#[utoipa::path(operation_id = "list_webhook_event_types", tag = TAG, responses(
    (status = 200, description = "The catalogue.", body = Vec<WebhookEventType>)))]
#[get("/webhook-event-types")]
pub async fn event_type_catalogue(Auth(actor): Auth) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let all: Vec<WebhookEventType> = webhook::EVENT_TYPES
        .iter()
        .map(|(kind, description)| WebhookEventType {
            kind: (*kind).to_owned(),
            description: (*description).to_owned(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(all))
}

/// Read a subscription (never its secret).
#[utoipa::path(operation_id = "read_webhook", tag = TAG, params(("id" = Uuid, Path)), responses(
    (status = 200, description = "The subscription.", body = WebhookOut, headers(("ETag" = String)))))]
#[get("/webhooks/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let record = state.db.get_webhook(id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(WebhookOut::from(record)))
}

/// Change a subscription: its address, its event types, its description, or turn it off and
/// on. Deliveries queued while it was off go out once it is on again (those past their retry
/// window die at their next failure).
#[utoipa::path(operation_id = "update_webhook", tag = TAG,
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = WebhookPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = WebhookOut, headers(("ETag" = String)))))]
#[patch("/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let current = state.db.get_webhook(id.into_inner()).await?;
    let f: WebhookFields = body.into_inner().apply(&WebhookFields {
        url: current.url.clone(),
        event_types: EventFilter::from_stored(&current.event_types)
            .entries()
            .to_vec(),
        description: current.description.clone(),
        active: current.active,
    })?;
    let change_to = WebhookChange {
        url: Some(url(&f.url)?).filter(|u| *u != current.url),
        description: Some(description(&f.description)?).filter(|d| *d != current.description),
        event_types: Some(event_types(&f.event_types)?).filter(|t| *t != current.event_types),
        active: Some(f.active).filter(|a| *a != current.active),
    };
    if_match.check(&etag(current.version))?;
    let (who, id, expected) = (actor.clone(), current.id, current.version);
    let record = change(&state, move |tx| {
        Box::pin(async move {
            usecases::webhooks::update(tx, &who, id, Some(expected), change_to).await
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(WebhookOut::from(record)))
}

/// Delete a subscription with its delivery log; nothing more is sent to it.
#[utoipa::path(operation_id = "delete_webhook", tag = TAG, params(("id" = Uuid, Path)), responses(
    (status = 204, description = "Deleted.")))]
#[delete("/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let id = id.into_inner();
    change(&state, move |tx| {
        Box::pin(async move { usecases::webhooks::delete(tx, &actor, id).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate the signing secret. The new one is in this response only; the old one keeps
/// signing beside it for `overlap_hours`, so the receiver can switch without missing a
/// delivery.
#[utoipa::path(operation_id = "rotate_webhook_secret", tag = TAG, params(("id" = Uuid, Path)),
    request_body = RotateIn,
    responses((status = 200, description = "The new secret.", body = RotatedSecret)))]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: JsonBody<RotateIn>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let id = id.into_inner();
    let overlap = chrono::Duration::hours(i64::from(body.value.overlap_hours.unwrap_or(24)));
    let secret = new_secret();
    let until = oneonone_persistence::now() + overlap;
    let new = secret.clone();
    change(&state, move |tx| {
        Box::pin(
            async move { usecases::webhooks::rotate_secret(tx, &actor, id, &new, until).await },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(RotatedSecret {
        secret,
        previous_secret_expires_at: until,
    }))
}

/// Send a test delivery (`webhook.ping`) now.
#[utoipa::path(operation_id = "ping_webhook", tag = TAG, params(("id" = Uuid, Path)), responses(
    (status = 202, description = "Queued.", body = Queued)))]
#[post("/webhooks/{id}/ping")]
pub async fn ping(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let id = id.into_inner();
    let deadline = oneonone_persistence::now() + window(&state);
    let delivery_id = change(&state, move |tx| {
        Box::pin(async move { usecases::webhooks::ping(tx, &actor, id, deadline).await })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Queued { delivery_id }))
}

/// A subscription's deliveries, newest first: what was sent, how often, what the receiver
/// answered.
#[utoipa::path(operation_id = "list_webhook_deliveries", tag = TAG,
    params(("id" = Uuid, Path), DeliveryQuery), responses(
    (status = 200, description = "A page of deliveries.", body = DeliveryPage)))]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<i64>(q.cursor.as_deref())?;
    let target = state.db.get_webhook(id.into_inner()).await?;
    let rows = state
        .db
        .list_jobs(
            target.id,
            q.state.map(|s| s.as_str().to_owned()),
            before,
            limit + 1,
        )
        .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.seq);
    Ok(HttpResponse::Ok().json(DeliveryPage {
        data: rows.into_iter().map(DeliveryOut::from).collect(),
        next_cursor,
    }))
}

/// One delivery with its body and every attempt.
#[utoipa::path(operation_id = "read_webhook_delivery", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), responses(
    (status = 200, description = "The delivery.", body = DeliveryDetail)))]
#[get("/webhooks/{id}/deliveries/{delivery_id}")]
pub async fn delivery(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let (target, id) = path.into_inner();
    let (job, attempts) = state.db.get_job(target, id).await?;
    let payload: WebhookPayload = serde_json::from_str(&job.payload)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("a stored payload: {e}")))?;
    Ok(HttpResponse::Ok().json(DeliveryDetail {
        delivery: job.into(),
        payload,
        attempt_log: attempts.into_iter().map(AttemptOut::from).collect(),
    }))
}

/// Send a delivered or dead delivery again, with the same `webhook-id` (a receiver that has it
/// may ignore it) and a new retry window.
#[utoipa::path(operation_id = "redeliver_webhook_delivery", tag = TAG,
    params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), responses(
    (status = 202, description = "Queued again.", body = Queued)))]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let (target, id) = path.into_inner();
    state.db.get_job(target, id).await?;
    let deadline = oneonone_persistence::now() + window(&state);
    change(&state, move |tx| {
        Box::pin(
            async move { usecases::webhooks::redeliver(tx, &actor, target, id, deadline).await },
        )
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Queued { delivery_id: id }))
}

/// The queue of every outgoing channel: pending, retrying and dead jobs.
#[utoipa::path(operation_id = "read_job_queue", tag = TAG, responses(
    (status = 200, description = "The queue.", body = JobQueue)))]
#[get("/job-queue")]
pub async fn queue(state: web::Data<AppState>, Auth(actor): Auth) -> ApiResult<HttpResponse> {
    policy::manage_webhooks(&actor)?;
    let counts = state.db.queue_counts().await?;
    Ok(HttpResponse::Ok().json(JobQueue {
        channels: counts.into_iter().map(ChannelQueue::from).collect(),
    }))
}
