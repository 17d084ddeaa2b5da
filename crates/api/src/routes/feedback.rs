//! `/feedback`, `/recognitions`, `/feedback-requests`: feedback between colleagues, public
//! recognition, and requests for feedback with answers (named or anonymous) and declines.
//!
//! People only: API tokens never read feedback text, and HR admins read none but their own.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::feedback::{self as domain, RespondentStatus};
use oneonone_persistence::feedback::{FeedbackFilter, FeedbackRecord, RequestRecord};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, AuthPending, Bearer};
use crate::idempotency::{change, create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::routes::agenda::Category;
use crate::state::AppState;
use oneonone_persistence::Session;
use oneonone_usecases as usecases;

pub const TAG: &str = "feedback";

/// What a piece of feedback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Praise,
    Constructive,
    /// A short public thank-you (at most 280 characters), visible to everyone in the
    /// organisation.
    Recognition,
}
same_words!(
    FeedbackKind,
    domain::FeedbackKind {
        Praise,
        Constructive,
        Recognition
    }
);

/// Who besides the giver reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackVisibility {
    /// The recipient only (the default).
    Recipient,
    /// The recipient and their manager.
    RecipientAndManager,
    /// Everyone in the organisation: recognition, always.
    Organisation,
}
same_words!(
    FeedbackVisibility,
    domain::Visibility {
        Recipient,
        RecipientAndManager,
        Organisation
    }
);

/// Where someone asked stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RespondentState {
    Pending,
    Answered,
    Declined,
}
same_words!(
    RespondentState,
    RespondentStatus {
        Pending,
        Answered,
        Declined
    }
);

/// New feedback for a colleague.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"recipient_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "kind": "praise", "body": "The Q3 launch demo was crisp: clear story, no jargon.",
    "visibility": "recipient_and_manager", "category": "recognition"}))]
pub struct FeedbackIn {
    pub recipient_id: Uuid,
    pub kind: FeedbackKind,
    /// 1 to 5,000 characters (recognition: 280).
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
    /// `recipient` (default) or `recipient_and_manager`; recognition is always `organisation`.
    pub visibility: Option<FeedbackVisibility>,
    /// The competency or topic it is about.
    pub category: Option<Category>,
    /// A goal of the recipient's it is about (one the giver may see).
    pub goal_id: Option<Uuid>,
}

/// A piece of feedback.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5f-0000-7000-8000-000000000001", "kind": "praise",
    "giver_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "recipient_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "body": "The Q3 launch demo was crisp: clear story, no jargon.",
    "visibility": "recipient_and_manager", "category": "recognition", "goal_id": null,
    "request_id": null, "created_at": "2026-11-25T10:00:00Z"}))]
pub struct FeedbackOut {
    pub id: Uuid,
    pub kind: FeedbackKind,
    /// Who gave it; `null` for an anonymous answer to a request.
    pub giver_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub body: String,
    pub visibility: FeedbackVisibility,
    pub category: Option<Category>,
    pub goal_id: Option<Uuid>,
    /// The request it answers.
    pub request_id: Option<Uuid>,
    /// When it was given; `null` for an anonymous answer (it carries no time).
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// What its recipient made of it in their 1:1s (shown to the recipient only; `null` for
    /// everyone else).
    pub follow_up: Option<FollowUpOut>,
}

/// A talking point made of a piece of feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpPoint {
    pub meeting_id: Uuid,
    pub agenda_item_id: Uuid,
    /// When a held 1:1 checked it off; `null` while it waits.
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub discussed_at: Option<DateTime<Utc>>,
}

/// An action item agreed on a piece of feedback.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpAction {
    pub action_item_id: Uuid,
    /// `open`, `done` or `cancelled`.
    pub status: String,
}

