//! `/attention`: the early-warning list — pairs behind their cadence, reports never met, talking
//! points carried over and over, overdue action items, goals at risk left undiscussed, teams
//! whose expectations clarity fell. Each entry says why, with ids; never any text of a 1:1.
//!
//! A manager reads their own (the 1:1s they lead and their own team); HR admins and
//! `reports:read` tokens read the organisation or a slice of it.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::attention::Reason;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::pagination;
use crate::problem::ApiResult;
use crate::state::AppState;
use oneonone_usecases as usecases;

pub const TAG: &str = "attention";

/// Why an entry is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttentionReason {
    /// A recurring 1:1 (not paused, not ended) whose pair held none of its kind in more than
    /// twice its cadence (a week's interval, or 31 days for a monthly one); never held: counted
    /// from the day the series began.
    OverdueOneOnOne,
    /// An active direct report who never held a 1:1 with their current manager.
    NeverMet,
    /// A shared talking point carried over 3 times or more, still open (private points are never
    /// named nor counted).
    CarriedOver,
    /// An open action item past its due date.
    OverdueActionItem,
    /// A goal at risk or off track that the pair's last held 1:1 did not discuss (no shared
    /// talking point about it checked off there), or that no 1:1 did yet.
    GoalNotDiscussed,
    /// Everyone below a manager, whose mean "I know what is expected of me" fell by 0.5 or more
    /// from one closed month to the next, as each month's rating groups show it: only groups
    /// that are exactly unions of cells of at least the minimum group size of raters, so no
    /// subtraction of figures isolates fewer (a month closes 14 days after it ends, when no
    /// rating of it can change).
    ClarityFalling,
}

same_words!(
    AttentionReason,
    Reason {
        OverdueOneOnOne,
        NeverMet,
        CarriedOver,
        OverdueActionItem,
        GoalNotDiscussed,
        ClarityFalling,
    }
);

/// The group's clarity, one closed month against the one before (aggregates only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClarityDropOut {
    /// The later month (its first day).
    pub month: NaiveDate,
    /// Mean rating (1–5) of the month's manager–report 1:1s, two decimals.
    pub mean: f64,
    /// Distinct reports who rated (at least the minimum group size).
    pub raters: u32,
    pub previous_month: NaiveDate,
    pub previous_mean: f64,
    pub previous_raters: u32,
}

/// One early warning: why, and the ids it is about. Fields that do not apply to its reason are
/// `null`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"reason": "overdue_one_on_one",
    "why": "no manager report 1:1 held in 23 days; the cadence is every 7 days",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "person_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "series_id": "019a6a5e-9999-7000-8000-000000000001", "meeting_id": null,
    "agenda_item_id": null, "action_item_id": null, "goal_id": null, "kind": "manager_report",
    "last_held_at": "2026-11-02T09:00:00Z", "days_since": 23, "cadence_days": 7,
    "times_carried": null, "assignee_id": null, "due_date": null, "goal_status": null,
    "clarity": null}))]
pub struct AttentionEntry {
    pub reason: AttentionReason,
    /// The reason in words, from the numbers of the entry (never any text of a 1:1).
    pub why: String,
    /// The pair's manager (or the team's).
    pub manager_id: Uuid,
    /// The other person of the pair (the report, the goal's owner); `null` for a team.
    pub person_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
    /// `carried_over`, `overdue_action_item`: where the item sits; `goal_not_discussed`: the
    /// pair's last held 1:1.
    pub meeting_id: Option<Uuid>,
    pub agenda_item_id: Option<Uuid>,
    pub action_item_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    /// `overdue_one_on_one`: the series' kind.
    pub kind: Option<String>,
    /// The pair's last held 1:1 (`null`: none).
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub last_held_at: Option<DateTime<Utc>>,
    /// `overdue_one_on_one`: whole days since the last held 1:1 (or since the series began).
    pub days_since: Option<i64>,
    pub cadence_days: Option<i64>,
    pub times_carried: Option<i64>,
    /// `overdue_action_item`: who owns it.
    pub assignee_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    /// `goal_not_discussed`: `at_risk` or `off_track`.
    pub goal_status: Option<String>,
    pub clarity: Option<ClarityDropOut>,
}

impl From<usecases::attention::Entry> for AttentionEntry {
    fn from(e: usecases::attention::Entry) -> Self {
        Self {
            reason: e.reason.into(),
            why: e.why,
            manager_id: e.manager_id,
            person_id: e.person_id,
            series_id: e.series_id,
            meeting_id: e.meeting_id,
            agenda_item_id: e.agenda_item_id,
            action_item_id: e.action_item_id,
            goal_id: e.goal_id,
            kind: e.kind,
            last_held_at: e.last_held_at,
            days_since: e.days_since,
            cadence_days: e.cadence_days,
            times_carried: e.times_carried,
            assignee_id: e.assignee_id,
            due_date: e.due_date,
            goal_status: e.goal_status,
            clarity: e.clarity.map(|c| ClarityDropOut {
                month: c.month,
                mean: c.mean,
                raters: c.raters,
                previous_month: c.previous_month,
                previous_mean: c.previous_mean,
                previous_raters: c.previous_raters,
            }),
        }
    }
}

/// A page of the attention list, by reason, then manager, then subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttentionPage {
    pub data: Vec<AttentionEntry>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Which list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttentionQuery {
    /// HR: pairs whose report is in this department, and teams led by its people.
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// HR: pairs whose report is below this manager (at any depth), and teams led by the
    /// manager or anyone below.
    pub manager_id: Option<Uuid>,
    /// Only entries of this reason.
    #[param(inline)]
    pub reason: Option<AttentionReason>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// The attention list: yours as a manager (the 1:1s you lead and your team); as an HR admin or
/// a `reports:read` token, the organisation's or a slice's (a department, a manager's subtree).
/// Computed as things stand now.
#[utoipa::path(operation_id = "attention_list", tag = TAG, params(AttentionQuery),
    responses((status = 200, description = "A page of the list.", body = AttentionPage)))]
#[get("/attention")]
pub async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    query: web::Query<AttentionQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = pagination::limit(q.limit)?;
    let after = pagination::after::<(AttentionReason, Uuid, Uuid)>(q.cursor.as_deref())?
        .map(|(reason, manager, subject)| (Reason::from(reason), manager, subject));
    let slice = if q.department.is_some() || q.manager_id.is_some() {
        // Checked first: a manager naming a slice is refused before anyone is looked up.
        oneonone_domain::policy::read_reports(&actor)?;
        Some(super::slice_of(&state, q.department, q.manager_id).await?)
    } else {
        None
    };
    let whose = usecases::attention::whose(&actor, slice)?;
    let rows = usecases::attention::page(
        &state.db,
        &whose,
        Utc::now(),
        oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE,
        q.reason.map(Into::into),
        after,
        usize::try_from(limit).unwrap_or(0) + 1,
    )
    .await?;
    let (rows, next_cursor) = pagination::page(rows, limit, |e| {
        (AttentionReason::from(e.reason), e.manager_id, e.subject)
    });
    Ok(HttpResponse::Ok().json(AttentionPage {
        data: rows.into_iter().map(AttentionEntry::from).collect(),
        next_cursor,
    }))
}
