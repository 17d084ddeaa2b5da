//! `/reports/program`: the 1:1 program's adoption beside its content signals and outcomes, for
//! a window and a slice, optionally before and after a launch date and week by week.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Days, NaiveDate, Utc};
use oneonone_usecases as usecases;
use oneonone_usecases::program as p;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

pub const TAG: &str = "reports";

/// The longest window, and the most weeks a weekly series holds.
const MAX_DAYS: i64 = 800;
const MAX_WEEKS: i64 = 106;

/// Which window and slice.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgramQuery {
    /// First day (UTC), inclusive. Default: 89 days before `to` (90 days), or `launch_date`.
    pub from: Option<NaiveDate>,
    /// Last day (UTC), inclusive. Default: today. Meetings, coverage and segments count whole
    /// days that have ended: the window stops at the start of today at the latest (today's
    /// 1:1s count from tomorrow on); eNPS, goals and check-ins stand as they are now.
    pub to: Option<NaiveDate>,
    /// The program's launch: the window starts on it, and `before` holds every figure for the
    /// same length of time right before it. Not with `from`.
    pub launch_date: Option<NaiveDate>,
    /// The managers of this department (their 1:1s, their teams).
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// This manager and every manager below them. A manager reading their own report may
    /// name themselves or anyone below them; without it, their own subtree.
    pub manager_id: Option<Uuid>,
    /// Also every figure week by week (ISO weeks, Monday to Sunday, clipped to the window;
    /// at most 106).
    pub weekly: Option<bool>,
}

/// Meetings that started in the window (whole days that have ended), of one kind or of all.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingFigures {
    /// `manager_report`, `skip_level`, `peer`, `cross_functional`, `secondary_manager`; `null`
    /// for all kinds together.
    pub kind: Option<String>,
    /// Every meeting that started in the window, whatever became of it.
    pub scheduled: u64,
    pub held: u64,
    pub skipped: u64,
    pub cancelled: u64,
    /// Started, and not marked held, skipped or cancelled (yet).
    pub not_recorded: u64,
    /// held ÷ scheduled, in percent (one decimal); `null` with nothing scheduled.
    pub adherence_pct: Option<f64>,
    /// Median whole days between consecutive held 1:1s of a pair (of one kind), over the gaps
    /// that end in the window.
    pub frequency_median_days: Option<f64>,
}

impl From<p::Meetings> for MeetingFigures {
    fn from(m: p::Meetings) -> Self {
        Self {
            kind: m.kind,
            scheduled: m.scheduled,
            held: m.held,
            skipped: m.skipped,
            cancelled: m.cancelled,
            not_recorded: m.not_recorded,
            adherence_pct: m.adherence_pct,
            frequency_median_days: m.frequency_median_days,
        }
    }
}

/// Direct reports with a held `manager_report` 1:1 with their current manager in the `days`
/// before the window's end.
#[derive(Debug, Serialize, ToSchema)]
pub struct CoverageFigures {
    pub days: i64,
    pub met: u64,
    pub pct: Option<f64>,
}

/// Who holds 1:1s and how often.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionFigures {
    /// The slice's current managers (active, with at least one active direct report).
    pub managers: u64,
    /// Of them, those who held a `manager_report` 1:1 in the window with one of their current
    /// direct reports.
    pub managers_holding: u64,
    pub managers_holding_pct: Option<f64>,
    /// Managers who met every direct report within 1.5× the pair's cadence before the
    /// window's end, in whole days rounded down (10 for a weekly 1:1, 21 fortnightly; 46 for
    /// a pair with no recurring 1:1, whose cadence is taken as 31 days).
    pub regular: u64,
    /// … some of them.
    pub partial: u64,
    /// … none of them.
    pub absent: u64,
    pub direct_reports: u64,
    /// Over 30, 60 and 90 days.
    pub coverage: Vec<CoverageFigures>,
    /// All kinds together.
    pub meetings: MeetingFigures,
    pub by_kind: Vec<MeetingFigures>,
}

/// Shared talking points of one category on the window's held 1:1s.
#[derive(Debug, Serialize, ToSchema)]
pub struct TopicFigures {
    pub category: String,
    pub talking_points: u64,
    /// Of them, from a conversation starter.
    pub starters_used: u64,
}