/// What became of a piece of feedback: "discussed on 3 March 2027, 2 action items, 1 done".
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"talking_points": [{"meeting_id": "019a6a5e-aaaa-7000-8000-000000000001",
    "agenda_item_id": "019a6a5e-bbbb-7000-8000-000000000001",
    "discussed_at": "2027-03-03T10:20:00Z"}],
    "action_items": [{"action_item_id": "019a6a5e-cccc-7000-8000-000000000001", "status": "done"},
        {"action_item_id": "019a6a5e-cccc-7000-8000-000000000002", "status": "open"}],
    "discussed_at": "2027-03-03T10:20:00Z", "action_items_done": 1}))]
pub struct FollowUpOut {
    pub talking_points: Vec<FollowUpPoint>,
    pub action_items: Vec<FollowUpAction>,
    /// When it was last discussed (a talking point made of it checked off in a 1:1).
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub discussed_at: Option<DateTime<Utc>>,
    pub action_items_done: usize,
}

/// `records` as `me` sees them: with their follow-up where `me` is the recipient.
async fn shown(
    state: &AppState,
    me: Uuid,
    records: Vec<FeedbackRecord>,
) -> ApiResult<Vec<FeedbackOut>> {
    let mine: Vec<Uuid> = records
        .iter()
        .filter(|f| f.recipient_id == me && f.has_follow_up)
        .map(|f| f.id)
        .collect();
    let follow_ups = state.db.follow_ups(&mine).await?;
    Ok(records
        .into_iter()
        .map(|f| {
            let recipient = f.recipient_id == me;
            let id = f.id;
            let mut out = FeedbackOut::from(f);
            if recipient {
                let of: Vec<_> = follow_ups.iter().filter(|u| u.feedback_id == id).collect();
                let talking_points: Vec<FollowUpPoint> = of
                    .iter()
                    .filter_map(|u| {
                        Some(FollowUpPoint {
                            meeting_id: u.meeting_id?,
                            agenda_item_id: u.agenda_item_id?,
                            discussed_at: u.checked_at,
                        })
                    })
                    .collect();
                let action_items: Vec<FollowUpAction> = of
                    .iter()
                    .filter_map(|u| {
                        Some(FollowUpAction {
                            action_item_id: u.action_item_id?,
                            status: u.action_status.clone()?,
                        })
                    })
                    .collect();
                out.follow_up = Some(FollowUpOut {
                    discussed_at: talking_points.iter().filter_map(|p| p.discussed_at).max(),
                    action_items_done: action_items.iter().filter(|a| a.status == "done").count(),
                    talking_points,
                    action_items,
                });
            }
            out
        })
        .collect())
}

impl From<FeedbackRecord> for FeedbackOut {
    fn from(f: FeedbackRecord) -> Self {
        Self {
            id: f.id,
            kind: f
                .kind
                .parse::<domain::FeedbackKind>()
                .unwrap_or(domain::FeedbackKind::Praise)
                .into(),
            giver_id: f.giver_id,
            recipient_id: f.recipient_id,
            body: f.body,
            visibility: f
                .visibility
                .parse::<domain::Visibility>()
                .unwrap_or(domain::Visibility::Recipient)
                .into(),
            category: f
                .category
                .and_then(|c| c.parse::<oneonone_domain::agenda::AgendaCategory>().ok())
                .map(Category::from),
            goal_id: f.goal_id,
            request_id: f.request_id,
            created_at: f.created_at,
            follow_up: None,
        }
    }
}

/// A page of feedback, newest first (anonymous answers, which carry no time, fall anywhere).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackPage {
    pub data: Vec<FeedbackOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which feedback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackRole {
    /// What you (or, with `person_id`, your direct report) received.
    Received,
    /// What you gave under your name.
    Given,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedbackQuery {
    /// `received` (default) or `given`.
    #[param(inline)]
    pub role: Option<FeedbackRole>,
    /// A direct report of yours: what they received and its giver shared with you.
    pub person_id: Option<Uuid>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A new request for feedback.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"question": "How did I do in the Q3 launch?",
    "respondent_ids": ["019a6a5e-8f5e-7cc0-9a53-000000000003",
        "019a6a5e-8f5e-7cc0-9a53-000000000004", "019a6a5e-8f5e-7cc0-9a53-000000000005"],
    "due_date": "2026-12-04"}))]
