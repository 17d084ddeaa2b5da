//! `/meeting-series` and `/meetings`: recurring 1:1s and their meetings.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use oneonone_domain::cadence::{self, Cadence, Frequency, parse_time_zone};
use oneonone_domain::meeting::{Meeting, MeetingKind, MeetingSeries, MeetingStatus};
use oneonone_domain::{Actor, ValidationErrors, policy};
use oneonone_persistence::meetings::{MeetingChange, MeetingFilter, NewSeries};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Auth, AuthPending};
use crate::extract::{IfMatch, JsonBody, etag};
use crate::idempotency::{create_once, created};
use crate::pagination;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use oneonone_usecases as usecases;

/// The kind of 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MeetingKind)]
pub enum Kind {
    ManagerReport,
    SkipLevel,
    Peer,
    CrossFunctional,
    SecondaryManager,
}

impl From<Kind> for MeetingKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::ManagerReport => MeetingKind::ManagerReport,
            Kind::SkipLevel => MeetingKind::SkipLevel,
            Kind::Peer => MeetingKind::Peer,
            Kind::CrossFunctional => MeetingKind::CrossFunctional,
            Kind::SecondaryManager => MeetingKind::SecondaryManager,
        }
    }
}

impl From<MeetingKind> for Kind {
    fn from(k: MeetingKind) -> Self {
        match k {
            MeetingKind::ManagerReport => Kind::ManagerReport,
            MeetingKind::SkipLevel => Kind::SkipLevel,
            MeetingKind::Peer => Kind::Peer,
            MeetingKind::CrossFunctional => Kind::CrossFunctional,
            MeetingKind::SecondaryManager => Kind::SecondaryManager,
        }
    }
}

/// Where a meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MeetingStatus)]
pub enum Status {
    Scheduled,
    Completed,
    Skipped,
    Cancelled,
}

impl From<Status> for MeetingStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Scheduled => MeetingStatus::Scheduled,
            Status::Completed => MeetingStatus::Completed,
            Status::Skipped => MeetingStatus::Skipped,
            Status::Cancelled => MeetingStatus::Cancelled,
        }
    }
}

impl From<MeetingStatus> for Status {
    fn from(s: MeetingStatus) -> Self {
        match s {
            MeetingStatus::Scheduled => Status::Scheduled,
            MeetingStatus::Completed => Status::Completed,
            MeetingStatus::Skipped => Status::Skipped,
            MeetingStatus::Cancelled => Status::Cancelled,
        }
    }
}

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyKind {
    /// Every `interval_weeks` weeks on `weekday`.
    Weekly,
    /// Monthly on the `nth` `weekday` (-1: the last).
    MonthlyWeekday,
    /// Monthly on `day_of_month` (the last day in shorter months).
    MonthlyDay,
}

/// A day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl From<Day> for Weekday {
    fn from(d: Day) -> Self {
        match d {
            Day::Monday => Weekday::Mon,
            Day::Tuesday => Weekday::Tue,
            Day::Wednesday => Weekday::Wed,
            Day::Thursday => Weekday::Thu,
            Day::Friday => Weekday::Fri,
            Day::Saturday => Weekday::Sat,
            Day::Sunday => Weekday::Sun,
        }
    }
}

impl From<Weekday> for Day {
    fn from(d: Weekday) -> Self {
        match d {
            Weekday::Mon => Day::Monday,
            Weekday::Tue => Day::Tuesday,
            Weekday::Wed => Day::Wednesday,
            Weekday::Thu => Day::Thursday,
            Weekday::Fri => Day::Friday,
            Weekday::Sat => Day::Saturday,
            Weekday::Sun => Day::Sunday,
        }
    }
}

/// A cadence: the repeat rule. Local time, zone and duration are on the series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"frequency": "weekly", "interval_weeks": 1, "weekday": "tuesday"}))]
pub struct CadenceDto {
    pub frequency: FrequencyKind,
    /// For `weekly`: 1 (weekly) to 8; 2 is biweekly. Default 1.
    #[validate(range(min = 1, max = 8))]
    #[schema(minimum = 1, maximum = 8)]
    pub interval_weeks: Option<u8>,
    /// For `weekly` and `monthly_weekday`. Default: the weekday of `start_date`.
    pub weekday: Option<Day>,
    /// For `monthly_weekday`: 1 to 4, or -1 for the last. Default 1.
    #[validate(range(min = -1, max = 4))]
    #[schema(minimum = -1, maximum = 4)]
    pub nth: Option<i8>,
    /// For `monthly_day`: 1 to 31. Default: the day of `start_date`.
    #[validate(range(min = 1, max = 31))]
    #[schema(minimum = 1, maximum = 31)]
    pub day_of_month: Option<u8>,
}

