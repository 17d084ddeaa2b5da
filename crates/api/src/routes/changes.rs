//! `/changes`: the change log, for systems and offline clients that keep a copy in sync.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use oneonone_persistence::events::{Event, LogPosition};
use oneonone_usecases as usecases;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// What a change did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// The record is new: fetch it.
    Created,
    /// The record changed: fetch it again.
    Updated,
    /// A tombstone: the record is gone (a meeting removed by a pause, an erased person, a
    /// deleted talking point); delete your copy.
    Deleted,
}

/// One change: which record, what happened, who did it, when. Metadata only — never the text
/// of anything; fetch the record for its content.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d40",
    "type": "meeting.completed",
    "resource": "meeting",
    "resource_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "action": "updated",
    "actor_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "occurred_at": "2026-12-01T09:40:00Z",
    "data": {"status": "completed", "series_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d00"}
}))]
pub struct ChangeOut {
    /// The change's own id, stable: use it to ignore a change you have already applied.
    pub id: Uuid,
    /// What happened, e.g. `person.created`, `meeting.completed`, `meeting.removed`,
    /// `agenda_item.carried_over`, `action_item.done`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The kind of record: `person`, `meeting_series`, `meeting`, `agenda_item`,
    /// `action_item`, `conversation_starter`, `agenda_template`, `goal`, `checkin`,
    /// `enps_survey` (created, closed: never an answer).
    pub resource: String,
    pub resource_id: Uuid,
    pub action: ChangeAction,
    /// The person who made the change; `null` for integrations and the system.
    pub actor_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub occurred_at: DateTime<Utc>,
    /// Ids, statuses and the names of changed fields, by type.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<Event> for ChangeOut {
    fn from(e: Event) -> Self {
        let action = match e.kind.rsplit('.').next().unwrap_or_default() {
            "created" | "added" | "scheduled" => ChangeAction::Created,
            "removed" | "erased" => ChangeAction::Deleted,
            _ => ChangeAction::Updated,
        };
        Self {
            id: e.id,
            data: serde_json::from_str(&e.data).unwrap_or_else(|_| serde_json::json!({})),
            type_: e.kind,
            resource: e.subject_type,
            resource_id: e.subject_id,
            action,
            actor_id: e.actor_id,
            occurred_at: e.occurred_at,
        }
    }
}

/// A page of the change log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    /// Changes in the order they happened.
    pub data: Vec<ChangeOut>,
    /// Always present: pass it as `cursor` to continue, now or later.
    pub next_cursor: String,
    /// `true` when more changes are waiting now; `false` when you are up to date (poll again
    /// later with `next_cursor`).
    pub has_more: bool,
}

/// Parameters of `GET /changes`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page; without it, the log from its beginning.
    pub cursor: Option<String>,
    /// Only these kinds of record, comma-separated, e.g. `meeting,action_item`.
    #[param(example = "meeting,meeting_series,action_item", max_length = 200)]
    pub types: Option<String>,
}

/// Follow every change you may know about, from a cursor.
///
/// The sync recipe: read pages until `has_more` is `false`, apply each change (fetch created and
/// updated records, delete your copy on `deleted`), keep `next_cursor`, and poll again later with
/// it. A change never appears behind a cursor you have passed, so nothing is missed, even when
/// writes commit out of order. You see what you may read elsewhere: the directory, and your own
/// 1:1s with their content (private talking points and notes only if they are yours), public
/// goals and the private goals of your own and your direct reports; HR admins also every 1:1's
/// metadata; tokens the directory with `people:read`, every 1:1's metadata with `meetings:read`
/// and public goals with `goals:read` (read private goals with `GET /goals`).
#[utoipa::path(operation_id = "list_changes", tag = "changes", params(ChangesQuery), responses(
    (status = 200, description = "A page of changes.", body = ChangePage)))]
#[get("/changes")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<ChangesQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = u32::try_from(pagination::limit(q.limit)?).unwrap_or(pagination::DEFAULT_LIMIT);
    let after: LogPosition = match q.cursor.as_deref() {
        Some(c) => pagination::decode(c)?,
        None => LogPosition::default(),
    };
    let known: Vec<&str> = usecases::changes::DIRECTORY_TYPES
        .iter()
        .chain(usecases::changes::MEETING_TYPES.iter())
        .chain(usecases::changes::GOAL_TYPES.iter())
        .copied()
        .collect();
    let types: Vec<String> = q
        .types
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = types.iter().find(|t| !known.contains(&t.as_str())) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: format!(
                "unknown type `{}`; known: {}",
                bad.chars().take(50).collect::<String>(),
                known.join(", ")
            ),
        });
    }
    let page = usecases::changes::follow(&state.db, &actor, after, limit, &types).await?;
    Ok(HttpResponse::Ok().json(ChangePage {
        data: page.events.into_iter().map(ChangeOut::from).collect(),
        next_cursor: pagination::encode(&page.cursor),
        has_more: page.more,
    }))
}
