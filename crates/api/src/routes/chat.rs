//! `/chat-destinations`: Slack and Microsoft Teams incoming webhooks that reminders and digests
//! are posted to — a person's own, or a manager's team channel.
//!
//! The webhook address is a secret (whoever has it posts into the channel): it is taken when a
//! destination is created or changed and never returned; reads show `url_hint` only.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use oneonone_domain::chat::{self as domain, Audience};
use oneonone_domain::policy;
use oneonone_domain::webhook;
use oneonone_persistence::chat::{ChatFields, ChatRecord};
use oneonone_persistence::jobs::NewJob;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{change, create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::routes::webhooks::{DeliveryOut, Queued};
use crate::state::AppState;
use oneonone_usecases as usecases;

pub const TAG: &str = "chat";

/// Where messages are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatPlatform {
    /// A Slack incoming webhook (`https://hooks.slack.com/services/…`): Block Kit. Mattermost
    /// and Rocket.Chat incoming webhooks read it too.
    Slack,
    /// A Microsoft Teams workflow ("Post to a channel when a webhook request is received"):
    /// an Adaptive Card 1.4 in a `message`.
    Teams,
}

/// Whose messages a destination receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatAudience {
    /// Your own: your reminders (the shared agenda and the pair's open action items, never a
    /// private talking point) and, for a manager, the weekly digest.
    Person,
    /// A manager's team channel: a line before each 1:1 the manager holds (who, when; no
    /// content) and the weekly digest in counts (no names).
    Team,
}

/// What a destination is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatMessageKind {
    /// Before each 1:1, at the owner's reminder lead (their notification settings).
    MeetingReminder,
    /// Monday morning, in the owner's time zone: reports not met within their cadence, overdue
    /// action items.
    WeeklyDigest,
}

same_words!(ChatPlatform, domain::Platform { Slack, Teams });
same_words!(ChatAudience, domain::Audience { Person, Team });
same_words!(
    ChatMessageKind,
    domain::ChatKind {
        MeetingReminder,
        WeeklyDigest
    }
);

/// A new destination.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"platform": "slack",
    "url": "https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX",
    "label": "#team-platform", "audience": "team",
    "person_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "kinds": ["meeting_reminder", "weekly_digest"]}))]
pub struct ChatDestinationIn {
    pub platform: ChatPlatform,
    /// The incoming webhook's address: `https://…` (plain `http://` only to a loopback
    /// address). A secret: it is never returned.
    #[schema(max_length = 2000)]
    pub url: String,
    /// `person` (default) or `team`.
    pub audience: Option<ChatAudience>,
    /// Whose: for `person` yourself (the default, and the only one allowed); for `team` the
    /// manager (you by default; HR admins for any manager).
    pub person_id: Option<Uuid>,
    /// A name to tell destinations apart (`#team-platform`).
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 100)]
    pub label: Option<String>,
    /// What it is sent (default: both).
    #[schema(max_items = 2)]
    pub kinds: Option<Vec<ChatMessageKind>>,
}