/// A new recurring 1:1.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "manager_report",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "report_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "cadence": {"frequency": "weekly", "interval_weeks": 1, "weekday": "tuesday"},
    "local_time": "10:00",
    "time_zone": "Europe/Berlin",
    "duration_minutes": 30,
    "start_date": "2026-12-01"
}))]
pub struct SeriesIn {
    /// Default `manager_report`.
    pub kind: Option<Kind>,
    /// The manager; for peer and cross-functional 1:1s, the organiser.
    pub manager_id: Uuid,
    /// The report; for peer and cross-functional 1:1s, the other person.
    pub report_id: Uuid,
    /// Default: the recommendation for this pair (`GET /people/{id}/cadence-recommendation`).
    #[validate(nested)]
    pub cadence: Option<CadenceDto>,
    /// Local start time, `HH:MM`.
    #[schema(example = "10:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub local_time: String,
    /// IANA time zone; the meeting stays at `local_time` there across daylight-saving changes.
    #[schema(example = "Europe/Berlin", max_length = 64)]
    pub time_zone: String,
    /// 15 to 120. Default: the recommendation (30, or 60 for managers of managers).
    #[schema(minimum = 15, maximum = 120)]
    pub duration_minutes: Option<u16>,
    /// First possible date (local). Default: today in `time_zone`.
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// An agenda template (`GET /agenda-templates`) whose talking points start every meeting
    /// of the series. Unchecked ones are not carried over: the next meeting brings them anyway.
    pub agenda_template_id: Option<Uuid>,
}