pub struct RequestIn {
    /// Whom it is about: you (default), or a direct report of yours.
    pub subject_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    pub question: String,
    /// The colleagues asked (1 to 20, not the person it is about).
    #[schema(min_items = 1, max_items = 20)]
    pub respondent_ids: Vec<Uuid>,
    /// Answers are taken until the end of this day (UTC).
    pub due_date: NaiveDate,
}

/// Someone asked, and where they stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct RespondentOut {
    pub person_id: Uuid,
    pub status: RespondentState,
}

/// A request for feedback. Its requester and its subject see who answered and the answers they
/// may read; someone asked sees the question and where they stand.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a60-0000-7000-8000-000000000001",
    "requester_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "subject_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "question": "How did I do in the Q3 launch?", "due_date": "2026-12-04",
    "created_at": "2026-11-25T10:00:00Z",
    "respondents": [{"person_id": "019a6a5e-8f5e-7cc0-9a53-000000000003", "status": "answered"}],
    "answers": [], "answers_go_to_manager": false}))]
pub struct RequestOut {
    pub id: Uuid,
    pub requester_id: Uuid,
    pub subject_id: Uuid,
    pub question: String,
    pub due_date: NaiveDate,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    /// Everyone asked (for someone asked: themselves only).
    pub respondents: Vec<RespondentOut>,
    /// The answers the reader may read. Anonymous ones (no `giver_id`, no `created_at`) appear
    /// only in groups of at least three.
    pub answers: Vec<FeedbackOut>,
    /// Whether answers are shared with the subject's manager (the manager asked).
    pub answers_go_to_manager: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestRole {
    /// Requests you made or that are about you.
    Mine,
    /// Requests that ask you.
    Asked,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    /// `mine` (default) or `asked`.
    #[param(inline)]
    pub role: Option<RequestRole>,
    /// 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// A page of requests, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage {
    pub data: Vec<RequestOut>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// An answer to a request.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "constructive",
    "body": "Great demo; the rollout plan reached support a day late.", "anonymous": true}))]
pub struct FeedbackAnswerIn {
    /// `praise` or `constructive`.
    pub kind: FeedbackKind,
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
    /// Give no name: the answer carries no giver and no time, and reaches the person only
    /// together with at least two other anonymous answers to the request.
    #[serde(default)]
    pub anonymous: bool,
}

/// An answer taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answered {
    /// The feedback made of a named answer; `null` for an anonymous one (nothing ties it to
    /// you, not even for you).
    pub feedback_id: Option<Uuid>,
}

fn today() -> NaiveDate {
    oneonone_persistence::now().date_naive()
}

/// Give feedback (praise, constructive) or a recognition to a colleague.
#[utoipa::path(operation_id = "give_feedback", tag = TAG, request_body = FeedbackIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Given.", body = FeedbackOut,
        headers(("Location" = String, description = "The feedback's URL.")))))]
#[post("/feedback")]
pub async fn give(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: crate::extract::JsonBody<FeedbackIn>,
) -> ApiResult<HttpResponse> {
    usecases::feedback::person(&actor)?;
    let b = &body.value;
    let new = usecases::feedback::NewFeedback {
        recipient_id: b.recipient_id,
        kind: b.kind.into(),
        body: b.body.clone(),
        visibility: b.visibility.unwrap_or(FeedbackVisibility::Recipient).into(),
        category: b.category.map(Into::into),
        goal_id: b.goal_id,
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let record = usecases::feedback::give(tx, &who, new).await?;
            let id = record.id;
            created(
                &FeedbackOut::from(record),
                format!("/api/v1/feedback/{id}"),
                None,
            )
        })
    })
    .await
}