/// What the 1:1s were about, in counts: shared talking points only (a private one is neither
/// counted nor categorised), never any text.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContentFigures {
    /// On the 1:1s held in the window.
    pub shared_talking_points: u64,
    /// Added by the report, in percent.
    pub employee_led_pct: Option<f64>,
    /// Carried over three times or more before they were held.
    pub carried_over_3_plus: u64,
    pub starters_used: u64,
    pub topics: Vec<TopicFigures>,
    /// Action items due in the window (up to today).
    pub action_items_due: u64,
    /// Of them, done on or before their due date.
    pub action_items_done_by_due: u64,
    /// Follow-through, in percent.
    pub follow_through_pct: Option<f64>,
}

/// Goals of the slice's people (the managers and everyone they manage in it), as they stand.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoalFigures {
    /// On track, at risk or off track.
    pub active: u64,
    pub on_track: u64,
    pub at_risk: u64,
    pub off_track: u64,
    pub at_risk_or_off_track_pct: Option<f64>,
}

/// Check-ins of the cycles due in the window, with the slice's managers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinFigures {
    pub checkins: u64,
    pub submitted: u64,
    pub reviewed: u64,
    /// submitted ÷ check-ins, in percent.
    pub completion_pct: Option<f64>,
}

/// The latest eNPS survey closed in the window, as its results show the slice's group (the
/// organisation, the department, everyone below the subtree's root): figures only for a group
/// the results show (at least the minimum group size, and no subtraction isolates fewer).
#[derive(Debug, Serialize, ToSchema)]
pub struct EnpsFigures {
    pub survey_id: Uuid,
    pub name: String,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub closed_at: DateTime<Utc>,
    /// `false`: the group is suppressed; every figure is `null`.
    pub shown: bool,
    pub enps: Option<i32>,
    pub respondents: Option<u32>,
    pub response_rate_pct: Option<f64>,
}

/// A rating measure over the window's closed months.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingFigures {
    /// The closed months (first days) in which the slice's group was shown; a month in which
    /// it was not adds nothing.
    pub months_shown: Vec<NaiveDate>,
    pub ratings: u64,
    /// Mean of the 1–5 ratings, two decimals.
    pub mean: Option<f64>,
}

impl From<p::RatingFigure> for RatingFigures {
    fn from(f: p::RatingFigure) -> Self {
        Self {
            months_shown: f.months_shown,
            ratings: f.ratings,
            mean: f.mean,
        }
    }
}

/// Ratings of 1:1s, only ever as a group's: each closed month (no rating of it can change any
/// more: 14 days after it ends) cuts its raters into cells of at least the minimum group size
/// along the reporting lines, like eNPS answers, and shows only groups that are exactly unions
/// of cells (the organisation, a department, everyone below the subtree's root). Only the
/// months wholly in the window count.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingsFigures {
    /// The closed months (first days) that lie wholly in the window.
    pub closed_months: Vec<NaiveDate>,
    /// "Was this 1:1 useful?", by either participant.
    pub useful: RatingFigures,
    /// "I know what is expected of me", by the report.
    pub expectations_clear: RatingFigures,
}

/// Outcomes beside adoption.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeFigures {
    pub ratings: RatingsFigures,
    pub goals: GoalFigures,
    pub checkins: CheckinFigures,
    /// `null`: no survey closed in the window.
    pub enps: Option<EnpsFigures>,
}

/// Every figure of one window.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramFigures {
    pub adoption: AdoptionFigures,
    /// `null`: withheld. A manager's report shows content signals only when at least the
    /// minimum group size (5) of pairs met in the window.
    pub content: Option<ContentFigures>,
    pub outcomes: OutcomeFigures,
}