/// A recurring 1:1.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesOut {
    pub id: Uuid,
    pub kind: Kind,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub cadence: CadenceDto,
    /// `HH:MM` in `time_zone`.
    pub local_time: String,
    pub time_zone: String,
    pub duration_minutes: u16,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    pub paused: bool,
    /// The template every meeting of the series starts with, if any.
    pub agenda_template_id: Option<Uuid>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<MeetingSeries> for SeriesOut {
    fn from(s: MeetingSeries) -> Self {
        let cadence = match s.cadence.frequency {
            Frequency::Weekly {
                interval_weeks,
                weekday,
            } => CadenceDto {
                frequency: FrequencyKind::Weekly,
                interval_weeks: Some(interval_weeks),
                weekday: Some(weekday.into()),
                nth: None,
                day_of_month: None,
            },
            Frequency::MonthlyByWeekday { nth, weekday } => CadenceDto {
                frequency: FrequencyKind::MonthlyWeekday,
                interval_weeks: None,
                weekday: Some(weekday.into()),
                nth: Some(nth),
                day_of_month: None,
            },
            Frequency::MonthlyByDay { day } => CadenceDto {
                frequency: FrequencyKind::MonthlyDay,
                interval_weeks: None,
                weekday: None,
                nth: None,
                day_of_month: Some(day),
            },
        };
        Self {
            id: s.id,
            kind: s.kind.into(),
            manager_id: s.manager_id,
            report_id: s.report_id,
            cadence,
            local_time: s.cadence.local_time.format("%H:%M").to_string(),
            time_zone: s.cadence.time_zone.name().to_owned(),
            duration_minutes: s.cadence.duration_minutes,
            start_date: s.cadence.start_date,
            end_date: s.cadence.end_date,
            paused: s.paused,
            agenda_template_id: s.agenda_template_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A page of series.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPage {
    pub data: Vec<SeriesOut>,
    pub next_cursor: Option<String>,
}

/// A meeting (metadata: who, when, status).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d40",
    "series_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3f",
    "occurrence_date": "2026-12-01",
    "kind": "manager_report",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "report_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "starts_at": "2026-12-01T09:00:00Z",
    "ends_at": "2026-12-01T09:30:00Z",
    "status": "scheduled",
    "held_at": null,
    "actual_duration_minutes": null,
    "created_at": "2026-11-23T10:00:00Z",
    "updated_at": "2026-11-23T10:00:00Z"
}))]
pub struct MeetingOut {
    pub id: Uuid,
    /// `null` for a one-off meeting.
    pub series_id: Option<Uuid>,
    /// The series slot (local date) this meeting fills; kept when it is rescheduled.
    pub occurrence_date: Option<NaiveDate>,
    pub kind: Kind,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub starts_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub ends_at: DateTime<Utc>,
    pub status: Status,
    /// When it was held (completed meetings).
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub held_at: Option<DateTime<Utc>>,
    pub actual_duration_minutes: Option<i32>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<Meeting> for MeetingOut {
    fn from(m: Meeting) -> Self {
        Self {
            id: m.id,
            series_id: m.series_id,
            occurrence_date: m.occurrence_date,
            kind: m.kind.into(),
            manager_id: m.manager_id,
            report_id: m.report_id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            status: m.status.into(),
            held_at: m.held_at,
            actual_duration_minutes: m.actual_duration_minutes,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A page of meetings.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingPage {
    pub data: Vec<MeetingOut>,
    pub next_cursor: Option<String>,
}

/// `me` or a person's id.
fn participant(raw: Option<&str>, actor: &Actor) -> ApiResult<Option<Uuid>> {
    match raw {
        None => Ok(None),
        Some("me") => actor.person_id().map(Some).ok_or(ApiError::BadRequest {
            code: "invalid_query",
            detail: "participant=me needs a signed-in person, not an API token".into(),
        }),
        Some(id) => id.parse().map(Some).map_err(|_| ApiError::BadRequest {
            code: "invalid_query",
            detail: "participant must be `me` or a person id".into(),
        }),
    }
}

/// Whom `actor` may list meetings of: their own, or anyone's for HR admins and readers.
fn scope_listing(actor: &Actor, wanted: Option<Uuid>) -> ApiResult<Option<Uuid>> {
    let sees_all = policy::see_all_meetings(actor);
    match (wanted, actor.person_id()) {
        (w, _) if sees_all => Ok(w),
        (Some(w), Some(me)) if w == me => Ok(Some(me)),
        (None, Some(me)) => Ok(Some(me)),
        _ => Err(ApiError::Forbidden(
            "you can list only your own meetings".into(),
        )),
    }
}

/// The recommended cadence for a pair.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"cadence": {"frequency": "weekly", "interval_weeks": 1}, "duration_minutes": 30, "direct_reports": 6, "reason": "up to 10 direct reports: weekly"}))]
pub struct Recommendation {
    pub cadence: CadenceDto,
    pub duration_minutes: u16,
    /// The manager's active direct reports.
    pub direct_reports: i64,
    /// Which rule applied.
    pub reason: String,
}

async fn recommendation_for(
    state: &AppState,
    person: Uuid,
) -> ApiResult<(Recommendation, cadence::Recommendation)> {
    let p = state.db.get_person(person).await?;
    let (span, report_manages) = match p.manager_id {
        Some(manager) => (
            state.db.span_of_control(manager).await?,
            state.db.span_of_control(person).await? > 0,
        ),
        None => (0, false),
    };
    let r = cadence::recommend(usize::try_from(span).unwrap_or(0), report_manages);
    let dto = Recommendation {
        cadence: CadenceDto {
            frequency: if r.monthly {
                FrequencyKind::MonthlyWeekday
            } else {
                FrequencyKind::Weekly
            },
            interval_weeks: r.interval_weeks,
            weekday: None,
            nth: r.monthly.then_some(1),
            day_of_month: None,
        },
        duration_minutes: r.duration_minutes,
        direct_reports: span,
        reason: r.reason.to_owned(),
    };
    Ok((dto, r))
}

/// The cadence the HR guide recommends for this person's 1:1s with their manager.
///
/// From the manager's span of control: up to 10 direct reports weekly; 11 to 15 every two
/// weeks; more than 15 monthly (first `weekday` of the month). 30 minutes, or 60 when this
/// person manages people themselves (a department head meeting a mid-level manager). Also the
/// default of `POST /meeting-series` without a `cadence`.
#[utoipa::path(tag = "meetings", operation_id = "cadence_recommendation", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The recommendation.", body = Recommendation)))]
#[get("/people/{id}/cadence-recommendation")]
pub async fn recommendation(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    policy::read_directory(&actor)?;
    let (dto, _) = recommendation_for(&state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// A cadence as a request states it, its defaults taken from the first date.
fn frequency_of(c: &CadenceDto, first: NaiveDate) -> Frequency {
    use chrono::Datelike;
    match c.frequency {
        FrequencyKind::Weekly => Frequency::Weekly {
            interval_weeks: c.interval_weeks.unwrap_or(1),
            weekday: c.weekday.map(Weekday::from).unwrap_or(first.weekday()),
        },
        FrequencyKind::MonthlyWeekday => Frequency::MonthlyByWeekday {
            nth: c.nth.unwrap_or(1),
            weekday: c.weekday.map(Weekday::from).unwrap_or(first.weekday()),
        },
        FrequencyKind::MonthlyDay => Frequency::MonthlyByDay {
            day: c
                .day_of_month
                .unwrap_or(u8::try_from(first.day()).unwrap_or(1)),
        },
    }
}

fn parse_series(
    body: &SeriesIn,
    rec: &cadence::Recommendation,
) -> Result<NewSeries, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let tz = errors.check("time_zone", parse_time_zone(body.time_zone.trim()));
    let local_time = errors.check(
        "local_time",
        NaiveTime::parse_from_str(body.local_time.trim(), "%H:%M").map_err(|_| "must be HH:MM"),
    );
    if body.manager_id == body.report_id {
        errors.push("report_id", "a 1:1 needs two different people");
    }
    errors.clone().into_result()?;
    let (Some(tz), Some(local_time)) = (tz, local_time) else {
        return Err(errors);
    };
    let start_date = body
        .start_date
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
    let frequency = match &body.cadence {
        Some(c) => frequency_of(c, start_date),
        None if rec.monthly => Frequency::MonthlyByWeekday {
            nth: 1,
            weekday: chrono::Datelike::weekday(&start_date),
        },
        None => Frequency::Weekly {
            interval_weeks: rec.interval_weeks.unwrap_or(1),
            weekday: chrono::Datelike::weekday(&start_date),
        },
    };
    let cadence = Cadence::new(
        frequency,
        local_time,
        tz,
        body.duration_minutes.unwrap_or(rec.duration_minutes),
        start_date,
        body.end_date,
    )?;
    Ok(NewSeries {
        kind: body.kind.unwrap_or(Kind::ManagerReport).into(),
        manager_id: body.manager_id,
        report_id: body.report_id,
        cadence,
        agenda_template_id: body.agenda_template_id,
    })
}

/// 422 unless `id` names an agenda template.
async fn check_template(state: &AppState, actor: &Actor, id: Option<Uuid>) -> ApiResult<()> {
    const MISSING: &str = "no such template";
    if let Some(id) = id {
        let t = state
            .db
            .get_template(id)
            .await
            .map_err(ApiError::unless_found("agenda_template_id", MISSING))?;
        if !policy::see_template(actor, t.owner_id) {
            return Err(ApiError::validation("agenda_template_id", MISSING));
        }
    }
    Ok(())
}

/// Create a recurring 1:1.
///
/// Either participant, an HR admin, or a `meetings:write` token. The next 8 occurrences exist
/// as meetings at once (and are kept filled as time passes), so agendas can be prepared ahead.
/// A retrying script sends an `Idempotency-Key` and gets the same series back.
#[utoipa::path(tag = "meetings", operation_id = "create_meeting_series", request_body = SeriesIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Created.", body = SeriesOut,
        headers(("Location" = String, description = "The series' URL.")))))]
#[post("/meeting-series")]
pub async fn create_series(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<SeriesIn>,
) -> ApiResult<HttpResponse> {
    let pair = [body.value.manager_id, body.value.report_id];
    policy::schedule_meeting(&actor, pair)?;
    let missing = state.db.missing_people(&pair).await?;
    if !missing.is_empty() {
        let mut errors = ValidationErrors::default();
        if missing.contains(&pair[0]) {
            errors.push("manager_id", "no such person");
        }
        if missing.contains(&pair[1]) {
            errors.push("report_id", "no such person");
        }
        return Err(errors.into());
    }
    let (_, rec) = recommendation_for(&state, body.value.report_id).await?;
    let new = parse_series(&body.value, &rec)?;
    check_template(&state, &actor, new.agenda_template_id).await?;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let series = usecases::meetings::create_series(tx, &who, &new).await?;
            let id = series.id;
            created(
                &SeriesOut::from(series),
                format!("/api/v1/meeting-series/{id}"),
                None,
            )
        })
    })
    .await
}

