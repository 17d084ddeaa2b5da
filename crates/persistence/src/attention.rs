//! The facts the attention list is made of, read for one manager (their own pairs and team) or
//! for a slice of the organisation. Only ids, times and numbers: no title, note or comment is
//! read, and private talking points are left out by the queries themselves.
//!
//! Every query names active pairs only (both people active): a departed person's open items are
//! nobody's early warning any more.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::Population;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::goals::push_in_subtree;
use crate::{Database, StoreResult, with_pool};

/// Whose list.
#[derive(Debug, Clone)]
pub enum Whose {
    /// A manager's: the pairs they lead and their own team.
    Manager(Uuid),
    /// HR's, for a slice: pairs whose report is in it (for a subtree, below its root), and teams
    /// led by people in it (for a subtree, its root too).
    Slice(Population),
}

/// A recurring 1:1 that runs, with the pair's last held 1:1 of its kind.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunningSeries {
    pub series_id: Uuid,
    pub kind: String,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub frequency: String,
    pub interval_weeks: Option<i64>,
    pub start_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub last_held_at: Option<DateTime<Utc>>,
}

/// An active direct report who never held a 1:1 with their manager.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NeverMet {
    pub person_id: Uuid,
    pub manager_id: Uuid,
    /// Their recurring 1:1 with the manager, if one was set up.
    pub series_id: Option<Uuid>,
}

/// A shared talking point carried over many times and still open.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Carried {
    pub agenda_item_id: Uuid,
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub times_carried: i64,
    pub first_added_at: DateTime<Utc>,
}

/// An open action item past its due date.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Overdue {
    pub action_item_id: Uuid,
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub assignee_id: Uuid,
    pub due_date: NaiveDate,
}

/// A goal at risk or off track, with the pair's last held 1:1 (owner and their manager).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GoalAtRisk {
    pub goal_id: Uuid,
    pub owner_id: Uuid,
    pub manager_id: Uuid,
    pub status: String,
    pub last_discussed_meeting_id: Option<Uuid>,
    pub last_discussed_at: Option<DateTime<Utc>>,
    pub last_meeting_id: Option<Uuid>,
    pub last_held_at: Option<DateTime<Utc>>,
}

/// Where a chunk of one reason's facts starts, in the list's order (manager, then subject):
/// after this pair of ids, or from the first.
pub type After = Option<(Uuid, Uuid)>;

/// A recurring 1:1 runs whose pair held none of its kind since the cutoff of its cadence: the
/// time before `now` of [`oneonone_domain::attention::CADENCE_MULTIPLE`] periods of it. Read
/// for each weekly interval a series can have, and for a monthly one.
#[derive(Debug, Clone)]
pub struct Cutoffs {
    /// `weekly[k - 1]`: every `k` weeks.
    pub weekly: Vec<DateTime<Utc>>,
    pub monthly: DateTime<Utc>,
}

/// ` AND` the pair (`manager`, `person` columns) belongs to `whose`: the manager's own, or
/// for a slice, the person is in it (for a subtree, below its root).
pub(crate) fn push_pair<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    whose: &'a Whose,
    manager: &str,
    person: &str,
) where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Whose::Slice(Population::Subtree(root)) = whose {
        qb.push(format!(" AND {person} <> ")).push_bind(*root);
    }
    push_team_or_member(qb, whose, manager, person);
}

/// ` AND` the team led by (`manager` column) belongs to `whose`: the manager's own, or for a
/// slice, its lead is in it (for a subtree, its root too).
pub(crate) fn push_team<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    whose: &'a Whose,
    manager: &str,
) where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    push_team_or_member(qb, whose, manager, manager);
}

/// ` AND` `manager` is the manager of `whose`, or `member` is in its slice (root included).
fn push_team_or_member<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    whose: &'a Whose,
    manager: &str,
    member: &str,
) where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match whose {
        Whose::Manager(m) => {
            qb.push(format!(" AND {manager} = ")).push_bind(*m);
        }
        Whose::Slice(Population::Everyone) => {}
        Whose::Slice(Population::Department(d)) => {
            qb.push(format!(
                " AND {member} IN (SELECT id FROM people WHERE department = "
            ))
            .push_bind(d.as_str())
            .push(")");
        }
        Whose::Slice(Population::Subtree(root)) => {
            qb.push(" AND");
            push_in_subtree(qb, member, *root);
        }
    }
}

