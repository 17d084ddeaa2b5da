//! `/me/notification-settings`: which emails you receive and when; `/unsubscribe/{token}`: the
//! one-click link every email carries (RFC 8058), which needs no sign-in.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use oneonone_domain::notify::{self, EmailKind, NotificationSettings};
use oneonone_persistence::notify::StoredSettings;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Auth;
use crate::extract::{IfMatch, JsonBody, MergePatch, etag};
use crate::idempotency::change;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

pub const TAG: &str = "notifications";

/// Which kinds of email you receive.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct EmailChoices {
    /// Before each 1:1: the open talking points (shared ones and your own private ones) and
    /// the open action items of the pair.
    pub meeting_reminder: bool,
    /// After a 1:1 is held: the shared note and the action items agreed.
    pub meeting_summary: bool,
    /// Each Monday morning, for managers: the direct reports not met within their cadence,
    /// the overdue action items of their 1:1s.
    pub weekly_digest: bool,
    /// When a 1:1 is scheduled, moved, skipped or cancelled: a calendar invitation (iTIP,
    /// RFC 5546) that Outlook, Google Calendar and Apple Calendar apply themselves.
    pub meeting_invitation: bool,
    /// For whoever set up a webhook subscription (directly or with their API token): the
    /// server turned it off after a whole retry window of failed deliveries.
    pub webhook_disabled: bool,
    /// Check-ins: yours is open (and two days before it is due, if still open); your report
    /// submitted theirs for your review; your manager reviewed yours.
    pub checkin_reminder: bool,
    /// eNPS: a survey that asks you opened (and two days before it closes, if you have not
    /// answered; nobody learns who was reminded).
    pub enps_reminder: bool,
}

/// Changes to your notification settings (JSON merge patch: send only what changes).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Europe/Berlin", "reminder_lead_minutes": 120,
    "email": {"meeting_summary": false}}))]
pub struct SettingsPatch {
    /// The IANA time zone of the times in your emails; `null`: each 1:1's own zone.
    #[schema(nullable, example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    /// How long before a 1:1 its reminder goes out, in minutes (0 to 2880; default 1440).
    #[schema(minimum = 0, maximum = 2880, example = 1440)]
    pub reminder_lead_minutes: Option<i64>,
    pub email: Option<EmailChoicesPatch>,
}

/// Which kinds of email change (each left out stays as it is).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailChoicesPatch {
    pub meeting_reminder: Option<bool>,
    pub meeting_summary: Option<bool>,
    pub weekly_digest: Option<bool>,
    pub meeting_invitation: Option<bool>,
    pub webhook_disabled: Option<bool>,
    pub checkin_reminder: Option<bool>,
    pub enps_reminder: Option<bool>,
}

/// The settings as a patch is applied to them.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct SettingsFields {
    time_zone: Option<String>,
    reminder_lead_minutes: i64,
    #[validate(nested)]
    email: EmailChoices,
}

/// What a mail provider posts for a one-click unsubscribe (RFC 8058).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"List-Unsubscribe": "One-Click"}))]
pub struct OneClick {
    #[serde(rename = "List-Unsubscribe")]
    #[schema(rename = "List-Unsubscribe", nullable = false, example = "One-Click")]
    pub list_unsubscribe: Option<String>,
}

/// The token in an unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LinkPath {
    /// The token of the link in the email.
    #[param(pattern = r"^[A-Za-z0-9_.-]+$", min_length = 1, max_length = 2000)]
    pub token: String,
}

/// Your notification settings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"time_zone": null, "reminder_lead_minutes": 1440,
    "email": {"meeting_reminder": true, "meeting_summary": true, "weekly_digest": true,
        "meeting_invitation": true, "webhook_disabled": true, "checkin_reminder": true,
        "enps_reminder": true},
    "email_delivery": true, "updated_at": null}))]
pub struct SettingsOut {
    pub time_zone: Option<String>,
    pub reminder_lead_minutes: i64,
    pub email: EmailChoices,
    /// Whether this server sends email at all (an operator sets `ONEONONE_SMTP_URL`).
    pub email_delivery: bool,
    /// When you last changed them; `null`: never (the defaults).
    pub updated_at: Option<DateTime<Utc>>,
}

fn fields(s: &NotificationSettings) -> SettingsFields {
    SettingsFields {
        time_zone: s.time_zone.map(|z| z.name().to_owned()),
        reminder_lead_minutes: i64::from(s.reminder_lead_minutes),
        email: EmailChoices {
            meeting_reminder: s.meeting_reminder,
            meeting_summary: s.meeting_summary,
            weekly_digest: s.weekly_digest,
            meeting_invitation: s.meeting_invitation,
            webhook_disabled: s.webhook_disabled,
            checkin_reminder: s.checkin_reminder,
            enps_reminder: s.enps_reminder,
        },
    }
}

fn out(state: &AppState, stored: StoredSettings) -> HttpResponse {
    let f = fields(&stored.settings);
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(stored.version)))
        .json(SettingsOut {
            time_zone: f.time_zone,
            reminder_lead_minutes: f.reminder_lead_minutes,
            email: f.email,
            email_delivery: state.settings.smtp_url.is_some(),
            updated_at: stored.updated_at,
        })
}