/// Filters of `GET /meeting-series`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `me` or a person id. People see only their own; HR admins and `meetings:read` tokens
    /// anyone's.
    pub participant: Option<String>,
}

/// List recurring 1:1s.
#[utoipa::path(tag = "meetings", operation_id = "list_meeting_series", params(SeriesQuery),
    responses((status = 200, description = "A page of series.", body = SeriesPage)))]
#[get("/meeting-series")]
pub async fn list_series(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<SeriesQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let who = scope_listing(&actor, participant(q.participant.as_deref(), &actor)?)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<Uuid>(q.cursor.as_deref())?;
    let rows = state.db.list_series(who, after, limit + 1).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |s| s.id);
    Ok(HttpResponse::Ok().json(SeriesPage {
        data: rows.into_iter().map(SeriesOut::from).collect(),
        next_cursor,
    }))
}

/// Read a recurring 1:1. Participants, HR admins and `meetings:read` tokens; 404 for others.
#[utoipa::path(tag = "meetings", operation_id = "read_meeting_series", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The series.", body = SeriesOut, headers(("ETag" = String)))))]
#[get("/meeting-series/{id}")]
pub async fn read_series(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let series = state.db.get_series(id.into_inner()).await?;
    if !policy::see_meeting(&actor, [series.manager_id, series.report_id]) {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(series.version)))
        .json(SeriesOut::from(series)))
}

/// Filters of `GET /meetings`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingsQuery {
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `me` or a person id. People see only their own; HR admins and `meetings:read` tokens
    /// anyone's.
    pub participant: Option<String>,
    pub series_id: Option<Uuid>,
    pub status: Option<Status>,
    /// Only 1:1s of this kind.
    pub kind: Option<Kind>,
    /// Only 1:1s with this manager (the organiser, for peer and cross-functional ones).
    pub manager_id: Option<Uuid>,
    /// Only 1:1s with this report (the other person, for peer and cross-functional ones).
    pub report_id: Option<Uuid>,
    /// Only meetings starting at or after this instant (e.g. now, for upcoming ones).
    pub from: Option<DateTime<Utc>>,
    /// Only meetings starting before this instant (e.g. now, for past ones).
    pub to: Option<DateTime<Utc>>,
}

/// List meetings, by start time.
#[utoipa::path(tag = "meetings", operation_id = "list_meetings", params(MeetingsQuery),
    responses((status = 200, description = "A page of meetings.", body = MeetingPage)))]