/// Feedback you received (or gave); as a manager, with `person_id`, what a direct report
/// received and its giver shared with you.
#[utoipa::path(operation_id = "list_feedback", tag = TAG, params(FeedbackQuery),
    responses((status = 200, description = "A page of feedback.", body = FeedbackPage)))]
#[get("/feedback")]
pub async fn list(
    state: web::Data<AppState>,
    AuthPending(bearer, mut reads): AuthPending,
    query: web::Query<FeedbackQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let role = q.role.unwrap_or(FeedbackRole::Received);
    // Your own feedback is read with the principal's record in one statement.
    if let Some(me) = bearer.person_id()
        && q.person_id.is_none_or(|p| p == me)
    {
        let filter = match role {
            FeedbackRole::Received => FeedbackFilter::ReceivedBy(me),
            FeedbackRole::Given => FeedbackFilter::GivenBy(me),
        };
        return page(&state, bearer, reads, &filter, before, limit).await;
    }
    let principal = match bearer.person_id() {
        Some(id) => reads.principal(id).await?,
        None => None,
    };
    drop(reads);
    let me = usecases::feedback::person(&bearer.into_actor(principal)?)?;
    let filter = match (role, q.person_id) {
        (FeedbackRole::Received, Some(p)) => {
            // Unknown or not yours: the same answer (nobody learns who exists this way).
            let manager = match state.db.get_person(p).await {
                Ok(person) => person.manager_id,
                Err(oneonone_persistence::StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            };
            if manager != Some(me) {
                return Err(ApiError::Forbidden(
                    "only a person's manager reads what was shared with them".into(),
                ));
            }
            FeedbackFilter::SharedWithManagerOf(p)
        }
        (FeedbackRole::Given, Some(_)) => {
            return Err(ApiError::Forbidden(
                "what someone gave is theirs to read".into(),
            ));
        }
        // Only a person's own list gets here without `person_id`, and it is read above.
        (_, None) => return Err(ApiError::Forbidden("feedback is read by people".into())),
    };
    let rows = state
        .db
        .list_feedback(&filter, before, limit + 1, None)
        .await?
        .rows;
    respond(&state, me, rows, limit).await
}

/// A page of `filter` read with the bearer's record, shown once the bearer is checked.
async fn page(
    state: &AppState,
    bearer: Bearer,
    mut reads: Session,
    filter: &FeedbackFilter,
    before: Option<Uuid>,
    limit: i64,
) -> ApiResult<HttpResponse> {
    let Some(reader) = bearer.person_id() else {
        drop(reads);
        usecases::feedback::person(&bearer.into_actor(None)?)?;
        return Err(ApiError::Forbidden("feedback is read by people".into()));
    };
    let fetched = reads
        .list_feedback(filter, before, limit + 1, Some(reader))
        .await?;
    drop(reads);
    let me = usecases::feedback::person(&bearer.into_actor(fetched.principal)?)?;
    respond(state, me, fetched.rows, limit).await
}

async fn respond(
    state: &AppState,
    me: Uuid,
    rows: Vec<FeedbackRecord>,
    limit: i64,
) -> ApiResult<HttpResponse> {
    let (rows, next_cursor) = pagination::page(rows, limit, |last| last.id);
    Ok(HttpResponse::Ok().json(FeedbackPage {
        data: shown(state, me, rows).await?,
        next_cursor,
    }))
}

/// Recognition across the organisation, newest first.
#[utoipa::path(operation_id = "list_recognitions", tag = TAG, params(pagination::PageQuery),
    responses((status = 200, description = "A page of recognitions.", body = FeedbackPage)))]
#[get("/recognitions")]
pub async fn recognitions(
    state: web::Data<AppState>,
    AuthPending(bearer, reads): AuthPending,
    query: web::Query<pagination::PageQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<Uuid>(q.cursor.as_deref())?;
    page(
        &state,
        bearer,
        reads,
        &FeedbackFilter::Recognition,
        before,
        limit,
    )
    .await
}

