//! `/people`: the directory and the org chart.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use oneonone_domain::person::{Person, PersonDraft, PersonFields, limits, validate_password};
use oneonone_domain::{Actor, ValidationErrors, policy};
use oneonone_persistence::ImportRow;
use oneonone_persistence::people::{ImportRowResult, PeopleFilter, PeoplePageAfter};
use oneonone_usecases as usecases;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, AuthReads, hash_password};
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{change, create_once, created, reply};
use crate::pagination::{self, PageQuery};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// A person in the directory.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "email": "grace@example.com",
    "display_name": "Grace Hopper",
    "title": "Engineering Manager",
    "department": "Engineering",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "secondary_manager_ids": [],
    "external_id": "HR-1042",
    "hr_admin": false,
    "active": true,
    "created_at": "2026-01-05T09:00:00Z",
    "updated_at": "2026-03-01T12:30:00Z",
    "deactivated_at": null,
    "deleted_at": null
}))]
pub struct PersonOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    /// The person's manager (the reporting line).
    pub manager_id: Option<Uuid>,
    /// Secondary managers in a matrix organisation.
    pub secondary_manager_ids: Vec<Uuid>,
    /// The HR system's key. Present only for HR admins and API tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub hr_admin: bool,
    pub active: bool,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Set only on tombstones of erased people, which appear in `updated_since` listings with
    /// every personal field removed.
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl PersonOut {
    pub fn from_person(p: Person, actor: &Actor) -> Self {
        let hr_fields = policy::see_hr_fields(actor) || actor.person_id() == Some(p.id);
        Self {
            id: p.id,
            email: p.email,
            display_name: p.display_name,
            title: p.title,
            department: p.department,
            manager_id: p.manager_id,
            secondary_manager_ids: p.secondary_manager_ids,
            external_id: if hr_fields { p.external_id } else { None },
            hr_admin: p.hr_admin,
            active: p.active,
            created_at: p.created_at,
            updated_at: p.updated_at,
            deactivated_at: p.deactivated_at,
            deleted_at: p.deleted_at,
        }
    }
}

/// A page of people.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    pub data: Vec<PersonOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A new person.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "grace@example.com",
    "display_name": "Grace Hopper",
    "title": "Engineering Manager",
    "department": "Engineering",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "external_id": "HR-1042"
}))]
pub struct PersonIn {
    /// Unique in the organisation, case-insensitively.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: String,
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub department: Option<String>,
    #[serde(default)]
    pub manager_id: Option<Uuid>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub secondary_manager_ids: Vec<Uuid>,
    /// The HR system's key, unique.
    #[serde(default)]
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub hr_admin: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl PersonIn {
    fn fields(&self) -> PersonFields {
        PersonFields {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            title: self.title.clone(),
            department: self.department.clone(),
            manager_id: self.manager_id,
            secondary_manager_ids: self.secondary_manager_ids.clone(),
            external_id: self.external_id.clone(),
            hr_admin: self.hr_admin,
            active: self.active,
        }
    }

    fn from_fields(f: PersonFields) -> Self {
        Self {
            email: f.email,
            display_name: f.display_name,
            title: f.title,
            department: f.department,
            manager_id: f.manager_id,
            secondary_manager_ids: f.secondary_manager_ids,
            external_id: f.external_id,
            hr_admin: f.hr_admin,
            active: f.active,
        }
    }
}

/// A JSON merge patch (RFC 7396) of a person: send only the fields to change; `null` clears an
/// optional field. A person may change their own `display_name` and `title`; HR admins and
/// `people:write` tokens may change everything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Staff Engineer", "manager_id": null}))]
pub struct PersonPatch {
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        max_length = 200,
        nullable
    )]
    pub title: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        max_length = 200,
        nullable
    )]
    pub department: Option<String>,
    #[schema(nullable)]
    pub manager_id: Option<Uuid>,
    #[schema(max_items = 20, nullable)]
    pub secondary_manager_ids: Option<Vec<Uuid>>,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        max_length = 200,
        nullable
    )]
    pub external_id: Option<String>,
    pub hr_admin: Option<bool>,
    pub active: Option<bool>,
}

