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
    /// Recurring 1:1s that run at `now` (not paused, not ended) and are behind their cadence
    /// (their kept `overdue_from` has passed), with the pair's last held 1:1 of their kind, in
    /// the list's order, at most `limit` after `after`.
    pub async fn attention_series(
        &self,
        whose: &Whose,
        now: DateTime<Utc>,
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
            qb.push_bind(now.date_naive()).push(")");
            push_pair(&mut qb, whose, "s.manager_id", "s.report_id");
            // The kept instant (`refresh_series_due`), read on the index by (manager, id).
            qb.push(" AND s.overdue_from < ").push_bind(now);
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
            // The kept lines (current ones only): the few there are, not every person's
            // meetings.
            let mut qb = QueryBuilder::new(
                "SELECT n.report_id AS person_id, n.manager_id, \
                 (SELECT s.id FROM meeting_series s WHERE s.manager_id = n.manager_id \
                 AND s.report_id = n.report_id AND s.paused = FALSE ORDER BY s.id LIMIT 1) \
                 AS series_id FROM never_met n WHERE TRUE",
            );
            push_pair(&mut qb, whose, "n.manager_id", "n.report_id");
            push_chunk(&mut qb, "n.manager_id", "n.report_id", after, limit);
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
            // The conditions of the partial index `agenda_items_carried`, word for word; the
            // points carried are few, so they lead (`CROSS JOIN` keeps SQLite from starting at
            // a slice's people and probing each of their meetings: 0.2 s for none at 100,000
            // people). PostgreSQL orders the join by its statistics either way.
            let mut qb = QueryBuilder::new(format!(
                "SELECT a.id AS agenda_item_id, a.meeting_id, m.series_id, m.manager_id, \
                 m.report_id, CAST(a.times_carried AS BIGINT) AS times_carried, a.first_added_at \
                 FROM agenda_items a CROSS JOIN meetings m{} \
                 WHERE m.id = a.meeting_id AND a.times_carried >= 3 AND a.checked = FALSE \
                 AND a.private = FALSE",
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

/// Which recurring 1:1s' `overdue_from` to bring up to date ([`crate::Tx::refresh_series_due`]).
#[derive(Debug, Clone, Copy)]
pub enum SeriesDue<'a> {
    /// These series (set up, or their cadence or pair changed).
    Ids(&'a [Uuid]),
    /// The series of these pairs and kinds (manager, report, kind): a held 1:1 of theirs changed.
    Pairs(&'a [(Uuid, Uuid, String)]),
    /// Every series (the bulk recomputation).
    All,
}

/// What a series' `overdue_from` is computed from, with the kept value.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DueFacts {
    id: Uuid,
    frequency: String,
    interval_weeks: Option<i64>,
    start_date: NaiveDate,
    created_at: DateTime<Utc>,
    last_held_at: Option<DateTime<Utc>>,
    overdue_from: Option<DateTime<Utc>>,
}

impl DueFacts {
    fn fresh(&self) -> DateTime<Utc> {
        use oneonone_domain::attention as rules;
        rules::overdue_from(
            rules::period_days(&self.frequency, self.interval_weeks),
            self.last_held_at,
            rules::series_since(self.created_at, self.start_date),
        )
    }
}

/// The facts of [`DueFacts`], `FROM meeting_series s`: the pair's last held 1:1 of the kind
/// (read on the pair index).
const DUE_FACTS: &str = "SELECT s.id, s.frequency, CAST(s.interval_weeks AS BIGINT) AS interval_weeks, \
     s.start_date, s.created_at, (SELECT m.starts_at FROM meetings m WHERE m.manager_id = s.manager_id \
     AND m.report_id = s.report_id AND m.status = 'completed' AND m.kind = s.kind \
     ORDER BY m.starts_at DESC LIMIT 1) AS last_held_at, s.overdue_from FROM meeting_series s";

/// Series read and written this many at a time.
const DUE_BATCH: usize = 1_000;

impl crate::Tx<'_> {
    /// Bring the kept `overdue_from` of these series up to date: the instant after which the
    /// pair is behind its cadence (see [`oneonone_domain::attention::overdue_from`]), from the
    /// records. The attention list then reads the overdue series by it, without their meetings.
    pub async fn refresh_series_due(&mut self, which: SeriesDue<'_>) -> StoreResult<()> {
        // A bulk load's changes are left to the recomputation that ends it (`All`).
        if self.bulk && !matches!(which, SeriesDue::All) {
            return Ok(());
        }
        match which {
            SeriesDue::Ids(ids) => {
                for batch in ids.chunks(DUE_BATCH) {
                    let facts = crate::on_tx!(read self, conn => {
                        let mut qb = QueryBuilder::new(format!("{DUE_FACTS} WHERE s.id IN ("));
                        let mut list = qb.separated(", ");
                        for id in batch {
                            list.push_bind(*id);
                        }
                        qb.push(")");
                        qb.build_query_as().fetch_all(&mut *conn).await?
                    });
                    self.write_series_due(facts).await?;
                }
            }
            SeriesDue::Pairs(pairs) => {
                for batch in pairs.chunks(DUE_BATCH / 4) {
                    let facts = crate::on_tx!(read self, conn => {
                        let mut qb = QueryBuilder::new(format!("{DUE_FACTS} WHERE FALSE"));
                        for (manager, report, kind) in batch {
                            qb.push(" OR (s.manager_id = ")
                                .push_bind(*manager)
                                .push(" AND s.report_id = ")
                                .push_bind(*report)
                                .push(" AND s.kind = ")
                                .push_bind(kind.as_str())
                                .push(")");
                        }
                        qb.build_query_as().fetch_all(&mut *conn).await?
                    });
                    self.write_series_due(facts).await?;
                }
            }
            SeriesDue::All => {
                let mut after: Option<Uuid> = None;
                loop {
                    let facts: Vec<DueFacts> = crate::on_tx!(read self, conn => {
                        let mut qb = QueryBuilder::new(format!("{DUE_FACTS} WHERE TRUE"));
                        if let Some(after) = after {
                            qb.push(" AND s.id > ").push_bind(after);
                        }
                        qb.push(" ORDER BY s.id LIMIT ").push_bind(DUE_BATCH as i64);
                        qb.build_query_as().fetch_all(&mut *conn).await?
                    });
                    let Some(last) = facts.last().map(|f| f.id) else {
                        break;
                    };
                    let full = facts.len() == DUE_BATCH;
                    self.write_series_due(facts).await?;
                    if !full {
                        break;
                    }
                    after = Some(last);
                }
            }
        }
        Ok(())
    }

    /// Write the fresh `overdue_from` of the series whose kept one differs, in one statement.
    async fn write_series_due(&mut self, facts: Vec<DueFacts>) -> StoreResult<()> {
        let changed: Vec<(Uuid, DateTime<Utc>)> = facts
            .iter()
            .filter_map(|f| {
                let fresh = f.fresh();
                (f.overdue_from != Some(fresh)).then_some((f.id, fresh))
            })
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        crate::on_tx!(self, conn => {
            // A `VALUES` list, not a `UNION ALL` of rows: SQLite allows 500 terms in a compound
            // `SELECT`. Both name its columns `column1`, `column2`.
            let mut qb = QueryBuilder::new(
                "UPDATE meeting_series SET overdue_from = v.column2 FROM (",
            );
            qb.push_values(changed, |mut row, (id, due)| {
                row.push_bind(id).push_bind(due);
            });
            qb.push(") AS v WHERE meeting_series.id = v.column1");
            qb.build().execute(&mut *conn).await?;
        });
        Ok(())
    }
}

impl Database {
    /// Recompute every series' kept `overdue_from`, in one transaction: after the records were
    /// changed behind the server's back (a repair by hand, a test travelling in time).
    pub async fn refresh_all_series_due(&self) -> StoreResult<()> {
        self.transact(|tx| Box::pin(async move { tx.refresh_series_due(SeriesDue::All).await }))
            .await
    }

    /// Series whose kept `overdue_from` differs from the records: (id, kept, fresh). For tests
    /// and checks, as [`Database::program_days_drift`].
    pub async fn series_due_drift(
        &self,
    ) -> StoreResult<Vec<(Uuid, Option<DateTime<Utc>>, DateTime<Utc>)>> {
        let facts: Vec<DueFacts> = with_pool!(self, pool => {
            sqlx::query_as(DUE_FACTS).fetch_all(pool).await?
        });
        Ok(facts
            .into_iter()
            .map(|f| {
                let fresh = f.fresh();
                (f.id, f.overdue_from, fresh)
            })
            .filter(|(_, kept, fresh)| *kept != Some(*fresh))
            .collect())
    }
}