/// A piece of feedback you may read (anyone else: 404).
#[utoipa::path(operation_id = "read_feedback", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The feedback.", body = FeedbackOut)))]
#[get("/feedback/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let me = usecases::feedback::person(&actor)?;
    let f = state.db.get_feedback(id.into_inner()).await?;
    if !usecases::feedback::readable(&state.db, me, &f).await? {
        return Err(ApiError::NotFound);
    }
    let out = shown(&state, me, vec![f]).await?.pop();
    Ok(HttpResponse::Ok().json(out))
}

/// Bring feedback you received into a 1:1.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": "019a6a5e-aaaa-7000-8000-000000000001", "private": true}))]
pub struct BringIn {
    /// A 1:1 of yours.
    pub meeting_id: Uuid,
    /// Default: "Feedback from {giver}" (anonymous feedback names nobody).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 300
    )]
    pub title: Option<String>,
    /// Visible to you alone until you share it (default `true`): the other participant cannot
    /// tell it is there.
    pub private: Option<bool>,
}

/// An action item agreed on a piece of feedback.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meeting_id": "019a6a5e-aaaa-7000-8000-000000000001",
    "title": "Send the status update with the decision first", "assignee_id":
    "019a6a5e-8f5e-7cc0-9a53-000000000002", "due_date": "2026-12-15"}))]
pub struct FeedbackActionIn {
    /// The 1:1 it is agreed in (one of yours).
    pub meeting_id: Uuid,
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

/// Bring feedback you received into a 1:1 of yours as a talking point (private to you unless
/// you say otherwise); its follow-up then shows when it was discussed.
#[utoipa::path(operation_id = "bring_feedback_to_meeting", tag = TAG,
    params(("id" = Uuid, Path), crate::extract::IdempotencyKeyHeader), request_body = BringIn,
    responses((status = 201, description = "On the agenda.", body = crate::routes::agenda::ItemOut,
        headers(("Location" = String, description = "The talking point's URL.")))))]
#[post("/feedback/{id}/talking-points")]
pub async fn bring(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: crate::extract::JsonBody<BringIn>,
) -> ApiResult<HttpResponse> {
    usecases::feedback::person(&actor)?;
    let feedback = id.into_inner();
    let check =
        usecases::meetings::ParticipantCheck::prepare(&state.db, &actor, body.value.meeting_id)
            .await?;
    let (title, private) = (body.value.title.clone(), body.value.private.unwrap_or(true));
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let (meeting, item) =
                usecases::feedback::bring_to_meeting(tx, &who, feedback, check, title, private)
                    .await?;
            let location = format!("/api/v1/meetings/{}/agenda-items/{}", meeting.id, item.id);
            created(&crate::routes::agenda::ItemOut::from(item), location, None)
        })
    })
    .await
}

/// Agree an action item on feedback you received, in a 1:1 of yours; the feedback's follow-up
/// counts it (and whether it is done).
#[utoipa::path(operation_id = "agree_feedback_action_item", tag = TAG,
    params(("id" = Uuid, Path), crate::extract::IdempotencyKeyHeader),
    request_body = FeedbackActionIn,
    responses((status = 201, description = "Agreed.", body = crate::routes::action_items::ActionOut,
        headers(("Location" = String, description = "The action item's URL.")))))]
#[post("/feedback/{id}/action-items")]
pub async fn agree(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: crate::extract::JsonBody<FeedbackActionIn>,
) -> ApiResult<HttpResponse> {
    usecases::feedback::person(&actor)?;
    let feedback = id.into_inner();
    let (meeting, _) = state.participant(&actor, body.value.meeting_id).await?;
    let assignee = body.value.assignee_id;
    let text = crate::routes::action_items::new_action(&meeting, &body.value.title, assignee)?;
    let due = body.value.due_date;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let item = usecases::feedback::agree_action(
                tx, &who, feedback, &meeting, assignee, &text, due,
            )
            .await?;
            let id = item.id;
            created(
                &crate::routes::action_items::ActionOut::from(item),
                format!("/api/v1/action-items/{id}"),
                None,
            )
        })
    })
    .await
}