/// A destination (never its address).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "platform": "slack",
    "audience": "team",
    "person_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "label": "#team-platform",
    "url_hint": "hooks.slack.com/…XXXX",
    "kinds": ["meeting_reminder", "weekly_digest"],
    "created_at": "2026-11-01T08:00:00Z",
    "updated_at": "2026-11-01T08:00:00Z"
}))]
pub struct ChatDestinationOut {
    pub id: Uuid,
    pub platform: ChatPlatform,
    pub audience: ChatAudience,
    /// The person (`person`) or the manager whose team (`team`).
    pub person_id: Uuid,
    pub label: String,
    /// The address's host and last four characters, to recognise it.
    pub url_hint: String,
    pub kinds: Vec<ChatMessageKind>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<&ChatRecord> for ChatDestinationOut {
    fn from(r: &ChatRecord) -> Self {
        let mut kinds = Vec::new();
        if r.meeting_reminder {
            kinds.push(ChatMessageKind::MeetingReminder);
        }
        if r.weekly_digest {
            kinds.push(ChatMessageKind::WeeklyDigest);
        }
        Self {
            id: r.id,
            platform: r
                .platform
                .parse::<domain::Platform>()
                .ok()
                .unwrap_or(domain::Platform::Slack)
                .into(),
            audience: r
                .audience
                .parse::<Audience>()
                .ok()
                .unwrap_or(Audience::Person)
                .into(),
            person_id: r.person_id,
            label: r.label.clone(),
            url_hint: r.url_hint.clone(),
            kinds,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A destination with its latest messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDestinationDetail {
    #[serde(flatten)]
    pub destination: ChatDestinationOut,
    /// The last ten messages, newest first: when, whether they arrived, what the receiver
    /// answered (a Slack `404 no_service` means the webhook was removed: set a new address).
    pub recent_messages: Vec<DeliveryOut>,
}

/// A page of destinations.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDestinationPage {
    pub data: Vec<ChatDestinationOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Changes to a destination (JSON merge patch). `url` replaces the address.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kinds": ["meeting_reminder"]}))]
pub struct ChatDestinationPatch {
    pub platform: Option<ChatPlatform>,
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 100)]
    pub label: Option<String>,
    #[schema(max_items = 2)]
    pub kinds: Option<Vec<ChatMessageKind>>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct PatchFields {
    platform: ChatPlatform,
    /// Never the stored one: only a new address, when the patch has one.
    url: Option<String>,
    label: String,
    kinds: Vec<ChatMessageKind>,
}

fn address(raw: &str) -> Result<(String, String), ApiError> {
    let raw = raw.trim();
    webhook::check_url(raw).map_err(|e| ApiError::validation("url", e.to_string()))?;
    Ok((raw.to_owned(), domain::hint(raw)))
}

fn label(raw: Option<&str>) -> Result<String, ApiError> {
    let raw = raw.unwrap_or_default().trim();
    if raw.is_empty() {
        return Ok(String::new());
    }
    oneonone_domain::Text::parse_line(raw, 100)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| ApiError::validation("label", e.to_string()))
}

fn wants(kinds: &[ChatMessageKind]) -> (bool, bool) {
    (
        kinds.contains(&ChatMessageKind::MeetingReminder),
        kinds.contains(&ChatMessageKind::WeeklyDigest),
    )
}

/// The destination `id` if the actor may manage it; 404 otherwise (others must not learn it
/// exists).
async fn managed(state: &AppState, actor: &policy::Actor, id: Uuid) -> ApiResult<ChatRecord> {
    let record = state.db.get_chat_destination(id).await?;
    if !usecases::chat::may_manage(actor, &record) {
        return Err(ApiError::NotFound);
    }
    Ok(record)
}

/// Post your reminders to Slack or Teams, or (as a manager, or HR for a manager) a line before
/// each of the manager's 1:1s and the team's digest to the team's channel. Send a test message
/// with `POST /chat-destinations/{id}/test` to see it arrive.
#[utoipa::path(operation_id = "create_chat_destination", tag = TAG,
    request_body = ChatDestinationIn, params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Created.", body = ChatDestinationOut,
        headers(("Location" = String, description = "The destination's URL."), ("ETag" = String)))))]
#[post("/chat-destinations")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<ChatDestinationIn>,
) -> ApiResult<HttpResponse> {
    let Some(me) = actor.person_id() else {
        return Err(ApiError::Forbidden(
            "chat destinations are set by people, not tokens".into(),
        ));
    };
    let b = &body.value;
    let audience = b.audience.unwrap_or(ChatAudience::Person);
    let person_id = b.person_id.unwrap_or(me);
    policy::manage_chat(&actor, audience.into(), person_id)?;
    let (url, url_hint) = address(&b.url)?;
    let (meeting_reminder, weekly_digest) = wants(b.kinds.as_deref().unwrap_or(&[
        ChatMessageKind::MeetingReminder,
        ChatMessageKind::WeeklyDigest,
    ]));
    let fields = ChatFields {
        person_id,
        audience: domain::Audience::from(audience).as_str().to_owned(),
        platform: domain::Platform::from(b.platform).as_str().to_owned(),
        url,
        url_hint,
        label: label(b.label.as_deref())?,
        meeting_reminder,
        weekly_digest,
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let record = usecases::chat::create(tx, &who, fields).await?;
            created(
                &ChatDestinationOut::from(&record),
                format!("/api/v1/chat-destinations/{}", record.id),
                Some(etag(record.version)),
            )
        })
    })
    .await
}