#[get("/meetings")]
pub async fn list_meetings(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<MeetingsQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let who = scope_listing(&actor, participant(q.participant.as_deref(), &actor)?)?;
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<(DateTime<Utc>, Uuid)>(q.cursor.as_deref())?;
    let filter = MeetingFilter {
        participant: who,
        series_id: q.series_id,
        kind: q.kind.map(Into::into),
        manager_id: q.manager_id,
        report_id: q.report_id,
        status: q.status.map(Into::into),
        from: q.from,
        to: q.to,
        after,
        limit: limit + 1,
    };
    let rows = state.db.list_meetings(&filter).await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |m| (m.starts_at, m.id));
    Ok(HttpResponse::Ok().json(MeetingPage {
        data: rows.into_iter().map(MeetingOut::from).collect(),
        next_cursor,
    }))
}

/// A one-off meeting.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001", "report_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e", "starts_at": "2026-12-03T15:00:00Z", "duration_minutes": 45}))]
pub struct MeetingIn {
    /// Default `manager_report`.
    pub kind: Option<Kind>,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub starts_at: DateTime<Utc>,
    /// 15 to 120. Default 30.
    #[schema(minimum = 15, maximum = 120)]
    pub duration_minutes: Option<u16>,
}

fn meeting_response(status: StatusCode, m: Meeting) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(m.version)))
        .json(MeetingOut::from(m))
}

fn check_duration(field: &str, minutes: u16) -> ApiResult<Duration> {
    if (cadence::MIN_DURATION_MINUTES..=cadence::MAX_DURATION_MINUTES).contains(&minutes) {
        Ok(Duration::minutes(i64::from(minutes)))
    } else {
        Err(ApiError::validation(field, "must be between 15 and 120"))
    }
}

/// Create a one-off meeting outside any series.
#[utoipa::path(tag = "meetings", operation_id = "create_meeting", request_body = MeetingIn,
    params(crate::extract::IdempotencyKeyHeader),
    responses((status = 201, description = "Created.", body = MeetingOut,
        headers(("Location" = String), ("ETag" = String)))))]
#[post("/meetings")]
pub async fn create_meeting(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    body: JsonBody<MeetingIn>,
) -> ApiResult<HttpResponse> {
    let b = &body.value;
    let pair = [b.manager_id, b.report_id];
    policy::schedule_meeting(&actor, pair)?;
    if b.manager_id == b.report_id {
        return Err(ApiError::validation(
            "report_id",
            "a 1:1 needs two different people",
        ));
    }
    let length = check_duration("duration_minutes", b.duration_minutes.unwrap_or(30))?;
    let missing = state.db.missing_people(&pair).await?;
    if !missing.is_empty() {
        return Err(ApiError::validation(
            if missing.contains(&pair[0]) {
                "manager_id"
            } else {
                "report_id"
            },
            "no such person",
        ));
    }
    let kind: MeetingKind = b.kind.unwrap_or(Kind::ManagerReport).into();
    let starts_at = b.starts_at;
    let who = actor.clone();
    create_once(&state, &actor, &req, &body.raw, move |tx| {
        Box::pin(async move {
            let meeting = usecases::meetings::create_meeting(
                tx,
                &who,
                kind,
                pair,
                starts_at,
                starts_at + length,
            )
            .await?;
            let (id, tag) = (meeting.id, etag(meeting.version));
            created(
                &MeetingOut::from(meeting),
                format!("/api/v1/meetings/{id}"),
                Some(tag),
            )
        })
    })
    .await
}

/// What a participant sees of a meeting besides its metadata: everything to run it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingContent {
    /// The agenda in order: shared items and your private ones.
    pub agenda_items: Vec<super::agenda::ItemOut>,
    pub notes: super::agenda::NotesOut,
    /// Agreed in this meeting, or still open from earlier meetings of the series.
    pub action_items: Vec<super::action_items::ActionOut>,
    /// The two participants' active goals you may see, off track and at risk first, each with
    /// its last update: what to talk about.
    pub goals: Vec<super::goals::PairGoalOut>,
}

/// A meeting, with its content for participants.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingDetail {
    #[serde(flatten)]
    pub meeting: MeetingOut,
    /// Present for the two participants only; `null` for HR admins and API tokens, who see
    /// metadata.
    pub content: Option<MeetingContent>,
}

/// Read a meeting: metadata for participants, HR admins and `meetings:read` tokens (404 for
/// anyone else), and for the participants its agenda, notes and action items in one response.
#[utoipa::path(tag = "meetings", operation_id = "read_meeting", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The meeting.", body = MeetingDetail, headers(("ETag" = String)))))]
#[get("/meetings/{id}")]
pub async fn read_meeting(
    AuthPending(bearer, mut reads): AuthPending,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    // One query for the page and the principal's record that authentication checks; the
    // content read for the bearer is shown only if the policy makes them a participant.
    let reader = bearer.person_id();
    let page = reads.meeting_page(id.into_inner(), reader).await?;
    let actor = bearer.into_actor(page.principal)?;
    let meeting = page.meeting.ok_or(ApiError::NotFound)?;
    if !policy::see_meeting(&actor, meeting.participants()) {
        return Err(ApiError::NotFound);
    }
    let content = match policy::meeting_content(&actor, meeting.participants()) {
        policy::ContentAccess::Participant(me) if Some(me) == reader => Some(MeetingContent {
            agenda_items: super::agenda::agenda_as_seen(page.agenda),
            notes: super::agenda::NotesOut {
                shared: page.shared_note.map(Into::into),
                private: page.private_note.map(Into::into),
            },
            action_items: page.action_items.into_iter().map(Into::into).collect(),
            goals: page.goals.into_iter().map(Into::into).collect(),
        }),
        _ => None,
    };
    let tag = etag(meeting.version);
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, tag))
        .json(MeetingDetail {
            meeting: meeting.into(),
            content,
        }))
}

