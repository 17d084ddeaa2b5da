//! `/meetings/{id}/agenda-items` and `/meetings/{id}/notes`: the content of a 1:1.
//!
//! Content belongs to the two participants; private items and private notes to their author
//! alone. HR admins and `meetings:read` tokens know the meeting exists (403 here); anyone else
//! gets 404.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use oneonone_domain::agenda::{self, AgendaCategory, AgendaItem, AgendaText};
use oneonone_domain::meeting::Meeting;
use oneonone_domain::{Actor, Text};
use oneonone_persistence::agenda::{ItemUpdate, Note, SHARED_NOTE};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::{change, create_once, created};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

/// The topic of an agenda item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Career,
    Coaching,
    Feedback,
    Goals,
    Wellbeing,
    Concerns,
    Ideas,
    Recognition,
    StatusUpdate,
    Other,
}

impl From<Category> for AgendaCategory {
    fn from(c: Category) -> Self {
        match c {
            Category::Career => AgendaCategory::Career,
            Category::Coaching => AgendaCategory::Coaching,
            Category::Feedback => AgendaCategory::Feedback,
            Category::Goals => AgendaCategory::Goals,
            Category::Wellbeing => AgendaCategory::Wellbeing,
            Category::Concerns => AgendaCategory::Concerns,
            Category::Ideas => AgendaCategory::Ideas,
            Category::Recognition => AgendaCategory::Recognition,
            Category::StatusUpdate => AgendaCategory::StatusUpdate,
            Category::Other => AgendaCategory::Other,
        }
    }
}

impl From<AgendaCategory> for Category {
    fn from(c: AgendaCategory) -> Self {
        match c {
            AgendaCategory::Career => Category::Career,
            AgendaCategory::Coaching => Category::Coaching,
            AgendaCategory::Feedback => Category::Feedback,
            AgendaCategory::Goals => Category::Goals,
            AgendaCategory::Wellbeing => Category::Wellbeing,
            AgendaCategory::Concerns => Category::Concerns,
            AgendaCategory::Ideas => Category::Ideas,
            AgendaCategory::Recognition => Category::Recognition,
            AgendaCategory::StatusUpdate => Category::StatusUpdate,
            AgendaCategory::Other => Category::Other,
        }
    }
}

/// A new talking point.
#[derive(Debug, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "What would a move to staff engineer take?", "category": "career", "private": false}))]
pub struct ItemIn {
    /// Required unless `starter_id` is given (then the starter's question is the default).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    #[serde(default)]
    pub title: Option<String>,
    /// A conversation starter this talking point comes from; its use is recorded for the pair
    /// and for topic reports. Its category is the default.
    #[serde(default)]
    pub starter_id: Option<Uuid>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 10000
    )]
    #[serde(default)]
    pub details: Option<String>,
    /// Default `other`.
    #[serde(default)]
    pub category: Option<Category>,
    /// Visible to you alone. Default `false`.
    #[serde(default)]
    pub private: bool,
    /// A goal of yours or the other participant's to discuss ("discuss this goal"); its title
    /// and the `goals` category are the defaults. A shared talking point takes only a goal the
    /// other participant may see. When a held 1:1 checks it off, the goal notes that 1:1 as
    /// the last it was discussed in.
    #[serde(default)]
    pub goal_id: Option<Uuid>,
}

/// Changes to a talking point (JSON merge patch). Only its author changes `title`, `details`,
/// `category` and `private`; either participant checks it off (`checked`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"checked": true}))]
pub struct ItemPatch {
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub title: Option<String>,
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 10000,
        nullable
    )]
    pub details: Option<String>,
    pub category: Option<Category>,
    pub private: Option<bool>,
    /// Discussed.
    pub checked: Option<bool>,
}

