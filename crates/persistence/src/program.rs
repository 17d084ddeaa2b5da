//! The facts of the program report for a slice and a window, read straight from the records
//! (one statement each). Counts and times only: no title, note or comment is read, and private
//! talking points are left out by the queries themselves.
//!
//! A slice is a set of **managers** (the people who hold the 1:1s): the organisation's, a
//! department's (the managers in it) or a subtree's (its root and every manager below); a 1:1
//! belongs to the slice of the person in its `manager_id`.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::Population;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::attention::{Whose, push_team};
use crate::{Database, StoreResult, with_pool};

/// Which 1:1s: those of the slice's managers that started in `[from, end)`.
#[derive(Debug, Clone)]
pub struct ProgramQuery {
    pub slice: Population,
    pub from: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Count the meetings, their gaps, content signals, action items due, the report lines,
    /// goals and check-ins from the records (else the kept figures give them:
    /// [`crate::program_days`]).
    pub meetings: bool,
    /// Count the pairs that met.
    pub pairs: bool,
}

/// Meetings of one kind and status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KindStatus {
    pub kind: String,
    pub status: String,
    pub meetings: i64,
}

/// A current manager and one of their active direct reports, with their last held
/// `manager_report` 1:1 before the end and the cadence of their recurring one (if any).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportLineRow {
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub last_held: Option<DateTime<Utc>>,
    pub frequency: Option<String>,
    pub interval_weeks: Option<i64>,
}

/// A held 1:1 of the window and the pair's previous held one of its kind, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Gap {
    kind: String,
    prev: Option<DateTime<Utc>>,
    starts_at: DateTime<Utc>,
}

/// Shared talking points of one category on the window's held 1:1s.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TopicRow {
    pub category: String,
    pub talking_points: i64,
    pub by_report: i64,
    pub carried_3_plus: i64,
    pub from_starters: i64,
}

/// An action item due in the window.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DueItem {
    manager_id: Uuid,
    due_date: NaiveDate,
    status: String,
    completed_at: Option<DateTime<Utc>>,
}

/// Check-ins of the cycles due in the window.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CheckinCounts {
    pub checkins: i64,
    pub submitted: i64,
    pub reviewed: i64,
}

/// What the program report is computed from.
#[derive(Debug, Clone, Default)]
pub struct ProgramFacts {
    pub meetings: Vec<KindStatus>,
    pub lines: Vec<ReportLineRow>,
    /// Pairs (of any kind) with a held 1:1 in the window.
    pub pairs_held: i64,
    /// Held 1:1s of the window with a previous one: (kind, whole days since it, how many).
    pub gaps: Vec<(String, i64, i64)>,
    pub topics: Vec<TopicRow>,
    /// Action items due in the window, and of them those done by their due date.
    pub due: i64,
    pub done_by_due: i64,
    /// Goals of the slice's people, by status.
    pub goals: Vec<(String, i64)>,
    pub checkins: CheckinCounts,
}

