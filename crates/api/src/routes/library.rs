//! `/conversation-starters` and `/agenda-templates`: the library HR admins curate, and its use
//! in meetings.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::{Actor, Text, policy};
use oneonone_persistence::library::{Starter, Template};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::agenda::{Category, ItemOut, ItemPage};
use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{change, create_once, created, reply};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

/// A conversation starter.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d70", "category": "career", "question": "Which skills would you like to build next?", "active": true, "updated_at": "2026-11-01T08:00:00Z"}))]
pub struct StarterOut {
    pub id: Uuid,
    pub category: Category,
    pub question: String,
    /// Inactive starters are kept (their past use still counts) but no longer suggested.
    pub active: bool,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<Starter> for StarterOut {
    fn from(s: Starter) -> Self {
        Self {
            id: s.id,
            category: s.category.into(),
            question: s.question,
            active: s.active,
            updated_at: s.updated_at,
        }
    }
}

/// The starters, by category.
#[derive(Debug, Serialize, ToSchema)]
pub struct StarterPage {
    pub data: Vec<StarterOut>,
    /// Always `null`: the library comes whole.
    pub next_cursor: Option<String>,
}

/// Filters of `GET /conversation-starters`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StarterQuery {
    pub category: Option<Category>,
    /// Include retired starters (default `false`).
    pub include_inactive: Option<bool>,
}

fn signed_in_person_or_hr(actor: &Actor) -> ApiResult<()> {
    Ok(policy::read_library(actor)?)
}

fn hr_only(actor: &Actor) -> ApiResult<()> {
    Ok(policy::curate_library(actor)?)
}

/// The conversation-starter library.
#[utoipa::path(tag = "library", operation_id = "list_conversation_starters", params(StarterQuery),
    responses((status = 200, description = "The starters.", body = StarterPage)))]
#[get("/conversation-starters")]
pub async fn list_starters(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<StarterQuery>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let q = query.into_inner();
    let rows = state
        .db
        .list_starters(
            q.category.map(Into::into),
            q.include_inactive.unwrap_or(false),
        )
        .await?;
    Ok(HttpResponse::Ok().json(StarterPage {
        data: rows.into_iter().map(StarterOut::from).collect(),
        next_cursor: None,
    }))
}

/// A new starter.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "wellbeing", "question": "What would make next week better than this one?"}))]
pub struct StarterIn {
    pub category: Category,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub question: String,
}

fn question(raw: &str) -> ApiResult<String> {
    Text::parse_line(raw, 300)
        .map(Text::into_string)
        .map_err(|e| ApiError::validation("question", e.to_string()))
}

/// Add a starter to the library (HR admins). Send an `Idempotency-Key` to retry safely.
#[utoipa::path(tag = "library", operation_id = "create_conversation_starter", request_body = StarterIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Added.", body = StarterOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/conversation-starters")]
pub async fn create_starter(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<StarterIn>,
) -> ApiResult<HttpResponse> {
    hr_only(&actor)?;
    let q = question(&body.value.question)?;
    let (who, category) = (actor.clone(), body.value.category.into());
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let s = usecases::library::create_starter(tx, &who, category, &q).await?;
            let (location, tag) = (
                format!("/api/v1/conversation-starters/{}", s.id),
                etag(s.version),
            );
            created(&StarterOut::from(s), location, Some(tag))
        })
    })
    .await
}

/// Read a starter.
#[utoipa::path(tag = "library", operation_id = "read_conversation_starter", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The starter.", body = StarterOut, headers(("ETag" = String)))))]
#[get("/conversation-starters/{id}")]
pub async fn read_starter(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let s = state.db.get_starter(id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(s.version)))
        .json(StarterOut::from(s)))
}