/// A talking point.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d50",
    "meeting_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d40",
    "author_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "title": "What would a move to staff engineer take?",
    "details": null,
    "category": "career",
    "private": false,
    "position": null,
    "checked": false,
    "checked_at": null,
    "first_added_at": "2026-11-20T08:00:00Z",
    "times_carried": 1,
    "goal_id": null,
    "created_at": "2026-11-20T08:00:00Z",
    "updated_at": "2026-11-27T09:31:00Z"
}))]
pub struct ItemOut {
    pub id: Uuid,
    /// The meeting it is on now (it moves on when carried over).
    pub meeting_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub details: Option<String>,
    pub category: Category,
    /// Visible to its author alone.
    pub private: bool,
    /// Set once the agenda was reordered; otherwise the report's items come first.
    pub position: Option<i32>,
    pub checked: bool,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub checked_at: Option<DateTime<Utc>>,
    /// When it was first added, before any carry-over.
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub first_added_at: DateTime<Utc>,
    /// How many times it moved on to the next meeting undiscussed.
    pub times_carried: i32,
    /// The goal it is about.
    pub goal_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<AgendaItem> for ItemOut {
    fn from(i: AgendaItem) -> Self {
        Self {
            id: i.id,
            meeting_id: i.meeting_id,
            author_id: i.author_id,
            title: i.title,
            details: i.details,
            category: i.category.into(),
            private: i.private,
            position: i.position,
            checked: i.checked,
            checked_at: i.checked_at,
            first_added_at: i.first_added_at,
            times_carried: i.times_carried,
            goal_id: i.goal_id,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// The agenda of a meeting, in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    pub data: Vec<ItemOut>,
    /// Always `null`: an agenda comes whole.
    pub next_cursor: Option<String>,
}

/// An item `viewer` may see, or 404 (a private item of the other person does not exist for you).
async fn visible_item(
    state: &AppState,
    meeting: Uuid,
    item: Uuid,
    viewer: Uuid,
) -> ApiResult<AgendaItem> {
    let item = state.db.get_agenda_item(meeting, item).await?;
    if !item.visible_to(viewer) {
        return Err(ApiError::NotFound);
    }
    Ok(item)
}

/// An agenda as one participant sees it: what they may see, in order, numbered without gaps.
pub(crate) fn agenda_as_seen(mut items: Vec<AgendaItem>) -> Vec<ItemOut> {
    oneonone_domain::agenda::dense_positions(&mut items);
    items.into_iter().map(ItemOut::from).collect()
}

/// One item with the position `viewer` sees it at (see [`agenda_as_seen`]).
async fn item_as_seen(
    state: &AppState,
    meeting: &Meeting,
    viewer: Uuid,
    mut item: AgendaItem,
) -> ApiResult<AgendaItem> {
    if item.position.is_some() {
        let mut agenda = state
            .db
            .list_agenda(meeting.id, viewer, meeting.report_id)
            .await?;
        oneonone_domain::agenda::dense_positions(&mut agenda);
        item.position = agenda
            .iter()
            .find(|i| i.id == item.id)
            .and_then(|i| i.position);
    }
    Ok(item)
}

fn item_response(status: StatusCode, item: AgendaItem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(item.version)))
        .json(ItemOut::from(item))
}

/// The agenda: shared items and your own private ones.
#[utoipa::path(tag = "agenda", operation_id = "list_agenda_items", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The agenda, in order.", body = ItemPage)))]
#[get("/meetings/{id}/agenda-items")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (meeting, viewer) = state.participant(&actor, id.into_inner()).await?;
    let items = state
        .db
        .list_agenda(meeting.id, viewer, meeting.report_id)
        .await?;
    Ok(HttpResponse::Ok().json(ItemPage {
        data: agenda_as_seen(items),
        next_cursor: None,
    }))
}

/// Add a talking point (either participant). Private ones are visible to you alone.
#[utoipa::path(tag = "agenda", operation_id = "create_agenda_item", params(("id" = Uuid, Path), crate::extract::IdempotencyKeyHeader),
    request_body = ItemIn,
    responses((status = 201, description = "Added.", body = ItemOut, headers(("Location" = String), ("ETag" = String)))))]
#[post("/meetings/{id}/agenda-items")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: JsonBody<ItemIn>,
) -> ApiResult<HttpResponse> {
    let check =
        usecases::meetings::ParticipantCheck::prepare(&state.db, &actor, id.into_inner()).await?;
    let new = usecases::meetings::NewItem {
        title: body.value.title.clone(),
        details: body.value.details.clone(),
        category: body.value.category.map(Into::into),
        private: body.value.private,
        starter_id: body.value.starter_id,
        goal_id: body.value.goal_id,
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let (meeting, item) =
                usecases::meetings::add_agenda_item_as_participant(tx, &who, check, &new).await?;
            let location = format!("/api/v1/meetings/{}/agenda-items/{}", meeting.id, item.id);
            let tag = etag(item.version);
            created(&ItemOut::from(item), location, Some(tag))
        })
    })
    .await
}

/// Read a talking point.
#[utoipa::path(tag = "agenda", operation_id = "read_agenda_item", params(("id" = Uuid, Path), ("item_id" = Uuid, Path)),
    responses((status = 200, description = "The item.", body = ItemOut, headers(("ETag" = String)))))]
#[get("/meetings/{id}/agenda-items/{item_id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (meeting, item) = path.into_inner();
    let (meeting, viewer) = state.participant(&actor, meeting).await?;
    let item = visible_item(&state, meeting.id, item, viewer).await?;
    let item = item_as_seen(&state, &meeting, viewer, item).await?;
    Ok(item_response(StatusCode::OK, item))
}

