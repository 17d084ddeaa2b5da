//! `/api-tokens`: long-lived credentials for integrations, created by HR admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use oneonone_domain::{Scope, Text, policy};
use oneonone_persistence::tokens::ApiTokenRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{API_TOKEN_PREFIX, Auth, random_secret, sha256_hex};
use crate::extract::JsonBody;
use crate::idempotency::{create_once, created};
use crate::pagination::{self, PageQuery};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

/// A permission of an API token. A `:write` scope includes the matching `:read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum TokenScope {
    #[serde(rename = "people:read")]
    PeopleRead,
    #[serde(rename = "people:write")]
    PeopleWrite,
    #[serde(rename = "meetings:read")]
    MeetingsRead,
    #[serde(rename = "meetings:write")]
    MeetingsWrite,
    #[serde(rename = "reports:read")]
    ReportsRead,
    /// Every goal, private ones included, with its history.
    #[serde(rename = "goals:read")]
    GoalsRead,
    /// Webhook subscriptions and their delivery logs.
    #[serde(rename = "webhooks:manage")]
    WebhooksManage,
    /// Escalation and PIP records and the report on them; no other scope includes it.
    #[serde(rename = "escalations:read")]
    EscalationsRead,
}

impl From<TokenScope> for Scope {
    fn from(s: TokenScope) -> Self {
        match s {
            TokenScope::PeopleRead => Scope::PeopleRead,
            TokenScope::PeopleWrite => Scope::PeopleWrite,
            TokenScope::MeetingsRead => Scope::MeetingsRead,
            TokenScope::MeetingsWrite => Scope::MeetingsWrite,
            TokenScope::ReportsRead => Scope::ReportsRead,
            TokenScope::GoalsRead => Scope::GoalsRead,
            TokenScope::WebhooksManage => Scope::WebhooksManage,
            TokenScope::EscalationsRead => Scope::EscalationsRead,
        }
    }
}

impl From<Scope> for TokenScope {
    fn from(s: Scope) -> Self {
        match s {
            Scope::PeopleRead => TokenScope::PeopleRead,
            Scope::PeopleWrite => TokenScope::PeopleWrite,
            Scope::MeetingsRead => TokenScope::MeetingsRead,
            Scope::MeetingsWrite => TokenScope::MeetingsWrite,
            Scope::ReportsRead => TokenScope::ReportsRead,
            Scope::GoalsRead => TokenScope::GoalsRead,
            Scope::WebhooksManage => TokenScope::WebhooksManage,
            Scope::EscalationsRead => TokenScope::EscalationsRead,
        }
    }
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Nightly HR sync", "scopes": ["people:write"]}))]
pub struct ApiTokenIn {
    /// What the token is for.
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub name: String,
    /// At least one.
    #[validate(length(min = 1, max = 10))]
    #[schema(min_items = 1, max_items = 10)]
    pub scopes: Vec<TokenScope>,
}

/// An API token (without its secret).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "name": "Nightly HR sync",
    "prefix": "oo_Zk3q",
    "scopes": ["people:write"],
    "created_by": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "created_at": "2026-11-01T08:00:00Z",
    "last_used_at": null
}))]
pub struct ApiTokenOut {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub scopes: Vec<TokenScope>,
    /// The HR admin who created it; the token stops working when they are deactivated.
    pub created_by: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    /// Updated at most once a minute.
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiTokenRecord> for ApiTokenOut {
    fn from(r: ApiTokenRecord) -> Self {
        Self {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: r
                .scopes
                .split_whitespace()
                .filter_map(|s| s.parse::<Scope>().ok())
                .map(TokenScope::from)
                .collect(),
            created_by: r.created_by,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// A new API token with its secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenCreated {
    #[serde(flatten)]
    pub token: ApiTokenOut,
    /// Use as `Authorization: Bearer <token>`. Stored only as a hash: it cannot be shown again.
    #[schema(example = "oo_Zk3qv8sJ2m0bX1yT7uWcQeR4nH6gA9dLpF5oI3kE2s")]
    pub secret: String,
}

/// A page of API tokens.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTokenPage {
    pub data: Vec<ApiTokenOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Create an API token (HR admins). The secret is in this response only.
#[utoipa::path(operation_id = "create_api_token", tag = super::TAG_TOKENS, request_body = ApiTokenIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Created.", body = ApiTokenCreated,
        headers(("Location" = String, description = "The token's URL.")))))]
#[post("/api-tokens")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<ApiTokenIn>,
) -> ApiResult<HttpResponse> {
    policy::manage_tokens(&actor)?;
    let creator = actor
        .person_id()
        .ok_or_else(|| ApiError::Forbidden("only HR admins manage API tokens".into()))?;
    let name = Text::parse_line(&body.value.name, 100)
        .map_err(|e| ApiError::validation("name", e.to_string()))?;
    let mut scopes: Vec<Scope> = body.value.scopes.iter().copied().map(Scope::from).collect();
    scopes.sort();
    scopes.dedup();
    let scope_text = scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let random = random_secret(32);
            let hash = sha256_hex(random.as_bytes());
            let secret = format!("{API_TOKEN_PREFIX}{random}");
            let prefix: String = secret.chars().take(API_TOKEN_PREFIX.len() + 4).collect();
            let record = usecases::tokens::create(
                tx,
                &who,
                name.as_str(),
                &hash,
                &prefix,
                &scope_text,
                creator,
            )
            .await?;
            let id = record.id;
            let out = ApiTokenCreated {
                token: record.into(),
                secret,
            };
            created(&out, format!("/api/v1/api-tokens/{id}"), None)
        })
    })
    .await
}

/// List the live API tokens (HR admins).
#[utoipa::path(operation_id = "list_api_tokens", tag = super::TAG_TOKENS, params(PageQuery), responses(
    (status = 200, description = "A page of tokens.", body = ApiTokenPage)))]
#[get("/api-tokens")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    policy::manage_tokens(&actor)?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let rows = state.db.list_api_tokens(after, limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.id);
    Ok(HttpResponse::Ok().json(ApiTokenPage {
        data: rows.into_iter().map(ApiTokenOut::from).collect(),
        next_cursor,
    }))
}

/// Read an API token (HR admins).
#[utoipa::path(operation_id = "read_api_token", tag = super::TAG_TOKENS, params(("id" = Uuid, Path)), responses(
    (status = 200, description = "The token.", body = ApiTokenOut)))]
#[get("/api-tokens/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::manage_tokens(&actor)?;
    let record = state.db.get_api_token(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ApiTokenOut::from(record)))
}

/// Revoke an API token (HR admins). It stops working at once and is gone from the API; the
/// record stays in the database for audit.
#[utoipa::path(operation_id = "revoke_api_token", tag = super::TAG_TOKENS, params(("id" = Uuid, Path)), responses(
    (status = 204, description = "Revoked.")))]
#[delete("/api-tokens/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::manage_tokens(&actor)?;
    let id = id.into_inner();
    crate::idempotency::change(&state, move |tx| {
        Box::pin(async move { usecases::tokens::revoke(tx, &actor, id).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