impl Database {
    /// The facts of the program report for `q`.
    pub async fn program_facts(&self, q: &ProgramQuery) -> StoreResult<ProgramFacts> {
        let whose = Whose::Slice(q.slice.clone());
        let (from, end) = (q.from, q.end);
        with_pool!(self, pool => {
            let mut facts = ProgramFacts::default();
            // ` AND m.starts_at in the window`, for the meetings `m`.
            macro_rules! window {
                ($qb:expr) => {
                    $qb.push(" AND m.starts_at >= ")
                        .push_bind(from)
                        .push(" AND m.starts_at < ")
                        .push_bind(end)
                };
            }

            if q.meetings {
                let mut qb = QueryBuilder::new(
                    "SELECT m.kind, m.status, COUNT(*) AS meetings FROM meetings m WHERE TRUE",
                );
                window!(qb);
                push_team(&mut qb, &whose, "m.manager_id");
                qb.push(" GROUP BY m.kind, m.status ORDER BY m.kind, m.status");
                facts.meetings = qb.build_query_as().fetch_all(pool).await?;

                // Each held 1:1 of the window with the pair's previous one of its kind (one
                // probe of the pair index each, however long the history).
                let mut qb = QueryBuilder::new(
                    "SELECT m.kind, m.starts_at, (SELECT p.starts_at FROM meetings p \
                     WHERE p.manager_id = m.manager_id AND p.report_id = m.report_id \
                     AND p.status = 'completed' AND p.kind = m.kind AND p.starts_at < m.starts_at \
                     ORDER BY p.starts_at DESC LIMIT 1) AS prev FROM meetings m \
                     WHERE m.status = 'completed'",
                );
                window!(qb);
                push_team(&mut qb, &whose, "m.manager_id");
                let gaps: Vec<Gap> = qb.build_query_as().fetch_all(pool).await?;
                facts.gaps = gaps
                    .into_iter()
                    .filter_map(|g| {
                        g.prev.map(|p| (g.kind, oneonone_domain::program::gap_days(p, g.starts_at), 1))
                    })
                    .collect();
            }

            // The pair's series: the running one first, then the newest.
            let series = "FROM meeting_series s WHERE s.manager_id = r.manager_id \
                 AND s.report_id = r.id AND s.kind = 'manager_report' \
                 ORDER BY s.paused, s.created_at DESC LIMIT 1";
            if q.meetings {
            let mut qb = QueryBuilder::new(
                "SELECT r.manager_id, r.id AS report_id, \
                 (SELECT m.starts_at FROM meetings m WHERE m.manager_id = r.manager_id \
                 AND m.report_id = r.id AND m.status = 'completed' AND m.kind = 'manager_report' \
                 AND m.starts_at < ",
            );
            qb.push_bind(end).push(format!(
                " ORDER BY m.starts_at DESC LIMIT 1) AS last_held, \
                 (SELECT s.frequency {series}) AS frequency, \
                 (SELECT CAST(s.interval_weeks AS BIGINT) {series}) AS interval_weeks \
                 FROM people r JOIN people pm ON pm.id = r.manager_id AND pm.active = TRUE \
                 WHERE r.active = TRUE"
            ));
            push_team(&mut qb, &whose, "r.manager_id");
            facts.lines = qb.build_query_as().fetch_all(pool).await?;
            }

            if q.pairs {
                let mut qb = QueryBuilder::new(
                    "SELECT COUNT(*) FROM (SELECT DISTINCT m.manager_id, m.report_id FROM meetings m \
                     WHERE m.status = 'completed'",
                );
                window!(qb);
                push_team(&mut qb, &whose, "m.manager_id");
                qb.push(") x");
                facts.pairs_held = qb.build_query_scalar().fetch_one(pool).await?;
            }

            if q.meetings {
                // Shared points only: a private one is neither counted nor categorised.
                let mut qb = QueryBuilder::new(
                    "SELECT a.category, COUNT(*) AS talking_points, \
                     CAST(SUM(CASE WHEN a.author_id = m.report_id THEN 1 ELSE 0 END) AS BIGINT) AS by_report, \
                     CAST(SUM(CASE WHEN a.times_carried >= 3 THEN 1 ELSE 0 END) AS BIGINT) AS carried_3_plus, \
                     CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM starter_uses u \
                     WHERE u.agenda_item_id = a.id) THEN 1 ELSE 0 END) AS BIGINT) AS from_starters \
                     FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id \
                     WHERE a.private = FALSE AND m.status = 'completed'",
                );
                window!(qb);
                push_team(&mut qb, &whose, "m.manager_id");
                qb.push(" GROUP BY a.category ORDER BY a.category");
                facts.topics = qb.build_query_as().fetch_all(pool).await?;

                let mut qb = QueryBuilder::new(
                    "SELECT x.manager_id, x.due_date, x.status, x.completed_at FROM action_items x \
                     WHERE x.due_date >= ",
                );
                qb.push_bind(from.date_naive())
                    .push(" AND x.due_date < ")
                    .push_bind(end.date_naive());
                push_team(&mut qb, &whose, "x.manager_id");
                let due: Vec<DueItem> = qb.build_query_as().fetch_all(pool).await?;
                for x in due {
                    for (_, _, fact) in crate::program_days::action_facts(
                        x.manager_id,
                        Some(x.due_date),
                        x.status == "done",
                        x.completed_at,
                    ) {
                        if fact == crate::program_days::DUE {
                            facts.due += 1;
                        } else {
                            facts.done_by_due += 1;
                        }
                    }
                }
            }

            if !q.meetings {
                return Ok(facts);
            }
            let mut qb = QueryBuilder::new(
                "SELECT g.status, COUNT(*) FROM goals g JOIN people o ON o.id = g.owner_id \
                 AND o.active = TRUE WHERE TRUE",
            );
            push_team(&mut qb, &whose, "g.owner_id");
            qb.push(" GROUP BY g.status ORDER BY g.status");
            facts.goals = qb.build_query_as().fetch_all(pool).await?;

            let mut qb = QueryBuilder::new(
                "SELECT COUNT(*) AS checkins, \
                 CAST(SUM(CASE WHEN k.submitted_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS submitted, \
                 CAST(SUM(CASE WHEN k.reviewed_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS reviewed \
                 FROM checkins k JOIN checkin_cycles c ON c.id = k.cycle_id WHERE c.due_date >= ",
            );
            qb.push_bind(from.date_naive())
                .push(" AND c.due_date < ")
                .push_bind(end.date_naive());
            push_team(&mut qb, &whose, "k.manager_id");
            let row: (i64, Option<i64>, Option<i64>) = qb.build_query_as().fetch_one(pool).await?;
            facts.checkins = CheckinCounts {
                checkins: row.0,
                submitted: row.1.unwrap_or(0),
                reviewed: row.2.unwrap_or(0),
            };
            Ok(facts)
        })
    }
}