impl From<p::ProgramFigures> for ProgramFigures {
    fn from(f: p::ProgramFigures) -> Self {
        let a = f.adoption;
        let o = f.outcomes;
        Self {
            adoption: AdoptionFigures {
                managers: a.managers,
                managers_holding: a.managers_holding,
                managers_holding_pct: a.managers_holding_pct,
                regular: a.regular,
                partial: a.partial,
                absent: a.absent,
                direct_reports: a.direct_reports,
                coverage: a
                    .coverage
                    .into_iter()
                    .map(|c| CoverageFigures {
                        days: c.days,
                        met: c.met,
                        pct: c.pct,
                    })
                    .collect(),
                meetings: a.meetings.into(),
                by_kind: a.by_kind.into_iter().map(Into::into).collect(),
            },
            content: f.content.map(|c| ContentFigures {
                shared_talking_points: c.shared_talking_points,
                employee_led_pct: c.employee_led_pct,
                carried_over_3_plus: c.carried_over_3_plus,
                starters_used: c.starters_used,
                topics: c
                    .topics
                    .into_iter()
                    .map(|t| TopicFigures {
                        category: t.category,
                        talking_points: t.talking_points,
                        starters_used: t.starters_used,
                    })
                    .collect(),
                action_items_due: c.action_items_due,
                action_items_done_by_due: c.action_items_done_by_due,
                follow_through_pct: c.follow_through_pct,
            }),
            outcomes: OutcomeFigures {
                ratings: RatingsFigures {
                    closed_months: o.ratings.closed_months,
                    useful: o.ratings.useful.into(),
                    expectations_clear: o.ratings.expectations_clear.into(),
                },
                goals: GoalFigures {
                    active: o.goals.active,
                    on_track: o.goals.on_track,
                    at_risk: o.goals.at_risk,
                    off_track: o.goals.off_track,
                    at_risk_or_off_track_pct: o.goals.at_risk_or_off_track_pct,
                },
                checkins: CheckinFigures {
                    checkins: o.checkins.checkins,
                    submitted: o.checkins.submitted,
                    reviewed: o.checkins.reviewed,
                    completion_pct: o.checkins.completion_pct,
                },
                enps: o.enps.map(|e| EnpsFigures {
                    survey_id: e.survey_id,
                    name: e.name,
                    closed_at: e.closed_at,
                    shown: e.shown,
                    enps: e.enps,
                    respondents: e.respondents,
                    response_rate_pct: e.response_rate_pct,
                }),
            },
        }
    }
}

/// The figures of a stretch of days.
#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: ProgramFigures,
}

/// The program report.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2026-09-08", "to": "2026-12-06", "department": null,
    "manager_id": null, "launch_date": null,
    "figures": {"adoption": {"managers": 12, "managers_holding": 10, "managers_holding_pct": 83.3,
        "regular": 7, "partial": 3, "absent": 2, "direct_reports": 58,
        "coverage": [{"days": 30, "met": 44, "pct": 75.9}, {"days": 60, "met": 51, "pct": 87.9},
            {"days": 90, "met": 53, "pct": 91.4}],
        "meetings": {"kind": null, "scheduled": 640, "held": 540, "skipped": 40, "cancelled": 22,
            "not_recorded": 38, "adherence_pct": 84.4, "frequency_median_days": 7.0},
        "by_kind": [{"kind": "manager_report", "scheduled": 610, "held": 520, "skipped": 38,
            "cancelled": 20, "not_recorded": 32, "adherence_pct": 85.2,
            "frequency_median_days": 7.0}]},
      "content": {"shared_talking_points": 1210, "employee_led_pct": 61.5,
        "carried_over_3_plus": 14, "starters_used": 96,
        "topics": [{"category": "career", "talking_points": 180, "starters_used": 22}],
        "action_items_due": 300, "action_items_done_by_due": 231, "follow_through_pct": 77.0},
      "outcomes": {"ratings": {"closed_months": ["2026-09-01", "2026-10-01"],
            "useful": {"months_shown": ["2026-09-01", "2026-10-01"], "ratings": 812, "mean": 4.12},
            "expectations_clear": {"months_shown": ["2026-10-01"], "ratings": 210, "mean": 3.87}},
        "goals": {"active": 70, "on_track": 52, "at_risk": 12, "off_track": 6,
            "at_risk_or_off_track_pct": 25.7},
        "checkins": {"checkins": 58, "submitted": 50, "reviewed": 44, "completion_pct": 86.2},
        "enps": {"survey_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2f01", "name": "Autumn pulse",
            "closed_at": "2026-11-15T17:00:00Z", "shown": true, "enps": 24, "respondents": 49,
            "response_rate_pct": 84.5}}},
    "before": null, "weekly": null}))]
pub struct ProgramReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    pub launch_date: Option<NaiveDate>,
    pub figures: ProgramFigures,
    /// With `launch_date`: every figure for the same length of time right before it.
    pub before: Option<Period>,
    /// With `weekly=true`: every figure week by week.
    pub weekly: Option<Vec<Period>>,
}

fn bad(detail: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        detail: detail.into(),
    }
}