/// The editable fields of an item, for merging a patch onto.
#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct ItemFields {
    title: String,
    details: Option<String>,
    category: Category,
    private: bool,
    checked: bool,
}

/// Change a talking point (JSON merge patch), e.g. check it off as discussed.
///
/// Send `If-Match` with the ETag you read: when the other participant changed it meanwhile the
/// answer is 412 and nothing changes.
#[utoipa::path(tag = "agenda", operation_id = "update_agenda_item",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = ItemPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = ItemOut, headers(("ETag" = String)))))]
#[patch("/meetings/{id}/agenda-items/{item_id}")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let (meeting, item) = path.into_inner();
    let (meeting, viewer) = state.participant(&actor, meeting).await?;
    let current = visible_item(&state, meeting.id, item, viewer).await?;
    let patch = body.into_inner().0;
    const FIELDS: [&str; 5] = ["title", "details", "category", "private", "checked"];
    if let Some(unknown) = patch.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(ApiError::validation(unknown, "unknown field"));
    }
    let before = serde_json::to_value(ItemFields {
        title: current.title.clone(),
        details: current.details.clone(),
        category: current.category.into(),
        private: current.private,
        checked: current.checked,
    })
    .map_err(ApiError::internal)?;
    let mut merged = before.clone();
    json_patch::merge(&mut merged, &serde_json::Value::Object(patch));
    let changed: Vec<&str> = FIELDS
        .iter()
        .copied()
        .filter(|f| before.get(f) != merged.get(f))
        .collect();
    let fields: ItemFields = crate::extract::parse_json(merged.to_string().as_bytes())?;
    let text = AgendaText::parse(&fields.title, fields.details.as_deref())?;
    let update = ItemUpdate {
        text,
        category: fields.category.into(),
        private: fields.private,
        checked: fields.checked,
    };
    let who = actor.clone();
    let precondition = if_match.precondition();
    let fields: Vec<String> = changed.iter().map(|f| (*f).to_owned()).collect();
    let m = meeting.clone();
    let item = change(&state, move |tx| {
        Box::pin(async move {
            let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
            usecases::agenda::update_item(
                tx,
                &who,
                &m,
                viewer,
                current,
                &update,
                &fields,
                &precondition,
            )
            .await
        })
    })
    .await?;
    let item = item_as_seen(&state, &meeting, viewer, item).await?;
    Ok(item_response(StatusCode::OK, item))
}