/// Both people of the pair (`manager`, `person` columns) are active.
fn active_pair(manager: &str, person: &str) -> String {
    format!(
        " JOIN people pm ON pm.id = {manager} AND pm.active = TRUE \
         JOIN people pr ON pr.id = {person} AND pr.active = TRUE"
    )
}

/// ` AND` the chunk's key (`manager`, `subject` columns) comes after `after`, then its order
/// and size. Written as a range on the manager column so that an index on (manager, subject)
/// serves both databases.
fn push_chunk<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    manager: &str,
    subject: &str,
    after: After,
    limit: i64,
) where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Some((m, s)) = after {
        qb.push(format!(" AND {manager} >= "))
            .push_bind(m)
            .push(format!(" AND ({manager} > "))
            .push_bind(m)
            .push(format!(" OR {subject} > "))
            .push_bind(s)
            .push(")");
    }
    qb.push(format!(" ORDER BY {manager}, {subject} LIMIT "))
        .push_bind(limit);
}

impl Database {
    /// Recurring 1:1s that run on `today` (not paused, not ended) whose pair held none of
    /// their kind since their cadence's cutoff, in the list's order, at most `limit` after
    /// `after`. A series that never held one is read too, whenever it began: whether it is
    /// overdue counts from then, which the caller decides.
    pub async fn attention_series(
        &self,
        whose: &Whose,
        today: NaiveDate,
        cutoffs: &Cutoffs,
        after: After,
        limit: i64,
    ) -> StoreResult<Vec<RunningSeries>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT s.id AS series_id, s.kind, s.manager_id, s.report_id, s.frequency, \
                 CAST(s.interval_weeks AS BIGINT) AS interval_weeks, s.start_date, s.created_at, \
                 (SELECT m.starts_at FROM meetings m WHERE m.manager_id = s.manager_id \
                 AND m.report_id = s.report_id AND m.status = 'completed' AND m.kind = s.kind \
                 ORDER BY m.starts_at DESC LIMIT 1) AS last_held_at \
                 FROM meeting_series s{} WHERE s.paused = FALSE AND (s.end_date IS NULL OR s.end_date >= ",
                active_pair("s.manager_id", "s.report_id")
            ));
            qb.push_bind(today).push(")");
            push_pair(&mut qb, whose, "s.manager_id", "s.report_id");
            qb.push(
                " AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.manager_id = s.manager_id \
                 AND m.report_id = s.report_id AND m.status = 'completed' AND m.kind = s.kind \
                 AND m.starts_at >= CASE WHEN s.frequency = 'weekly' THEN \
                 CASE COALESCE(s.interval_weeks, 1)",
            );
            let latest = cutoffs.weekly.first().copied().unwrap_or(cutoffs.monthly);
            for (k, cutoff) in (1_i64..).zip(&cutoffs.weekly) {
                qb.push(" WHEN ").push_bind(k).push(" THEN ").push_bind(*cutoff);
            }
            // An interval out of range (none is stored): the latest cutoff reads too many,
            // never too few.
            qb.push(" ELSE ")
                .push_bind(latest)
                .push(" END ELSE ")
                .push_bind(cutoffs.monthly)
                .push(" END)");
            push_chunk(&mut qb, "s.manager_id", "s.id", after, limit);
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Active direct reports who never held a 1:1 with their manager, in the list's order.
    pub async fn attention_never_met(
        &self,
        whose: &Whose,
        after: After,
        limit: i64,
    ) -> StoreResult<Vec<NeverMet>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT pr.id AS person_id, pr.manager_id AS manager_id, \
                 (SELECT s.id FROM meeting_series s WHERE s.manager_id = pr.manager_id \
                 AND s.report_id = pr.id AND s.paused = FALSE ORDER BY s.id LIMIT 1) AS series_id \
                 FROM people pr JOIN people pm ON pm.id = pr.manager_id AND pm.active = TRUE \
                 WHERE pr.active = TRUE AND NOT EXISTS (SELECT 1 FROM meetings m \
                 WHERE m.manager_id = pr.manager_id AND m.report_id = pr.id \
                 AND m.status = 'completed')",
            );
            push_pair(&mut qb, whose, "pr.manager_id", "pr.id");
            push_chunk(&mut qb, "pr.manager_id", "pr.id", after, limit);
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Shared talking points carried over many times and still open, in the list's order.
    pub async fn attention_carried(
        &self,
        whose: &Whose,
        after: After,
        limit: i64,
    ) -> StoreResult<Vec<Carried>> {
        with_pool!(self, pool => {
            // The conditions of the partial index `agenda_items_carried`, word for word.
            let mut qb = QueryBuilder::new(format!(
                "SELECT a.id AS agenda_item_id, a.meeting_id, m.series_id, m.manager_id, \
                 m.report_id, CAST(a.times_carried AS BIGINT) AS times_carried, a.first_added_at \
                 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id{} \
                 WHERE a.times_carried >= 3 AND a.checked = FALSE AND a.private = FALSE",
                active_pair("m.manager_id", "m.report_id")
            ));
            push_pair(&mut qb, whose, "m.manager_id", "m.report_id");
            push_chunk(&mut qb, "m.manager_id", "a.id", after, limit);
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Open action items past their due date on `today`, in the list's order.
    pub async fn attention_overdue_items(
        &self,
        whose: &Whose,
        today: NaiveDate,
        after: After,
        limit: i64,
    ) -> StoreResult<Vec<Overdue>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT x.id AS action_item_id, x.meeting_id, x.series_id, x.manager_id, \
                 x.report_id, x.assignee_id, x.due_date FROM action_items x{} \
                 WHERE x.status = 'open' AND x.due_date < ",
                active_pair("x.manager_id", "x.report_id")
            ));
            qb.push_bind(today);
            push_pair(&mut qb, whose, "x.manager_id", "x.report_id");
            push_chunk(&mut qb, "x.manager_id", "x.id", after, limit);
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    /// Goals at risk or off track, with the pair's last held 1:1, in the list's order.
    pub async fn attention_goals(
        &self,
        whose: &Whose,
        after: After,
        limit: i64,
    ) -> StoreResult<Vec<GoalAtRisk>> {
        with_pool!(self, pool => {
            // The pair's last held 1:1: two probes of the pair index per goal (a join on a
            // subquery's id made PostgreSQL hash every meeting).
            let last = "FROM meetings m WHERE m.manager_id = pr.manager_id \
                 AND m.report_id = g.owner_id AND m.status = 'completed' \
                 AND m.kind = 'manager_report' ORDER BY m.starts_at DESC LIMIT 1";
            let mut qb = QueryBuilder::new(format!(
                "SELECT g.id AS goal_id, g.owner_id, pr.manager_id AS manager_id, g.status, \
                 g.last_discussed_meeting_id, g.last_discussed_at, \
                 (SELECT m.id {last}) AS last_meeting_id, \
                 (SELECT m.starts_at {last}) AS last_held_at FROM goals g \
                 JOIN people pr ON pr.id = g.owner_id AND pr.active = TRUE \
                 JOIN people pm ON pm.id = pr.manager_id AND pm.active = TRUE \
                 WHERE g.status IN ('at_risk', 'off_track')"
            ));
            push_pair(&mut qb, whose, "pr.manager_id", "g.owner_id");
            push_chunk(&mut qb, "pr.manager_id", "g.id", after, limit);
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    /// The people whose subtrees' clarity `whose` list watches (`None`: everyone's).
    pub async fn attention_leads(&self, whose: &Whose) -> StoreResult<Option<Vec<Uuid>>> {
        Ok(match whose {
            Whose::Manager(m) => Some(vec![*m]),
            Whose::Slice(Population::Everyone) => None,
            Whose::Slice(_) => with_pool!(self, pool => {
                let mut qb = QueryBuilder::new("SELECT p.id FROM people p WHERE TRUE");
                push_team(&mut qb, whose, "p.id");
                Some(qb.build_query_scalar().fetch_all(pool).await?)
            }),
        })
    }
}