/// Ask named colleagues for feedback about yourself, or (as their manager) about a direct
/// report. Each answers once, under their name or anonymously, or declines.
#[utoipa::path(operation_id = "request_feedback", tag = TAG, request_body = RequestIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Asked.", body = RequestOut,
        headers(("Location" = String, description = "The request's URL.")))))]
#[post("/feedback-requests")]
pub async fn request(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: crate::extract::JsonBody<RequestIn>,
) -> ApiResult<HttpResponse> {
    let me = usecases::feedback::person(&actor)?;
    let b = &body.value;
    let new = usecases::feedback::NewRequest {
        subject_id: b.subject_id.unwrap_or(me),
        question: b.question.clone(),
        respondent_ids: b.respondent_ids.clone(),
        due_date: b.due_date,
    };
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let record = usecases::feedback::request(tx, &who, new, today()).await?;
            let id = record.id;
            created(
                &request_out(record, me, Vec::new()),
                format!("/api/v1/feedback-requests/{id}"),
                None,
            )
        })
    })
    .await
}

/// A request as `me` sees it, with the answers they may read.
fn request_out(r: RequestRecord, me: Uuid, answers: Vec<FeedbackRecord>) -> RequestOut {
    let owner = me == r.requester_id || me == r.subject_id;
    RequestOut {
        id: r.id,
        requester_id: r.requester_id,
        subject_id: r.subject_id,
        question: r.question,
        due_date: r.due_date,
        created_at: r.created_at,
        respondents: r
            .respondents
            .into_iter()
            .filter(|(p, _)| owner || *p == me)
            .map(|(person_id, status)| RespondentOut {
                person_id,
                status: status
                    .parse::<RespondentStatus>()
                    .unwrap_or(RespondentStatus::Pending)
                    .into(),
            })
            .collect(),
        answers: answers.into_iter().map(FeedbackOut::from).collect(),
        answers_go_to_manager: r.requester_id != r.subject_id,
    }
}

/// The request and the answers `me` reads; not found for anyone it does not concern.
async fn request_for(state: &AppState, me: Uuid, id: Uuid) -> ApiResult<RequestOut> {
    let r = state.db.get_feedback_request(id).await?;
    let asked = r.respondents.iter().any(|(p, _)| *p == me);
    if me != r.requester_id && me != r.subject_id && !asked {
        return Err(ApiError::NotFound);
    }
    let mut answers = Vec::new();
    if me == r.requester_id || me == r.subject_id {
        for f in state
            .db
            .list_feedback(&FeedbackFilter::AnswersTo(r.id), None, 200, None)
            .await?
            .rows
        {
            if usecases::feedback::readable(&state.db, me, &f).await? {
                answers.push(f);
            }
        }
    }
    Ok(request_out(r, me, answers))
}

/// Your requests (made by you or about you), or those that ask you.
#[utoipa::path(operation_id = "list_feedback_requests", tag = TAG, params(RequestQuery),
    responses((status = 200, description = "A page of requests.", body = RequestPage)))]
#[get("/feedback-requests")]
pub async fn requests(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<RequestQuery>,
) -> ApiResult<HttpResponse> {
    let me = usecases::feedback::person(&actor)?;
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let before = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let asked = q.role == Some(RequestRole::Asked);
    let ids = state
        .db
        .list_feedback_requests(me, asked, before, limit + 1)
        .await?;
    let (ids, next_cursor) = pagination::page(ids, limit, |last| *last);
    let mut data = Vec::new();
    for id in ids {
        data.push(request_for(&state, me, id).await?);
    }
    Ok(HttpResponse::Ok().json(RequestPage { data, next_cursor }))
}

