//! Calendars (RFC 5545): a secret feed address per person for their calendar app to subscribe
//! to, and one meeting's `.ics`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use oneonone_usecases as usecases;
use oneonone_usecases::calendar::Links;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Auth, random_secret, sha256_hex};
use crate::idempotency::{change, create_once, created};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

pub const TAG: &str = "calendar";

/// What every feed token starts with (so a leaked one is recognisable).
const FEED_PREFIX: &str = "ocf_";

/// Your calendar feed address, as it stands (its secret is shown once, when it is made).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"active": true, "created_at": "2030-01-07T09:00:00Z",
    "last_read_at": "2030-01-08T06:15:00Z"}))]
pub struct FeedOut {
    /// Whether you have a feed address; `false` until you make one, and after revoking it.
    pub active: bool,
    pub created_at: Option<DateTime<Utc>>,
    /// When a calendar app last read the feed (to the minute).
    pub last_read_at: Option<DateTime<Utc>>,
}

/// A new feed address: give `url` (or `webcal_url`) to your calendar app. It is shown this once;
/// make a new one to replace it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "url": "https://oneonone.example.com/api/v1/calendar-feeds/ocf_Jx1n0gR6Qe2oVtYw8fL3sKmA5bDcZ9hU4iEpN7rTqWk.ics",
    "webcal_url": "webcal://oneonone.example.com/api/v1/calendar-feeds/ocf_Jx1n0gR6Qe2oVtYw8fL3sKmA5bDcZ9hU4iEpN7rTqWk.ics",
    "created_at": "2030-01-07T09:00:00Z"}))]
pub struct FeedCreated {
    /// The secret address of your feed (anyone with it reads your 1:1s' times and names).
    pub url: String,
    /// The same address for apps that subscribe to `webcal:` links.
    pub webcal_url: String,
    pub created_at: DateTime<Utc>,
}

/// The token in a feed address.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FeedPath {
    /// The secret of the feed address.
    #[param(pattern = r"^[A-Za-z0-9_-]+$", min_length = 1, max_length = 200)]
    pub token: String,
}

fn me(actor: &oneonone_domain::Actor) -> ApiResult<Uuid> {
    actor.person_id().ok_or_else(|| {
        ApiError::Forbidden("a calendar feed belongs to a person, not to a token".into())
    })
}

fn links(state: &AppState, req: &HttpRequest) -> Links {
    Links {
        app_url: state
            .settings
            .app_url
            .clone()
            .unwrap_or_else(|| base_url(state, req)),
    }
}

/// This server's address as clients reach it: the configured public URL, else the request's.
fn base_url(state: &AppState, req: &HttpRequest) -> String {
    match &state.settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-cache"))
        .body(body)
}

/// Your calendar feed address: whether you have one, and when it was last read.
#[utoipa::path(operation_id = "read_calendar_feed", tag = TAG, responses(
    (status = 200, description = "Your feed address (never its secret).", body = FeedOut)))]
#[get("/me/calendar-feed")]
pub async fn read(state: web::Data<AppState>, Auth(actor): Auth) -> ApiResult<HttpResponse> {
    let person = me(&actor)?;
    let feed = state.db.feed_of(person).await?;
    Ok(HttpResponse::Ok().json(FeedOut {
        active: feed.is_some(),
        created_at: feed.as_ref().map(|f| f.created_at),
        last_read_at: feed.and_then(|f| f.last_read_at),
    }))
}

/// Make a new secret feed address for your calendar app (webcal/ICS subscription). An address
/// you had stops working at once: this is also how you rotate it.
#[utoipa::path(operation_id = "create_calendar_feed", tag = TAG,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Made: the address, shown this once.", body = FeedCreated,
        headers(("Location" = String, description = "`/api/v1/me/calendar-feed`.")))))]
#[post("/me/calendar-feed")]
pub async fn create(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    me(&actor)?;
    let base = base_url(&state, &req);
    let who = actor.clone();
    create_once(&state, &actor, &req, b"", move |tx| {
        Box::pin(async move {
            let token = format!("{FEED_PREFIX}{}", random_secret(32));
            let record =
                usecases::calendar::rotate_feed(tx, &who, &sha256_hex(token.as_bytes())).await?;
            let url = format!("{base}/api/v1/calendar-feeds/{token}.ics");
            let webcal_url = match url.split_once("://") {
                Some((_, rest)) => format!("webcal://{rest}"),
                None => url.clone(),
            };
            let out = FeedCreated {
                url,
                webcal_url,
                created_at: record.created_at,
            };
            created(&out, "/api/v1/me/calendar-feed".to_owned(), None)
        })
    })
    .await
}

/// Revoke your feed address: calendar apps subscribed to it get 404 from now on.
#[utoipa::path(operation_id = "revoke_calendar_feed", tag = TAG, responses(
    (status = 204, description = "Revoked (or there was none).")))]
#[delete("/me/calendar-feed")]
pub async fn revoke(state: web::Data<AppState>, Auth(actor): Auth) -> ApiResult<HttpResponse> {
    me(&actor)?;
    change(&state, move |tx| {
        Box::pin(async move { usecases::calendar::revoke_feed(tx, &actor).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A calendar feed (RFC 5545) for calendar apps: each of the person's recurring 1:1s as one
/// event with its rule in its time zone (moved meetings as overrides, skipped and cancelled ones
/// left out), and their other meetings. Times, names and a link to the agenda only: never a
/// talking point or a note. The secret address is the credential; no sign-in.
#[utoipa::path(operation_id = "calendar_feed", tag = TAG, security(()),
    params(FeedPath),
    responses(
        (status = 200, description = "The calendar.", content_type = "text/calendar", body = String,
            example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//1:1 calendar//EN\r\n…\r\nBEGIN:VEVENT\r\nUID:series-0190…@oneonone\r\nDTSTART;TZID=Europe/Berlin:20300107T100000\r\nRRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO\r\n…\r\nEND:VCALENDAR\r\n")),
        (status = 404, description = "Not a live feed address.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[get("/calendar-feeds/{token}.ics")]
pub async fn feed_ics(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<FeedPath>,
) -> ApiResult<HttpResponse> {
    let token = &path.token;
    if !token.starts_with(FEED_PREFIX) {
        return Err(ApiError::NotFound);
    }
    let person = state
        .db
        .feed_owner(&sha256_hex(token.as_bytes()))
        .await?
        .ok_or(ApiError::NotFound)?;
    let now = Utc::now();
    let body = usecases::calendar::feed_of(&state.db, person, &links(&state, &req), now).await?;
    state.db.feed_read(person, now).await?;
    Ok(ics(body))
}

/// One meeting as an `.ics` file to add to a calendar (an event of its own). Whoever may read
/// the meeting; times, names and a link to the agenda only.
#[utoipa::path(operation_id = "meeting_ics", tag = TAG, params(("id" = Uuid, Path)),
    responses((status = 200, description = "The meeting as iCalendar.", content_type = "text/calendar", body = String,
        example = json!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//oneonone//1:1 calendar//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:meeting-0190…@oneonone\r\nDTSTART:20300107T090000Z\r\n…\r\nEND:VCALENDAR\r\n"))))]
#[get("/meetings/{id}/calendar.ics")]
pub async fn meeting(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let body =
        usecases::calendar::meeting_ics(&state.db, &actor, id.into_inner(), &links(&state, &req))
            .await?;
    Ok(ics(body))
}