/// The 1:1 program for a window and a slice: adoption (managers holding 1:1s, segments,
/// coverage, frequency, adherence, by kind), content signals (topics by category, starters,
/// employee-led share, points carried over, follow-through; never text) and outcomes (goals at
/// risk, check-in completion, eNPS, 1:1 ratings as groups no subtraction breaks down) side by side, optionally before and after a launch date and
/// week by week. A slice is its managers and their 1:1s. HR admins and `reports:read` tokens
/// read any slice; a manager their own subtree (and subtrees within it).
///
/// A report is computed once and sent again to the next reader of the same query and kind
/// (HR, or a manager) for as long as nothing is written and the day has not changed; any
/// write anywhere makes the next one be computed afresh. `Cache-Control: no-cache` asks for a
/// fresh computation anyway.
#[utoipa::path(operation_id = "program_report", tag = TAG, params(ProgramQuery,
        ("Cache-Control" = Option<String>, Header,
            description = "`no-cache`: compute the report afresh (it never differs from a \
                report sent again: those are only sent while nothing was written since).",
            example = "no-cache")),
    responses((status = 200, description = "The report.", body = ProgramReport)))]
#[get("/reports/program")]
pub async fn report(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<ProgramQuery>,
    request: actix_web::HttpRequest,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    // Who may, before anyone is looked up.
    oneonone_domain::policy::read_reports(&actor)?;
    let now = Utc::now();
    let to = q.to.unwrap_or_else(|| now.date_naive());
    let from = match (q.from, q.launch_date) {
        (Some(_), Some(_)) => return Err(bad("launch_date starts the window: not with from")),
        (Some(f), None) | (None, Some(f)) => f,
        (None, None) => to.checked_sub_days(Days::new(89)).unwrap_or(to),
    };
    super::days_in_order(Some(from), Some(to))?;
    if (to - from).num_days() >= MAX_DAYS {
        return Err(bad("the window is longer than 800 days"));
    }
    let named = if q.department.is_some() || q.manager_id.is_some() {
        Some(super::slice_of(&state, q.department.clone(), q.manager_id).await?)
    } else {
        None
    };
    let (slice, content_always) = usecases::program::scope(&state.db, &actor, named).await?;
    let min_group = oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE;
    // Everything the body depends on besides the data and the day.
    let key = format!(
        "{slice:?}|{from}|{to}|{:?}|{:?}|{:?}|{:?}|{content_always}|{min_group}",
        q.launch_date, q.weekly, q.department, q.manager_id
    );
    let fresh = request
        .headers()
        .get_all(actix_web::http::header::CACHE_CONTROL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-cache"));
    // Read before the report is: a write that ends while it is computed changes it, and the
    // copy kept is then never served.
    let version = state.db.data_version().await?;
    if !fresh
        && let Some(known) = state.program_reports.get(&key)
        && known.version == version
        && now < known.until
    {
        return Ok(HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(known.body));
    }
    let period = |from: NaiveDate, to: NaiveDate| {
        let slice = slice.clone();
        let db = state.db.clone();
        async move {
            let figures = usecases::program::figures(
                &db,
                &slice,
                from,
                to,
                now,
                content_always,
                min_group,
                usecases::program::Source::Kept,
            )
            .await?;
            Ok::<_, ApiError>(Period {
                from,
                to,
                figures: figures.into(),
            })
        }
    };
    let figures = period(from, to).await?.figures;
    let before = match q.launch_date {
        Some(launch) => {
            let (b_from, b_to) = oneonone_domain::program::before(launch, to);
            Some(period(b_from, b_to).await?)
        }
        None => None,
    };
    let weekly = if q.weekly == Some(true) {
        let first = oneonone_domain::program::week_of(from);
        if (to - first).num_days() / 7 >= MAX_WEEKS {
            return Err(bad("a weekly series holds at most 106 weeks"));
        }
        let mut weeks = Vec::new();
        let mut monday = first;
        while monday <= to {
            let sunday = monday.checked_add_days(Days::new(6)).unwrap_or(monday);
            weeks.push(period(monday.max(from), sunday.min(to)).await?);
            monday = sunday.checked_add_days(Days::new(1)).unwrap_or(to);
            if monday <= sunday {
                break;
            }
        }
        Some(weeks)
    } else {
        None
    };
    let body = actix_web::web::Bytes::from(
        serde_json::to_vec(&ProgramReport {
            from,
            to,
            department: q.department,
            manager_id: q.manager_id,
            launch_date: q.launch_date,
            figures,
            before,
            weekly,
        })
        .map_err(|e| ApiError::Internal(e.into()))?,
    );
    let midnight = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc());
    if let Some(until) = midnight {
        state.program_reports.insert(
            key,
            crate::state::KnownReport {
                version,
                until,
                body: body.clone(),
            },
        );
    }
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}