/// Changes to a starter (JSON merge patch).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": false}))]
pub struct StarterPatch {
    pub category: Option<Category>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub question: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct StarterFields {
    category: Category,
    question: String,
    active: bool,
}

/// Edit or retire a starter (HR admins).
#[utoipa::path(tag = "library", operation_id = "update_conversation_starter",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = StarterPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = StarterOut, headers(("ETag" = String)))))]
#[patch("/conversation-starters/{id}")]
pub async fn update_starter(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let current = state.db.get_starter(id.into_inner()).await?;
    hr_only(&actor)?;
    let f: StarterFields = body.into_inner().apply(&StarterFields {
        category: current.category.into(),
        question: current.question.clone(),
        active: current.active,
    })?;
    let q = question(&f.question)?;
    if_match.check(&etag(current.version))?;
    let (who, category, active) = (actor.clone(), f.category.into(), f.active);
    let s = change(&state, move |tx| {
        Box::pin(async move {
            usecases::library::update_starter(tx, &who, &current, category, &q, active).await
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(s.version)))
        .json(StarterOut::from(s)))
}

/// How many suggestions.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// 1 to 20 (default 5).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<u32>,
}

/// Starters this pair has not used in the last 90 days, from the topics they have used least.
/// Add one with `POST /meetings/{id}/agenda-items` and its `starter_id`.
#[utoipa::path(tag = "library", operation_id = "suggested_starters", params(("id" = Uuid, Path), SuggestQuery),
    responses((status = 200, description = "Suggestions.", body = StarterPage)))]
#[get("/meetings/{id}/suggested-starters")]
pub async fn suggested(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    query: web::Query<SuggestQuery>,
) -> ApiResult<HttpResponse> {
    let (meeting, viewer) = state.participant(&actor, id.into_inner()).await?;
    let limit = match query.limit {
        None => 5,
        Some(n) if (1..=20).contains(&n) => i64::from(n),
        Some(_) => {
            return Err(ApiError::BadRequest {
                code: "invalid_query",
                detail: "limit must be between 1 and 20".into(),
            });
        }
    };
    let since = Utc::now() - Duration::days(90);
    let rows = state
        .db
        .suggested_starters(meeting.manager_id, meeting.report_id, viewer, since, limit)
        .await?;
    Ok(HttpResponse::Ok().json(StarterPage {
        data: rows.into_iter().map(StarterOut::from).collect(),
        next_cursor: None,
    }))
}

/// One talking point of a template.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TemplateItem {
    pub category: Category,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub title: String,
}

/// An agenda template.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d80", "owner_id": null, "kind": "weekly", "name": "Weekly 1:1", "items": [{"category": "wellbeing", "title": "How are you doing?"}], "updated_at": "2026-11-01T08:00:00Z"}))]
pub struct TemplateOut {
    pub id: Uuid,
    /// The person whose own template this is; `null` for the shared library.
    pub owner_id: Option<Uuid>,
    /// `weekly`, `first_one_on_one`, `career`, `skip_level`, `peer`, `new_hire_30_60_90` for the
    /// seeded ones; `custom` for those made since.
    pub kind: String,
    pub name: String,
    pub items: Vec<TemplateItem>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<Template> for TemplateOut {
    fn from(t: Template) -> Self {
        Self {
            id: t.id,
            owner_id: t.owner_id,
            kind: t.kind,
            name: t.name,
            items: t
                .items
                .into_iter()
                .map(|(c, title)| TemplateItem {
                    category: c.into(),
                    title,
                })
                .collect(),
            updated_at: t.updated_at,
        }
    }
}

/// The templates.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePage {
    pub data: Vec<TemplateOut>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}

/// The agenda templates: the shared library and your own (HR admins: every template).
#[utoipa::path(tag = "library", operation_id = "list_agenda_templates",
    responses((status = 200, description = "The templates.", body = TemplatePage)))]
#[get("/agenda-templates")]
pub async fn list_templates(
    state: web::Data<AppState>,
    Auth(actor): Auth,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let rows = state
        .db
        .list_templates(actor.person_id(), actor.is_hr_admin())
        .await?;
    Ok(HttpResponse::Ok().json(TemplatePage {
        data: rows.into_iter().map(TemplateOut::from).collect(),
        next_cursor: None,
    }))
}