/// Your destinations and your team's; for HR admins every team's too (never another person's
/// own).
#[utoipa::path(operation_id = "list_chat_destinations", tag = TAG, params(pagination::PageQuery),
    responses((status = 200, description = "A page of destinations.", body = ChatDestinationPage)))]
#[get("/chat-destinations")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<pagination::PageQuery>,
) -> ApiResult<HttpResponse> {
    let Some(me) = actor.person_id() else {
        return Err(ApiError::Forbidden(
            "chat destinations are set by people, not tokens".into(),
        ));
    };
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let rows = state
        .db
        .list_chat_destinations(Some(me), actor.is_hr_admin(), after, limit + 1)
        .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.id);
    Ok(HttpResponse::Ok().json(ChatDestinationPage {
        data: rows.iter().map(ChatDestinationOut::from).collect(),
        next_cursor,
    }))
}

/// A destination and its last messages (never its address).
#[utoipa::path(operation_id = "read_chat_destination", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The destination.", body = ChatDestinationDetail,
        headers(("ETag" = String)))))]
#[get("/chat-destinations/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let record = managed(&state, &actor, id.into_inner()).await?;
    let recent = state.db.list_jobs(record.id, None, None, 10).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(ChatDestinationDetail {
            destination: ChatDestinationOut::from(&record),
            recent_messages: recent.into_iter().map(DeliveryOut::from).collect(),
        }))
}

/// Change a destination: its platform, label, what it is sent, or its address (`url`, which
/// replaces the stored one).
#[utoipa::path(operation_id = "update_chat_destination", tag = TAG,
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = ChatDestinationPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = ChatDestinationOut,
        headers(("ETag" = String)))))]
#[patch("/chat-destinations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let current = managed(&state, &actor, id.into_inner()).await?;
    let out = ChatDestinationOut::from(&current);
    let f: PatchFields = body.into_inner().apply(&PatchFields {
        platform: out.platform,
        url: None,
        label: current.label.clone(),
        kinds: out.kinds,
    })?;
    let (url, url_hint) = match &f.url {
        Some(raw) => address(raw)?,
        None => (current.url.clone(), current.url_hint.clone()),
    };
    let (meeting_reminder, weekly_digest) = wants(&f.kinds);
    let fields = ChatFields {
        person_id: current.person_id,
        audience: current.audience.clone(),
        platform: domain::Platform::from(f.platform).as_str().to_owned(),
        url,
        url_hint,
        label: label(Some(&f.label))?,
        meeting_reminder,
        weekly_digest,
    };
    if_match.check(&etag(current.version))?;
    let (who, id, expected) = (actor.clone(), current.id, current.version);
    let record = change(&state, move |tx| {
        Box::pin(async move { usecases::chat::update(tx, &who, id, expected, fields).await })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(record.version)))
        .json(ChatDestinationOut::from(&record)))
}

/// Delete a destination and what was queued for it; nothing more is posted there.
#[utoipa::path(operation_id = "delete_chat_destination", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted.")))]
#[delete("/chat-destinations/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let record = managed(&state, &actor, id.into_inner()).await?;
    change(&state, move |tx| {
        Box::pin(async move { usecases::chat::delete(tx, &actor, record.id).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Post a test message now ("oneonone is connected"); follow it in the destination's
/// `recent_messages`.
#[utoipa::path(operation_id = "test_chat_destination", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 202, description = "Queued.", body = Queued)))]
#[post("/chat-destinations/{id}/test")]
pub async fn test(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let record = managed(&state, &actor, id.into_inner()).await?;
    let job = Uuid::now_v7();
    let deadline = oneonone_persistence::now() + chrono::Duration::hours(1);
    change(&state, move |tx| {
        Box::pin(async move {
            tx.enqueue_jobs(&[NewJob {
                id: job,
                channel: usecases::chat::CHANNEL,
                target_id: record.id,
                event_id: Some(job),
                kind: oneonone_jobs::chat::TEST_KIND.to_owned(),
                subject_id: record.id,
                payload: "{}".to_owned(),
                deadline,
                not_before: None,
            }])
            .await?;
            Ok::<_, usecases::Error>(())
        })
    })
    .await?;
    Ok(HttpResponse::Accepted().json(Queued { delivery_id: job }))
}