/// A request: for its requester and subject with who answered and the answers; for someone
/// asked, the question and where they stand.
#[utoipa::path(operation_id = "read_feedback_request", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The request.", body = RequestOut)))]
#[get("/feedback-requests/{id}")]
pub async fn read_request(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let me = usecases::feedback::person(&actor)?;
    Ok(HttpResponse::Ok().json(request_for(&state, me, id.into_inner()).await?))
}

/// Answer a request that asks you, once, while it is open (until the end of its due date).
/// No `Idempotency-Key` here: a kept key would tie you to what you sent, and an anonymous
/// answer must not be tied to anyone. A retry that finds the answer taken gets 409
/// `already_answered`.
#[utoipa::path(operation_id = "answer_feedback_request", tag = TAG, params(("id" = Uuid, Path)),
    request_body = FeedbackAnswerIn,
    responses((status = 201, description = "Answered.", body = Answered,
        headers(("Location" = String, description = "The request's URL."))),
        (status = 409, description = "`already_answered` (or declined) or `request_closed` (past its due date).", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/feedback-requests/{id}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: crate::extract::JsonBody<FeedbackAnswerIn>,
) -> ApiResult<HttpResponse> {
    usecases::feedback::person(&actor)?;
    let id = id.into_inner();
    let b = &body.value;
    let (kind, text, anonymous) = (b.kind.into(), b.body.clone(), b.anonymous);
    let feedback_id = change(&state, move |tx| {
        Box::pin(async move {
            usecases::feedback::answer(tx, &actor, id, kind, &text, anonymous, today()).await
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/feedback-requests/{id}"),
        ))
        .json(Answered { feedback_id }))
}

/// Decline a request that asks you.
#[utoipa::path(operation_id = "decline_feedback_request", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 204, description = "Declined."),
        (status = 409, description = "`already_answered` (or declined) or `request_closed` (past its due date).", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/feedback-requests/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    usecases::feedback::person(&actor)?;
    let id = id.into_inner();
    change(&state, move |tx| {
        Box::pin(async move { usecases::feedback::decline(tx, &actor, id, today()).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A talking point placed on a report's next 1:1.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlacedPoint {
    pub report_id: Uuid,
    pub meeting_id: Uuid,
    pub agenda_item_id: Uuid,
}

/// What taking a survey's results to the team did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"talking_point": "Autumn pulse results: what is one thing that would make this a better place to work?",
    "added": [{"report_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
        "meeting_id": "019a6a5e-aaaa-7000-8000-000000000001",
        "agenda_item_id": "019a6a5e-bbbb-7000-8000-000000000001"}],
    "without_meeting": ["019a6a5e-8f5e-7cc0-9a53-000000000003"], "already_there": []}))]
pub struct TeamTalkingPoints {
    /// The talking point's title.
    pub talking_point: String,
    pub added: Vec<PlacedPoint>,
    /// Direct reports with no upcoming 1:1 with you: schedule one.
    pub without_meeting: Vec<Uuid>,
    /// Direct reports whose next 1:1 has it already (calling again adds nothing).
    pub already_there: Vec<Uuid>,
}

/// When a survey's results have landed, take them to your team: a shared talking point from you
/// ("{survey} results: what is one thing that would make this a better place to work?") on each
/// direct report's next 1:1 with you, in one change. No answer and no figure travels with it.
#[utoipa::path(operation_id = "take_survey_to_team", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "Placed.", body = TeamTalkingPoints),
        (status = 409, description = "`results_not_ready`: the survey has not closed yet.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/enps-surveys/{id}/team-talking-points")]
pub async fn survey_to_team(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    use oneonone_domain::meeting::MeetingStatus;
    use oneonone_persistence::meetings::MeetingFilter;
    let me = usecases::feedback::person(&actor)?;
    let survey = state.db.get_survey(id.into_inner()).await?;
    let reports = state
        .db
        .list_people(&oneonone_persistence::people::PeopleFilter {
            manager_id: Some(me),
            active: Some(true),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    if reports.is_empty() {
        return Err(ApiError::Forbidden(
            "for managers: you have no direct reports".into(),
        ));
    }
    let now = oneonone_persistence::now();
    let mut next = Vec::new();
    for r in &reports {
        let upcoming = state
            .db
            .list_meetings(&MeetingFilter {
                manager_id: Some(me),
                report_id: Some(r.id),
                status: Some(MeetingStatus::Scheduled),
                from: Some(now),
                limit: 1,
                ..Default::default()
            })
            .await?;
        next.push((r.id, upcoming.first().map(|m| m.id)));
    }
    let survey_id = survey.id;
    let done = change(&state, move |tx| {
        Box::pin(
            async move { usecases::feedback::survey_to_team(tx, &actor, survey_id, next).await },
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(TeamTalkingPoints {
        talking_point: usecases::feedback::survey_talking_point(&survey.name),
        added: done
            .added
            .into_iter()
            .map(|(report_id, meeting_id, agenda_item_id)| PlacedPoint {
                report_id,
                meeting_id,
                agenda_item_id,
            })
            .collect(),
        without_meeting: done.without_meeting,
        already_there: done.already,
    }))
}

/// Which people a count covers.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SliceQuery {
    /// Everyone in this department.
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// Everyone below this manager, at any depth.
    pub manager_id: Option<Uuid>,
}

/// Feedback activity of a slice of the organisation, in counts. For a slice of fewer people
/// than the minimum group size, the counts are withheld (`null`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"people": 42, "min_group_size": 5, "given": 130, "received": 118,
    "requested": 12, "answered": 31, "acted_on": 22}))]