fn settings_of(f: SettingsFields) -> Result<NotificationSettings, ApiError> {
    let mut problems = Vec::new();
    let time_zone = match f.time_zone.as_deref() {
        None => None,
        Some(z) => notify::parse_time_zone("time_zone", z)
            .map_err(|e| problems.push(e))
            .ok(),
    };
    let lead = notify::check_lead("reminder_lead_minutes", f.reminder_lead_minutes)
        .map_err(|e| problems.push(e))
        .unwrap_or_default();
    if !problems.is_empty() {
        return Err(ApiError::Validation(oneonone_domain::ValidationErrors(
            problems,
        )));
    }
    Ok(NotificationSettings {
        time_zone,
        reminder_lead_minutes: lead,
        meeting_reminder: f.email.meeting_reminder,
        meeting_summary: f.email.meeting_summary,
        weekly_digest: f.email.weekly_digest,
        meeting_invitation: f.email.meeting_invitation,
        webhook_disabled: f.email.webhook_disabled,
        checkin_reminder: f.email.checkin_reminder,
        enps_reminder: f.email.enps_reminder,
    })
}

fn me(actor: &oneonone_domain::Actor) -> ApiResult<uuid::Uuid> {
    actor.person_id().ok_or_else(|| {
        ApiError::Forbidden("notification settings belong to a person, not to a token".into())
    })
}

/// Your notification settings (the defaults until you change them).
#[utoipa::path(operation_id = "read_notification_settings", tag = TAG, responses(
    (status = 200, description = "Your settings.", body = SettingsOut, headers(("ETag" = String)))))]
#[get("/me/notification-settings")]
pub async fn read(state: web::Data<AppState>, Auth(actor): Auth) -> ApiResult<HttpResponse> {
    let person = me(&actor)?;
    let stored = state.db.notification_settings(person).await?;
    Ok(out(&state, stored))
}

/// Change your notification settings (a merge patch: send only what changes).
#[utoipa::path(operation_id = "update_notification_settings", tag = TAG,
    params(crate::extract::IfMatchHeader),
    request_body(content = SettingsPatch, content_type = "application/merge-patch+json",
        example = json!({"reminder_lead_minutes": 60, "email": {"meeting_summary": false}})),
    responses((status = 200, description = "Changed.", body = SettingsOut, headers(("ETag" = String)))))]
#[patch("/me/notification-settings")]
pub async fn update(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    if_match: IfMatch,
    body: JsonBody<MergePatch>,
) -> ApiResult<HttpResponse> {
    let person = me(&actor)?;
    let current = state.db.notification_settings(person).await?;
    let next = settings_of(body.into_inner().apply(&fields(&current.settings))?)?;
    if_match.check(&etag(current.version))?;
    let expected = current.version;
    let stored = change(&state, move |tx| {
        Box::pin(async move {
            usecases::notify::update_settings(tx, &actor, Some(expected), &next).await
        })
    })
    .await?;
    Ok(out(&state, stored))
}

fn link(state: &AppState, token: &str) -> ApiResult<(uuid::Uuid, EmailKind)> {
    state.links.read(token).ok_or(ApiError::NotFound)
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
             <body style=\"font-family: sans-serif; max-width: 36em; margin: 3em auto;\">\
             <h1 style=\"font-size: 1.3em;\">{title}</h1>{body}</body></html>"
        ))
}

/// The page an unsubscribe link opens: what it stops, and a button that stops it (a link
/// scanner following the link changes nothing).
#[utoipa::path(operation_id = "unsubscribe_page", tag = TAG, security(()),
    params(LinkPath),
    responses(
        (status = 200, description = "A page with a button that unsubscribes.", content_type = "text/html", body = String,
            example = json!("<!DOCTYPE html><html>…<form method=\"post\">…</form>…</html>")),
        (status = 404, description = "Not a link this server made.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[get("/unsubscribe/{token}")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    path: web::Path<LinkPath>,
) -> ApiResult<HttpResponse> {
    let (_, kind) = link(&state, &path.token)?;
    Ok(page(
        "Unsubscribe",
        &format!(
            "<p>Stop receiving {} by email?</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" \
             value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>",
            kind.describe()
        ),
    ))
}

/// One-click unsubscribe (RFC 8058): mail providers post `List-Unsubscribe=One-Click` here;
/// the link itself is the proof, no sign-in. Posting again changes nothing.
#[utoipa::path(operation_id = "unsubscribe", tag = TAG, security(()),
    params(LinkPath),
    request_body(content = OneClick, content_type = "application/x-www-form-urlencoded",
        description = "`List-Unsubscribe=One-Click` (RFC 8058); any body, or none, does the same."),
    responses(
        (status = 200, description = "Unsubscribed: a page that says so.", content_type = "text/html", body = String,
            example = json!("<!DOCTYPE html><html>…You will no longer receive…</html>")),
        (status = 404, description = "Not a link this server made.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    path: web::Path<LinkPath>,
) -> ApiResult<HttpResponse> {
    let (person, kind) = link(&state, &path.token)?;
    change(&state, move |tx| {
        Box::pin(async move { usecases::notify::unsubscribe(tx, person, kind).await })
    })
    .await?;
    Ok(page(
        "Unsubscribed",
        &format!(
            "<p>You will no longer receive {} by email. You can turn them on again in your \
             notification settings.</p>",
            kind.describe()
        ),
    ))
}