/// Filters of `GET /people`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only the direct reports of this manager.
    pub manager_id: Option<Uuid>,
    /// Only this department (exact match).
    pub department: Option<String>,
    /// Only active (`true`) or deactivated (`false`) people.
    pub active: Option<bool>,
    /// Sync: only people changed at or after this instant, ordered by change (`updated_at`,
    /// then `id`). Deactivations show up here too.
    pub updated_since: Option<DateTime<Utc>>,
    /// Free text matched anywhere in name or email, case-insensitively.
    #[param(max_length = 200)]
    pub q: Option<String>,
}

fn no_nul(field: &str, value: Option<&str>) -> ApiResult<()> {
    if value.is_some_and(oneonone_domain::text::has_nul) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("{field} must not contain the NUL character"),
        });
    }
    Ok(())
}

/// Where the next page starts. (Untagged: the richer variant must come first.)
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum PeopleCursor {
    Updated { at: DateTime<Utc>, id: Uuid },
    Id { id: Uuid },
}

fn person_response(status: actix_web::http::StatusCode, p: Person, actor: &Actor) -> HttpResponse {
    let tag = etag(p.version);
    HttpResponse::build(status)
        .insert_header((header::ETAG, tag))
        .json(PersonOut::from_person(p, actor))
}

async fn page_of_people(
    state: &AppState,
    actor: &Actor,
    mut filter: PeopleFilter,
    cursor: Option<&str>,
) -> ApiResult<PersonPage> {
    let limit = filter.limit;
    if let Some(c) = cursor {
        filter.after = Some(match pagination::decode::<PeopleCursor>(c)? {
            PeopleCursor::Id { id } => PeoplePageAfter::Id(id),
            PeopleCursor::Updated { at, id } => PeoplePageAfter::Updated(at, id),
        });
    }
    filter.limit = limit + 1;
    let rows = state.db.list_people(&filter).await?;
    let (rows, more) = pagination::split_page(rows, limit);
    let next_cursor = match rows.last() {
        Some(last) if more => Some(pagination::encode(&if filter.updated_since.is_some() {
            PeopleCursor::Updated {
                at: last.updated_at,
                id: last.id,
            }
        } else {
            PeopleCursor::Id { id: last.id }
        })),
        _ => None,
    };
    Ok(PersonPage {
        data: rows
            .into_iter()
            .map(|p| PersonOut::from_person(p, actor))
            .collect(),
        next_cursor,
    })
}

/// List people.
///
/// Everyone signed in can read the directory; tokens need `people:read`. Ordered by creation
/// (`id`), or by change with `updated_since`, so pages never skip or repeat a row.
#[utoipa::path(operation_id = "list_people", tag = super::TAG_PEOPLE, params(PeopleQuery), responses(
    (status = 200, description = "A page of people.", body = PersonPage)
))]
#[get("/people")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<PeopleQuery>,
) -> ApiResult<HttpResponse> {
    policy::read_directory(&actor)?;
    let q = query.into_inner();
    no_nul("department", q.department.as_deref())?;
    no_nul("q", q.q.as_deref())?;
    if q.q.as_deref().is_some_and(|s| s.chars().count() > 200) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: "q must be at most 200 characters".into(),
        });
    }
    let filter = PeopleFilter {
        manager_id: q.manager_id,
        department: q.department,
        active: q.active,
        updated_since: q.updated_since,
        q: q.q.filter(|s| !s.trim().is_empty()),
        after: None,
        limit: pagination::limit(q.limit)?,
    };
    let page = page_of_people(&state, &actor, filter, q.cursor.as_deref()).await?;
    Ok(HttpResponse::Ok().json(page))
}

fn location(id: Uuid) -> String {
    format!("/api/v1/people/{id}")
}