/// Changes to a template (JSON merge patch; `items` replaces the whole list).
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct TemplatePatch {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub name: Option<String>,
    #[schema(min_items = 1, max_items = 30)]
    pub items: Option<Vec<TemplateItem>>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct TemplateFields {
    name: String,
    items: Vec<TemplateItem>,
}

/// A template's name and talking points, checked.
fn template_fields(
    name: &str,
    items: &[TemplateItem],
) -> ApiResult<(Text, Vec<(AgendaCategory, String)>)> {
    let name =
        Text::parse_line(name, 100).map_err(|e| ApiError::validation("name", e.to_string()))?;
    if items.is_empty() || items.len() > 30 {
        return Err(ApiError::validation(
            "items",
            "must hold 1 to 30 talking points",
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let t = Text::parse_line(&item.title, 300)
            .map_err(|e| ApiError::validation(&format!("items[{i}].title"), e.to_string()))?;
        out.push((AgendaCategory::from(item.category), t.into_string()));
    }
    Ok((name, out))
}

/// A new template.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Project retro 1:1", "items": [{"category": "feedback", "title": "What went well on the launch?"}]}))]
pub struct TemplateIn {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 100
    )]
    pub name: String,
    #[schema(min_items = 1, max_items = 30)]
    pub items: Vec<TemplateItem>,
}

/// Make a template: HR admins add to the shared library; anyone else makes one of their own,
/// which only they (and HR admins) see. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(tag = "library", operation_id = "create_agenda_template", request_body = TemplateIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Made.", body = TemplateOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/agenda-templates")]
pub async fn create_template(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<TemplateIn>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let (name, items) = template_fields(&body.value.name, &body.value.items)?;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let t = usecases::library::create_template(tx, &who, name.as_str(), &items).await?;
            let (location, tag) = (
                format!("/api/v1/agenda-templates/{}", t.id),
                etag(t.version),
            );
            created(&TemplateOut::from(t), location, Some(tag))
        })
    })
    .await
}

/// Read a template (a shared one, or your own).
#[utoipa::path(tag = "library", operation_id = "read_agenda_template", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The template.", body = TemplateOut, headers(("ETag" = String)))))]
#[get("/agenda-templates/{id}")]
pub async fn read_template(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let t = state.db.get_template(id.into_inner()).await?;
    if !policy::see_template(&actor, t.owner_id) {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(t.version)))
        .json(TemplateOut::from(t)))
}

/// Delete a template (HR admins any, people their own). Series that started every meeting with
/// it stop doing so; talking points it already put on agendas stay.
#[utoipa::path(tag = "library", operation_id = "delete_agenda_template",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 204, description = "Deleted.")))]
#[delete("/agenda-templates/{id}")]
pub async fn delete_template(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let (id, precondition) = (id.into_inner(), if_match.precondition());
    change(&state, move |tx| {
        Box::pin(
            async move { usecases::library::delete_template(tx, &actor, id, &precondition).await },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Edit a template (HR admins any, people their own).
#[utoipa::path(tag = "library", operation_id = "update_agenda_template",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = TemplatePatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = TemplateOut, headers(("ETag" = String)))))]
#[patch("/agenda-templates/{id}")]
pub async fn update_template(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    signed_in_person_or_hr(&actor)?;
    let current = state.db.get_template(id.into_inner()).await?;
    if !policy::see_template(&actor, current.owner_id) {
        return Err(ApiError::NotFound);
    }
    policy::edit_template(&actor, current.owner_id)?;
    let f: TemplateFields = body.into_inner().apply(&TemplateFields {
        name: current.name.clone(),
        items: TemplateOut::from(current.clone()).items,
    })?;
    let (name, items) = template_fields(&f.name, &f.items)?;
    if_match.check(&etag(current.version))?;
    let who = actor.clone();
    let t = change(&state, move |tx| {
        Box::pin(async move {
            usecases::library::update_template(tx, &who, &current, name.as_str(), &items).await
        })
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::OK)
        .insert_header((header::ETAG, etag(t.version)))
        .json(TemplateOut::from(t)))
}

/// Which template to apply.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ApplyTemplate {
    pub template_id: Uuid,
}

/// Add a template's talking points to a meeting's agenda (shared, authored by you). Send an
/// `Idempotency-Key` to retry safely: a replay does not add them twice.
#[utoipa::path(tag = "library", operation_id = "apply_agenda_template", params(("id" = Uuid, Path), crate::extract::IdempotencyKeyHeader),
    request_body = ApplyTemplate,
    responses((status = 200, description = "The agenda with the template's items.", body = ItemPage)))]
#[post("/meetings/{id}/apply-template")]
pub async fn apply_template(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBody<ApplyTemplate>,
) -> ApiResult<HttpResponse> {
    let (meeting, me) = state.participant(&actor, id.into_inner()).await?;
    let template = state
        .db
        .get_template(body.value.template_id)
        .await
        .map_err(ApiError::unless_found("template_id", "no such template"))?;
    if !policy::see_template(&actor, template.owner_id) {
        return Err(ApiError::validation("template_id", "no such template"));
    }
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let items =
                usecases::meetings::apply_template(tx, &who, &meeting, me, &template).await?;
            let page = ItemPage {
                data: items.into_iter().map(ItemOut::from).collect(),
                next_cursor: None,
            };
            reply(StatusCode::OK, &page, None, None)
        })
    })
    .await
}