/// Remove a talking point (its author only).
#[utoipa::path(tag = "agenda", operation_id = "delete_agenda_item",
    params(("id" = Uuid, Path), ("item_id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 204, description = "Removed.")))]
#[delete("/meetings/{id}/agenda-items/{item_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    path: web::Path<(Uuid, Uuid)>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    let (meeting, item) = path.into_inner();
    let (meeting, viewer) = state.participant(&actor, meeting).await?;
    let current = visible_item(&state, meeting.id, item, viewer).await?;
    let precondition = if_match.precondition();
    change(&state, move |tx| {
        Box::pin(async move {
            usecases::agenda::remove_item(tx, &actor, &meeting, viewer, &current, &precondition)
                .await
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new order of the agenda.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct AgendaOrder {
    /// The items you see, in the order you want. Items you do not list keep their place after
    /// these.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_items = 1, max_items = 500)]
    pub item_ids: Vec<Uuid>,
}

/// Reorder the agenda (either participant).
#[utoipa::path(tag = "agenda", operation_id = "reorder_agenda", params(("id" = Uuid, Path)), request_body = AgendaOrder,
    responses((status = 200, description = "The agenda in its new order.", body = ItemPage)))]
#[put("/meetings/{id}/agenda-order")]
pub async fn reorder(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: JsonBody<AgendaOrder>,
) -> ApiResult<HttpResponse> {
    let (meeting, viewer) = state.participant(&actor, id.into_inner()).await?;
    let visible = state
        .db
        .list_agenda(meeting.id, viewer, meeting.report_id)
        .await?;
    let ids = body.into_inner().item_ids;
    if let Some(bad) = ids
        .iter()
        .position(|id| !visible.iter().any(|i| i.id == *id))
    {
        return Err(ApiError::validation(
            &format!("item_ids[{bad}]"),
            "not an item of this agenda",
        ));
    }
    let listed: Vec<(Uuid, Option<Uuid>)> = ids
        .iter()
        .filter_map(|id| visible.iter().find(|i| i.id == *id))
        .map(|i| (i.id, i.private.then_some(i.author_id)))
        .collect();
    let (who, m) = (actor.clone(), meeting.clone());
    change(&state, move |tx| {
        Box::pin(async move { usecases::agenda::reorder(tx, &who, &m, &listed).await })
    })
    .await?;
    let items = state
        .db
        .list_agenda(meeting.id, viewer, meeting.report_id)
        .await?;
    Ok(HttpResponse::Ok().json(ItemPage {
        data: agenda_as_seen(items),
        next_cursor: None,
    }))
}

/// A note.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"body": "Agreed: Priya leads the migration RFC.", "updated_by": "019a6a5e-8f5e-7cc0-9a53-000000000001", "updated_at": "2026-12-01T09:40:00Z", "etag": "\"v3\""}))]
pub struct NoteOut {
    pub body: String,
    pub updated_by: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
    /// Send as `If-Match` when you write it.
    pub etag: String,
}

impl From<Note> for NoteOut {
    fn from(n: Note) -> Self {
        Self {
            etag: etag(n.version),
            body: n.body,
            updated_by: n.updated_by,
            updated_at: n.updated_at,
        }
    }
}

/// The notes of a meeting as you see them.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotesOut {
    /// The note both participants edit; `null` until written.
    pub shared: Option<NoteOut>,
    /// Your private note; nobody else can ever read it. `null` until written.
    pub private: Option<NoteOut>,
}

/// A note's largest body: 100,000 characters may take 12 bytes each in JSON (`\uXXXX` escapes
/// of a surrogate pair), so a note at its length limit fits, and is refused by that limit (422),
/// not by the size of its request.
const NOTE_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A note's text.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Agreed: Priya leads the migration RFC."}))]
pub struct NoteIn {
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 100000
    )]
    pub body: String,
}

/// Read the shared note and your private note.
#[utoipa::path(tag = "agenda", operation_id = "read_notes", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The notes.", body = NotesOut)))]
#[get("/meetings/{id}/notes")]
pub async fn notes(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (meeting, viewer) = state.participant(&actor, id.into_inner()).await?;
    let (shared, private) = state.db.notes_for(meeting.id, viewer).await?;
    Ok(HttpResponse::Ok().json(NotesOut {
        shared: shared.map(NoteOut::from),
        private: private.map(NoteOut::from),
    }))
}

async fn write_note(
    state: &AppState,
    actor: &Actor,
    meeting: Uuid,
    shared: bool,
    if_match: &IfMatch,
    body: NoteIn,
) -> ApiResult<HttpResponse> {
    let (meeting, viewer) = state.participant(actor, meeting).await?;
    let text = if body.body.trim().is_empty() {
        String::new()
    } else {
        Text::parse(&body.body, agenda::NOTE_MAX)
            .map_err(|e| ApiError::validation("body", e.to_string()))?
            .into_string()
    };
    let owner = if shared {
        SHARED_NOTE.to_owned()
    } else {
        viewer.to_string()
    };
    let expected = match &if_match.0 {
        None => None,
        Some(_) => Some(if_match.version().ok_or(ApiError::PreconditionFailed)?),
    };
    let who = actor.clone();
    let note = change(state, move |tx| {
        Box::pin(async move {
            usecases::agenda::write_note(
                tx, &who, &meeting, &owner, !shared, &text, viewer, expected,
            )
            .await
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(note.version)))
        .json(NoteOut::from(note)))
}

/// Write the shared note (either participant). Send `If-Match` to avoid overwriting the other
/// participant's edit (412).
#[utoipa::path(tag = "agenda", operation_id = "write_shared_note",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader), request_body = NoteIn,
    responses((status = 200, description = "Saved.", body = NoteOut, headers(("ETag" = String)))))]
#[put("/meetings/{id}/notes/shared")]
pub async fn write_shared(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<NoteIn, NOTE_BODY_LIMIT>,
) -> ApiResult<HttpResponse> {
    write_note(
        &state,
        &actor,
        id.into_inner(),
        true,
        &if_match,
        body.into_inner(),
    )
    .await
}

/// Write your private note. Nobody else can ever read it: not the other participant, not an HR
/// admin, not an API token.
#[utoipa::path(tag = "agenda", operation_id = "write_private_note",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader), request_body = NoteIn,
    responses((status = 200, description = "Saved.", body = NoteOut, headers(("ETag" = String)))))]
#[put("/meetings/{id}/notes/private")]
pub async fn write_private(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<NoteIn, NOTE_BODY_LIMIT>,
) -> ApiResult<HttpResponse> {
    write_note(
        &state,
        &actor,
        id.into_inner(),
        false,
        &if_match,
        body.into_inner(),
    )
    .await
}