pub struct FeedbackCounts {
    /// Active people in the slice.
    pub people: usize,
    pub min_group_size: u32,
    /// Given by people in the slice, under their name (recognition included).
    pub given: Option<i64>,
    /// Received by people in the slice (anonymous answers once released).
    pub received: Option<i64>,
    /// Requests for feedback about people in the slice.
    pub requested: Option<i64>,
    /// Answers to those requests.
    pub answered: Option<i64>,
    /// Pieces of feedback people in the slice brought into a 1:1 (a talking point or an
    /// action item made of it).
    pub acted_on: Option<i64>,
}

/// Feedback activity in counts, for the whole organisation, a department or a manager's
/// subtree (HR admins, `reports:read` tokens). Never a word of text, never a person's own
/// counts: a slice smaller than the minimum group size shows none.
#[utoipa::path(operation_id = "feedback_counts", tag = TAG, params(SliceQuery),
    responses((status = 200, description = "The counts.", body = FeedbackCounts)))]
#[get("/feedback-counts")]
pub async fn counts(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<SliceQuery>,
) -> ApiResult<HttpResponse> {
    oneonone_domain::policy::feedback_counts(&actor)?;
    let q = query.into_inner();
    let population = super::slice_of(&state, q.department, q.manager_id).await?;
    let people: std::collections::HashSet<Uuid> = state
        .db
        .transact(move |tx| {
            Box::pin(async move {
                Ok::<_, usecases::Error>(
                    tx.people_of(&population)
                        .await?
                        .into_iter()
                        .map(|(id, _)| id)
                        .collect(),
                )
            })
        })
        .await?;
    let min = oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE;
    let shown = people.len() >= min as usize;
    let mut total = oneonone_persistence::feedback::Activity::default();
    if shown {
        for a in state.db.feedback_activity().await? {
            if people.contains(&a.person) {
                total.given += a.given;
                total.received += a.received;
                total.requested += a.requested;
                total.answered += a.answered;
                total.acted_on += a.acted_on;
            }
        }
    }
    let show = |n: i64| shown.then_some(n);
    Ok(HttpResponse::Ok().json(FeedbackCounts {
        people: people.len(),
        min_group_size: min,
        given: show(total.given),
        received: show(total.received),
        requested: show(total.requested),
        answered: show(total.answered),
        acted_on: show(total.acted_on),
    }))
}