/// A reschedule.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"starts_at": "2026-12-02T14:00:00Z"}))]
pub struct Reschedule {
    pub starts_at: Option<DateTime<Utc>>,
    #[schema(minimum = 15, maximum = 120)]
    pub duration_minutes: Option<u16>,
}

async fn change(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    if_match: &IfMatch,
    to: MeetingStatus,
    shape: impl FnOnce(&Meeting) -> usecases::Result<MeetingChange> + Send + 'static,
) -> ApiResult<HttpResponse> {
    let precondition = if_match.precondition();
    let who = actor.clone();
    let updated = crate::idempotency::change(state, move |tx| {
        Box::pin(async move {
            usecases::meetings::change_meeting(tx, &who, id, to, &precondition, Box::new(shape))
                .await
        })
    })
    .await?;
    Ok(meeting_response(StatusCode::OK, updated))
}

/// Reschedule one meeting (it keeps its id, agenda and series slot).
#[utoipa::path(tag = "meetings", operation_id = "reschedule_meeting",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = Reschedule, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Rescheduled.", body = MeetingOut, headers(("ETag" = String))),
        (status = 409, description = "Only scheduled meetings move.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[patch("/meetings/{id}")]
pub async fn reschedule(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<Reschedule>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let length = b
        .duration_minutes
        .map(|d| check_duration("duration_minutes", d))
        .transpose()?;
    change(
        &state,
        &actor,
        id.into_inner(),
        &if_match,
        MeetingStatus::Scheduled,
        move |meeting| {
            let starts_at = b.starts_at.unwrap_or(meeting.starts_at);
            Ok(MeetingChange {
                status: MeetingStatus::Scheduled,
                starts_at,
                ends_at: starts_at + length.unwrap_or(meeting.ends_at - meeting.starts_at),
                held_at: None,
                actual_duration_minutes: None,
            })
        },
    )
    .await
}

/// Completing a meeting.
#[derive(Debug, Default, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held_at": "2026-12-01T09:02:00Z", "actual_duration_minutes": 35}))]
pub struct Complete {
    /// When it was held. Default: the scheduled start.
    pub held_at: Option<DateTime<Utc>>,
    #[validate(range(min = 1, max = 480))]
    #[schema(minimum = 1, maximum = 480)]
    pub actual_duration_minutes: Option<i32>,
}

/// Mark a meeting as held.
#[utoipa::path(tag = "meetings", operation_id = "complete_meeting",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader), request_body = Complete,
    responses((status = 200, description = "Completed (or already).", body = MeetingOut),
        (status = 409, description = "A skipped or cancelled meeting cannot be completed.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/meetings/{id}/complete")]
pub async fn complete(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<Complete>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    change(
        &state,
        &actor,
        id.into_inner(),
        &if_match,
        MeetingStatus::Completed,
        move |meeting| {
            Ok(MeetingChange {
                status: MeetingStatus::Completed,
                starts_at: meeting.starts_at,
                ends_at: meeting.ends_at,
                held_at: Some(b.held_at.unwrap_or(meeting.starts_at)),
                actual_duration_minutes: b.actual_duration_minutes,
            })
        },
    )
    .await
}

fn status_only(
    to: MeetingStatus,
) -> impl FnOnce(&Meeting) -> usecases::Result<MeetingChange> + Send + 'static {
    move |meeting| {
        Ok(MeetingChange {
            status: to,
            starts_at: meeting.starts_at,
            ends_at: meeting.ends_at,
            held_at: None,
            actual_duration_minutes: None,
        })
    }
}

/// Skip this occurrence (the series goes on).
#[utoipa::path(tag = "meetings", operation_id = "skip_meeting",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 200, description = "Skipped (or already).", body = MeetingOut),
        (status = 409, description = "Only scheduled meetings can be skipped.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/meetings/{id}/skip")]
pub async fn skip(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    change(
        &state,
        &actor,
        id.into_inner(),
        &if_match,
        MeetingStatus::Skipped,
        status_only(MeetingStatus::Skipped),
    )
    .await
}