/// Create a person.
///
/// HR admins and `people:write` tokens. Send an `Idempotency-Key` to retry safely.
#[utoipa::path(operation_id = "create_person", tag = super::TAG_PEOPLE, request_body = PersonIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses(
        (status = 201, description = "Created.", body = PersonOut,
            headers(("Location" = String, description = "The new person's URL."), ("ETag" = String))),
        (status = 409, description = "Email or external_id already taken.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/people")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<PersonIn>,
) -> ApiResult<HttpResponse> {
    policy::manage_people(&actor)?;
    let fields = body.value.fields();
    PersonDraft::parse(&fields, None)?;
    let me = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let person = usecases::people::create(tx, &me, fields).await?;
            let (id, tag) = (person.id, etag(person.version));
            created(
                &PersonOut::from_person(person, &me),
                location(id),
                Some(tag),
            )
        })
    })
    .await
}

/// Read a person.
#[utoipa::path(operation_id = "read_person", tag = super::TAG_PEOPLE, params(("id" = Uuid, Path)), responses(
    (status = 200, description = "The person.", body = PersonOut, headers(("ETag" = String, description = "Send as If-Match to update safely.")))
))]
#[get("/people/{id}")]
pub async fn read(
    AuthReads(actor, mut reads): AuthReads,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::read_directory(&actor)?;
    let person = reads.get_person(id.into_inner()).await?;
    Ok(person_response(
        actix_web::http::StatusCode::OK,
        person,
        &actor,
    ))
}

const PATCHABLE: [&str; 9] = [
    "email",
    "display_name",
    "title",
    "department",
    "manager_id",
    "secondary_manager_ids",
    "external_id",
    "hr_admin",
    "active",
];