/// Cancel a meeting.
#[utoipa::path(tag = "meetings", operation_id = "cancel_meeting",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    responses((status = 200, description = "Cancelled (or already).", body = MeetingOut),
        (status = 409, description = "Only scheduled meetings can be cancelled.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[post("/meetings/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
) -> ApiResult<HttpResponse> {
    change(
        &state,
        &actor,
        id.into_inner(),
        &if_match,
        MeetingStatus::Cancelled,
        status_only(MeetingStatus::Cancelled),
    )
    .await
}

/// A participant's rating of a held meeting.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"useful": 4, "expectations_clear": 5}))]
pub struct RatingIn {
    /// "Was this 1:1 useful?" 1 to 5.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub useful: i32,
    /// The report only: "I know what is expected of me", 1 to 5.
    #[validate(range(min = 1, max = 5))]
    #[schema(minimum = 1, maximum = 5)]
    pub expectations_clear: Option<i32>,
}

/// A rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingOut {
    pub person_id: Uuid,
    pub useful: i32,
    pub expectations_clear: Option<i32>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<oneonone_persistence::meetings::Rating> for RatingOut {
    fn from(r: oneonone_persistence::meetings::Rating) -> Self {
        Self {
            person_id: r.person_id,
            useful: r.useful,
            expectations_clear: r.expectations_clear,
            updated_at: r.updated_at,
        }
    }
}

/// The ratings of a meeting (its participants').
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingsOut {
    pub data: Vec<RatingOut>,
    /// Always `null`.
    pub next_cursor: Option<String>,
}

/// Rate a completed meeting (each participant once; rating again replaces it), until 14 days after
/// it started.
#[utoipa::path(tag = "meetings", operation_id = "rate_meeting", params(("id" = Uuid, Path)), request_body = RatingIn,
    responses((status = 200, description = "Recorded.", body = RatingOut),
        (status = 409, description = "Only completed meetings are rated (`not_held`), within 14 days of their start (`rating_closed`): a team's monthly figures are final once no rating of the month can change.", body = crate::problem::Problem, content_type = "application/problem+json")))]
#[put("/meetings/{id}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    body: JsonBody<RatingIn>,
) -> ApiResult<HttpResponse> {
    let (meeting, me) = state.participant(&actor, id.into_inner()).await?;
    let b = body.into_inner();
    if b.expectations_clear.is_some() && me != meeting.report_id {
        return Err(ApiError::validation(
            "expectations_clear",
            "only the report answers this question",
        ));
    }
    if meeting.status != MeetingStatus::Completed {
        return Err(ApiError::Conflict {
            code: "not_held",
            detail: "only a completed meeting can be rated".into(),
        });
    }
    if !oneonone_domain::attention::rating_open(meeting.starts_at, chrono::Utc::now()) {
        return Err(ApiError::Conflict {
            code: "rating_closed",
            detail: format!(
                "a rating is given or changed within {} days of its meeting",
                oneonone_domain::attention::RATING_WINDOW_DAYS
            ),
        });
    }
    let who = actor.clone();
    let r = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move {
            usecases::meetings::rate(tx, &who, &meeting, me, b.useful, b.expectations_clear).await
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(RatingOut::from(r)))
}

/// Your rating of a meeting (participants only): a rating is its rater's alone, so the list
/// holds yours or nothing; the other participant's is never shown (ratings reach others only as
/// aggregates at or above the minimum group size).
#[utoipa::path(tag = "meetings", operation_id = "list_meeting_ratings", params(("id" = Uuid, Path)),
    responses((status = 200, description = "Your rating, if you gave one.", body = RatingsOut)))]
#[get("/meetings/{id}/ratings")]
pub async fn ratings(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (meeting, me) = state.participant(&actor, id.into_inner()).await?;
    let rows = state.db.meeting_ratings(meeting.id).await?;
    Ok(HttpResponse::Ok().json(RatingsOut {
        data: rows
            .into_iter()
            .filter(|r| policy::read_rating(me, r.person_id))
            .map(RatingOut::from)
            .collect(),
        next_cursor: None,
    }))
}