/// Change a person (JSON merge patch).
///
/// Send `If-Match` with the ETag you read to avoid overwriting someone else's change (412 when
/// stale). A manager change that would form a reporting cycle is refused (422).
#[utoipa::path(operation_id = "update_person", tag = super::TAG_PEOPLE,
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = PersonPatch, content_type = "application/merge-patch+json"),
    responses(
        (status = 200, description = "Updated.", body = PersonOut, headers(("ETag" = String))),
        (status = 409, description = "Email or external_id already taken, or the last HR admin would be lost.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[patch("/people/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    policy::read_directory(&actor)?;
    let patch = body.into_inner().0;
    if let Some(unknown) = patch.keys().find(|k| !PATCHABLE.contains(&k.as_str())) {
        return Err(ApiError::validation(unknown, "unknown field"));
    }
    let precondition = if_match.precondition();
    let me = actor.clone();
    let person = change(&state, move |tx| {
        Box::pin(async move {
            let edit: usecases::people::Edit = Box::new(move |current| apply_patch(current, patch));
            usecases::people::update(tx, &me, id, edit, &precondition).await
        })
    })
    .await?;
    Ok(person_response(
        actix_web::http::StatusCode::OK,
        person,
        &actor,
    ))
}

/// Apply a merge patch to a person's fields: the new fields and the names of those it changes.
fn apply_patch(
    current: PersonFields,
    patch: serde_json::Map<String, serde_json::Value>,
) -> usecases::Result<(PersonFields, Vec<&'static str>)> {
    let before =
        serde_json::to_value(PersonIn::from_fields(current)).map_err(usecases::Error::internal)?;
    let mut merged = before.clone();
    json_patch::merge(&mut merged, &serde_json::Value::Object(patch));
    if let Some(obj) = merged.as_object_mut()
        && obj
            .get("secondary_manager_ids")
            .is_some_and(|v| v.is_null())
    {
        obj.insert("secondary_manager_ids".into(), serde_json::json!([]));
    }
    let changed: Vec<&'static str> = PATCHABLE
        .iter()
        .copied()
        .filter(|f| before.get(f) != merged.get(f))
        .collect();
    let fields: PersonIn =
        crate::extract::parse_json(merged.to_string().as_bytes()).map_err(|e| match e {
            ApiError::Validation(v) => usecases::Error::Invalid(v),
            other => usecases::Error::invalid("body", other.to_string()),
        })?;
    Ok((fields.fields(), changed))
}

/// Set a person's `active` flag, honouring `If-Match`.
async fn set_active(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    active: bool,
) -> ApiResult<HttpResponse> {
    let precondition = if_match.precondition();
    let me = actor.clone();
    let person = change(state, move |tx| {
        Box::pin(
            async move { usecases::people::set_active(tx, &me, id, active, &precondition).await },
        )
    })
    .await?;
    Ok(person_response(
        actix_web::http::StatusCode::OK,
        person,
        actor,
    ))
}

/// Deactivate a person (a leaver).
///
/// People are never deleted: their 1:1 history stays, and they still show in the directory
/// with `active: false`. A deactivated person cannot sign in, and their access tokens and the
/// API tokens they created stop working at once. Deactivating twice changes nothing.
#[utoipa::path(tag = super::TAG_PEOPLE, operation_id = "deactivate_person",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses(
        (status = 200, description = "Deactivated (or already inactive).", body = PersonOut, headers(("ETag" = String))),
        (status = 409, description = "The last active HR admin cannot be deactivated.", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The person changed since you read them.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/people/{id}/deactivate")]
pub async fn deactivate(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    set_active(&state, &actor, id.into_inner(), &if_match, false).await
}

/// Reactivate a person (a returner). Reactivating an active person changes nothing.
#[utoipa::path(tag = super::TAG_PEOPLE, operation_id = "reactivate_person",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses(
        (status = 200, description = "Active.", body = PersonOut, headers(("ETag" = String))),
        (status = 412, description = "The person changed since you read them.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/people/{id}/reactivate")]
pub async fn reactivate(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    set_active(&state, &actor, id.into_inner(), &if_match, true).await
}

/// Erase a person (the right to erasure).
///
/// Removes every personal field for good; this cannot be undone. For a leaver, deactivate
/// instead. The record stays as a tombstone: reading it gives 404, lists leave it out, and
/// `updated_since` listings return it with `deleted_at` set so syncing systems delete their copy.
/// A person who still has reports (direct or as a secondary manager) cannot be erased (reassign
/// them first), nor can the last active HR admin.
#[utoipa::path(tag = super::TAG_PEOPLE, operation_id = "erase_person",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses(
        (status = 204, description = "Erased."),
        (status = 409, description = "People still report to this person, or they are the last active HR admin.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[delete("/people/{id}")]
pub async fn erase(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let precondition = if_match.precondition();
    change(&state, move |tx| {
        Box::pin(async move { usecases::people::erase(tx, &actor, id, &precondition).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List a person's direct reports.
#[utoipa::path(operation_id = "list_direct_reports", tag = super::TAG_PEOPLE, params(("id" = Uuid, Path), PageQuery), responses(
    (status = 200, description = "A page of direct reports, active and deactivated.", body = PersonPage)
))]
#[get("/people/{id}/direct-reports")]
pub async fn direct_reports(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    policy::read_directory(&actor)?;
    let id = id.into_inner();
    state.db.get_person(id).await?;
    let q = query.into_inner();
    let filter = PeopleFilter {
        manager_id: Some(id),
        limit: pagination::limit(q.limit)?,
        ..PeopleFilter::default()
    };
    let page = page_of_people(&state, &actor, filter, q.cursor.as_deref()).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A password to set.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "a long initial passphrase"}))]
pub struct SetPassword {
    #[schema(pattern = r"^[^\u0000]*$", min_length = 12, max_length = 256)]
    pub password: String,
}

/// Set a person's password (HR admins), e.g. an initial one.
#[utoipa::path(operation_id = "set_person_password", tag = super::TAG_PEOPLE, params(("id" = Uuid, Path)), request_body = SetPassword,
    responses((status = 204, description = "Set.")))]
#[put("/people/{id}/password")]
pub async fn set_password(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: JsonBody<SetPassword>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    policy::read_directory(&actor)?;
    state.db.get_person(id).await?;
    policy::set_password(&actor, id)?;
    let password = body.into_inner().password;
    validate_password("password", &password)?;
    let hash = hash_password(password).await?;
    change(&state, move |tx| {
        Box::pin(async move { usecases::people::set_password(tx, &actor, id, &hash).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One person from the HR system.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct ImportRowIn {
    /// The HR system's key; rows match stored people by it, else by email.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub external_id: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 200
    )]
    pub display_name: String,
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub title: Option<String>,
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub department: Option<String>,
    /// The manager's `external_id`, in this batch or already stored.
    #[schema(pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$", max_length = 200)]
    pub manager_external_id: Option<String>,
    /// `false` deactivates a leaver. Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
}

/// A batch of people to create or update.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rows": [
    {"external_id": "HR-1", "email": "ceo@example.com", "display_name": "Ada Lovelace", "title": "CEO"},
    {"external_id": "HR-2", "email": "grace@example.com", "display_name": "Grace Hopper", "manager_external_id": "HR-1", "department": "Engineering"}
]}))]
pub struct ImportRequest {
    /// 1 to 10,000 rows.
    #[validate(length(min = 1, max = 10000))]
    #[schema(min_items = 1, max_items = 10000)]
    pub rows: Vec<ImportRowIn>,
}

/// What happened to a row.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Created,
    Updated,
    Unchanged,
}

/// The result of one row.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowOut {
    /// Position in `rows`, from 0.
    pub index: usize,
    pub status: ImportStatus,
    pub id: Uuid,
}

/// The result of an import.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"created": 1, "updated": 1, "unchanged": 0, "rows": [
    {"index": 0, "status": "updated", "id": "019a6a5e-8f5e-7cc0-9a53-000000000001"},
    {"index": 1, "status": "created", "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e"}
]}))]
pub struct ImportResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rows: Vec<ImportRowOut>,
}

/// Create or update many people at once (the nightly HR sync).
///
/// Up to 10,000 rows in one transaction, **all or nothing**: if any row is invalid (bad field,
/// unknown manager, duplicate email, a reporting cycle) nothing is written and the 422 problem
/// lists every bad row's fields as `rows[i].field`. Rows match stored people by `external_id`,
/// else by email; managers are referenced by `external_id`. Running the same import twice
/// changes nothing the second time.
#[utoipa::path(operation_id = "import_people", tag = super::TAG_PEOPLE, request_body = ImportRequest,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 200, description = "Applied.", body = ImportResult)))]
#[post("/people/import")]
pub async fn import(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<ImportRequest, { 32 * 1024 * 1024 }>,
) -> ApiResult<HttpResponse> {
    policy::manage_people(&actor)?;
    let mut errors = ValidationErrors::default();
    let mut rows = Vec::with_capacity(body.value.rows.len());
    for (i, row) in body.value.rows.iter().enumerate() {
        let fields = PersonFields {
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            title: row.title.clone(),
            department: row.department.clone(),
            external_id: row.external_id.clone(),
            active: row.active,
            ..PersonFields::default()
        };
        let manager = row
            .manager_external_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if manager.is_some_and(|m| m.chars().count() > limits::EXTERNAL_ID) {
            errors.push(format!("rows[{i}].manager_external_id"), "too long");
        }
        match PersonDraft::parse(&fields, None) {
            Ok(draft) => rows.push(ImportRow {
                draft,
                manager_external_id: manager.map(str::to_owned),
            }),
            Err(e) => errors.0.extend(e.prefixed(&format!("rows[{i}].")).0),
        }
    }
    errors.into_result()?;
    let me = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let outcome = usecases::people::import(tx, &me, &rows).await?;
            reply(
                actix_web::http::StatusCode::OK,
                &import_result(outcome.rows),
                None,
                None,
            )
        })
    })
    .await
}

/// The response to an applied import: counts, and each row's result in input order.
fn import_result(rows: Vec<ImportRowResult>) -> ImportResult {
    let mut result = ImportResult {
        created: 0,
        updated: 0,
        unchanged: 0,
        rows: Vec::with_capacity(rows.len()),
    };
    for (index, r) in rows.into_iter().enumerate() {
        let (status, id) = match r {
            ImportRowResult::Created(id) => {
                result.created += 1;
                (ImportStatus::Created, id)
            }
            ImportRowResult::Updated(id) => {
                result.updated += 1;
                (ImportStatus::Updated, id)
            }
            ImportRowResult::Unchanged(id) => {
                result.unchanged += 1;
                (ImportStatus::Unchanged, id)
            }
            ImportRowResult::Failed(_) => continue,
        };
        result.rows.push(ImportRowOut { index, status, id });
    }
    result
}