/// Changes to a series (JSON merge patch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"paused": true}))]
pub struct SeriesPatch {
    /// Pause (no new meetings; upcoming ones holding nothing shared are removed) or resume.
    pub paused: Option<bool>,
    /// The last date of the series, or `null` for none.
    #[schema(nullable)]
    pub end_date: Option<NaiveDate>,
    /// The template every meeting starts with, or `null` for none. A new template is also put
    /// on the agendas of the meetings already scheduled; clearing it removes nothing.
    #[schema(nullable)]
    pub agenda_template_id: Option<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
struct SeriesFields {
    paused: bool,
    end_date: Option<NaiveDate>,
    agenda_template_id: Option<Uuid>,
}

/// A series `actor` may run (pause, end, reschedule): 404 for anyone who may not know it
/// exists, 403 for those who may only read it.
async fn runnable_series(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<MeetingSeries> {
    let series = state.db.get_series(id).await?;
    let pair = [series.manager_id, series.report_id];
    if !policy::see_meeting(actor, pair) {
        return Err(ApiError::NotFound);
    }
    policy::run_meeting(actor, pair)?;
    Ok(series)
}

/// A new schedule for a series, from a date on. Fields left out keep their current values.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"from": "2027-01-04", "local_time": "14:00", "cadence": {"frequency": "weekly", "interval_weeks": 2, "weekday": "thursday"}}))]
pub struct SeriesReschedule {
    /// The first local date of the new schedule. Default: today in the (new) time zone.
    pub from: Option<NaiveDate>,
    #[validate(nested)]
    pub cadence: Option<CadenceDto>,
    /// Local start time, `HH:MM`.
    #[schema(example = "14:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub local_time: Option<String>,
    /// IANA time zone.
    #[schema(example = "Europe/Berlin", max_length = 64)]
    pub time_zone: Option<String>,
    /// 15 to 120.
    #[schema(minimum = 15, maximum = 120)]
    pub duration_minutes: Option<u16>,
}

/// Change a recurring 1:1's schedule from a date on: a new time, weekday, frequency, time zone
/// or duration (the participants, or a `meetings:write` token).
///
/// The scheduled meetings still ahead (from `from` on) move to the new schedule in order,
/// keeping their ids, agendas, notes and action items; held, skipped and cancelled meetings and
/// everything before `from` stay as they were. Send `If-Match` with the series' ETag.
#[utoipa::path(tag = "meetings", operation_id = "reschedule_meeting_series",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader), request_body = SeriesReschedule,
    responses((status = 200, description = "Rescheduled.", body = SeriesOut, headers(("ETag" = String)))))]
#[post("/meeting-series/{id}/reschedule")]
pub async fn reschedule_series(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<SeriesReschedule>,
) -> ApiResult<HttpResponse> {
    let series = runnable_series(&state, &actor, id.into_inner()).await?;
    let b = body.into_inner();
    let current = &series.cadence;
    let mut errors = ValidationErrors::default();
    let tz = match b.time_zone.as_deref() {
        Some(name) => errors.check("time_zone", parse_time_zone(name.trim())),
        None => Some(current.time_zone),
    };
    let local_time = match b.local_time.as_deref() {
        Some(t) => errors.check(
            "local_time",
            NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| "must be HH:MM"),
        ),
        None => Some(current.local_time),
    };
    errors.clone().into_result()?;
    let (Some(tz), Some(local_time)) = (tz, local_time) else {
        return Err(errors.into());
    };
    let from = b
        .from
        .unwrap_or_else(|| Utc::now().with_timezone(&tz).date_naive());
    if current.end_date.is_some_and(|end| from > end) {
        return Err(ApiError::validation(
            "from",
            "must not be after the series' end_date",
        ));
    }
    let frequency = match &b.cadence {
        Some(c) => frequency_of(c, from),
        None => current.frequency,
    };
    let cadence = Cadence::new(
        frequency,
        local_time,
        tz,
        b.duration_minutes.unwrap_or(current.duration_minutes),
        from,
        current.end_date,
    )?;
    if_match.check(&etag(series.version))?;
    let who = actor.clone();
    let updated = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move {
            usecases::meetings::reschedule_series(tx, &who, &series, &cadence, Utc::now()).await
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(SeriesOut::from(updated)))
}

/// Pause, resume or end a recurring 1:1 (the participants, or a `meetings:write` token).
///
/// Upcoming meetings that no longer fall in the series are removed unless they hold something
/// both participants see (a shared talking point other than a template's untouched ones, the
/// shared note, an action item); private talking points and notes on a removed meeting move to
/// the series' next meeting that stays, else its latest one, so nothing is lost and what stays
/// reveals nothing private. A series that never met keeps its first meeting when paused. On
/// resume, open points that waited on the last held meeting move to the first new one.
#[utoipa::path(tag = "meetings", operation_id = "update_meeting_series",
    params(("id" = Uuid, Path), crate::extract::IfMatchHeader),
    request_body(content = SeriesPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed.", body = SeriesOut, headers(("ETag" = String)))))]
#[patch("/meeting-series/{id}")]
pub async fn update_series(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: JsonBody<crate::extract::MergePatch>,
) -> ApiResult<HttpResponse> {
    let series = runnable_series(&state, &actor, id.into_inner()).await?;
    let f: SeriesFields = body.into_inner().apply(&SeriesFields {
        paused: series.paused,
        end_date: series.cadence.end_date,
        agenda_template_id: series.agenda_template_id,
    })?;
    if f.end_date
        .is_some_and(|end| end < series.cadence.start_date)
    {
        return Err(ApiError::validation(
            "end_date",
            "must not be before start_date",
        ));
    }
    check_template(&state, &actor, f.agenda_template_id).await?;
    if_match.check(&etag(series.version))?;
    let who = actor.clone();
    let updated = crate::idempotency::change(&state, move |tx| {
        Box::pin(async move {
            usecases::meetings::change_series(
                tx,
                &who,
                &series,
                f.paused,
                f.end_date,
                f.agenda_template_id,
            )
            .await
        })
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(updated.version)))
        .json(SeriesOut::from(updated)))
}
