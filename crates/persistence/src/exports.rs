//! Exports for HR systems: every meeting's and action item's metadata in a slice, streamed row
//! by row from one query (constant memory whatever the count), optionally only the records the
//! event log changed after a cursor, with tombstones for the ones that are gone.
//!
//! Metadata only: who, when, which kind and status, never a title, a note or a rating; nothing
//! here reads a private record.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use oneonone_domain::checkin::Population;
use sqlx::QueryBuilder;
use tokio::sync::mpsc::Sender;
use uuid::Uuid;

use crate::attention::{Whose, push_pair};
use crate::{LogPosition, Session, StoreResult};

/// Which rows an export holds.
#[derive(Debug, Clone)]
pub struct ExportQuery {
    /// Pairs whose report is in this slice (for a subtree, below its root).
    pub slice: Population,
    /// Meetings starting, action items created, at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// … and before this one.
    pub until: Option<DateTime<Utc>>,
    /// Only records with a change in the log after this position (and tombstones of the ones
    /// removed since).
    pub changed_after: Option<LogPosition>,
    /// Include the people's `external_id`s (the reader may see HR fields).
    pub external_ids: bool,
}

/// One meeting, as an export row. `deleted` rows (tombstones) carry the id and the pair only.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingExportRow {
    pub id: Uuid,
    pub deleted: bool,
    pub series_id: Option<Uuid>,
    pub kind: Option<String>,
    pub status: Option<String>,
    pub manager_id: Option<Uuid>,
    pub manager_external_id: Option<String>,
    pub report_id: Option<Uuid>,
    pub report_external_id: Option<String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub held_at: Option<DateTime<Utc>>,
    pub actual_duration_minutes: Option<i64>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One action item, as an export row (no title).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActionItemExportRow {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub assignee_id: Uuid,
    pub assignee_external_id: Option<String>,
    pub status: String,
    pub due_date: Option<NaiveDate>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Run a query on the session's connection, whatever its database.
macro_rules! on_session {
    ($session:expr, $conn:ident => $body:expr) => {
        match $session {
            Session::Sqlite(c) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **c;
                $body
            }
            Session::Postgres(c) => {
                let $conn: &mut sqlx::PgConnection = &mut **c;
                $body
            }
        }
    };
}

/// Send each row of `qb` to `out`, in order, until the rows end or nobody reads any more.
/// `Ok(false)`: the reader is gone (the client hung up).
macro_rules! pump {
    ($qb:expr, $conn:expr, $row:ty, $out:expr) => {{
        let mut rows = $qb.build_query_as::<$row>().fetch($conn);
        let mut open = true;
        while let Some(row) = rows.try_next().await? {
            if $out.send(Ok(row)).await.is_err() {
                open = false;
                break;
            }
        }
        open
    }};
}

/// ` AND` the record of `subject_type` whose id is in `column` has an event after `after`.
fn push_changed<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    column: &str,
    subject_type: &'static str,
    after: LogPosition,
) where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(format!(
        " AND {column} IN (SELECT e.subject_id FROM events e WHERE e.subject_type = "
    ))
    .push_bind(subject_type);
    push_after(qb, "e", after);
    qb.push(")");
}

/// ` AND` the event `e` of the log comes after `after` (in log order: transaction, position;
/// on SQLite, one writer, the position alone), in the form each database's index serves.
fn push_after<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, e: &str, after: LogPosition)
where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if DB::NAME == "SQLite" {
        qb.push(format!(" AND {e}.position > "))
            .push_bind(after.position);
    } else {
        qb.push(format!(" AND ({e}.txid, {e}.position) > ("))
            .push_bind(after.txid)
            .push(", ")
            .push_bind(after.position)
            .push(")");
    }
}

/// ` AND from <= column < until`, for the bounds given.
fn push_window<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, column: &str, q: &ExportQuery)
where
    DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let Some(from) = q.from {
        qb.push(format!(" AND {column} >= ")).push_bind(from);
    }
    if let Some(until) = q.until {
        qb.push(format!(" AND {column} < ")).push_bind(until);
    }
}

/// The `external_id` of the person in `alias`, or NULL when the reader may not see it.
fn external_id(alias: &str, shown: bool) -> String {
    if shown {
        format!("{alias}.external_id")
    } else {
        "CAST(NULL AS TEXT)".to_owned()
    }
}

impl Session {
    /// Stream the meetings of `q` to `out` in id order, then (for `changed_after`) a tombstone
    /// for each meeting removed since. Stops early, without an error, when `out` is closed.
    pub async fn export_meetings(
        &mut self,
        q: &ExportQuery,
        out: &Sender<StoreResult<MeetingExportRow>>,
    ) -> StoreResult<()> {
        let whose = Whose::Slice(q.slice.clone());
        on_session!(self, conn => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT m.id, FALSE AS deleted, m.series_id, m.kind, m.status, m.manager_id, \
                 {} AS manager_external_id, m.report_id, {} AS report_external_id, \
                 m.starts_at, m.ends_at, m.held_at, \
                 CAST(m.actual_duration_minutes AS BIGINT) AS actual_duration_minutes, \
                 m.created_at, m.updated_at FROM meetings m \
                 JOIN people pm ON pm.id = m.manager_id JOIN people pr ON pr.id = m.report_id \
                 WHERE TRUE",
                external_id("pm", q.external_ids),
                external_id("pr", q.external_ids),
            ));
            push_window(&mut qb, "m.starts_at", q);
            push_pair(&mut qb, &whose, "m.manager_id", "m.report_id");
            if let Some(after) = q.changed_after {
                push_changed(&mut qb, "m.id", "meeting", after);
            }
            qb.push(" ORDER BY m.id");
            if !pump!(qb, &mut *conn, MeetingExportRow, out) {
                return Ok(());
            }
            let Some(after) = q.changed_after else {
                return Ok(());
            };
            // Tombstones: meetings removed since (a pause, a shorter cadence), by the pair
            // their removal was recorded with.
            let mut qb = QueryBuilder::new(
                "SELECT e.subject_id AS id, e.manager_id, e.report_id FROM events e WHERE e.subject_type = 'meeting' AND e.kind = 'meeting.removed'",
            );
            push_after(&mut qb, "e", after);
            push_pair(&mut qb, &whose, "e.manager_id", "e.report_id");
            qb.push(
                " AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.id = e.subject_id) \
                 ORDER BY e.subject_id",
            );
            let mut rows = qb.build_query_as::<Tombstone>().fetch(&mut *conn);
            let mut last = None;
            while let Some(t) = rows.try_next().await? {
                // A meeting removed, restored by an undo and removed again appears once.
                if last == Some(t.id) {
                    continue;
                }
                last = Some(t.id);
                if out.send(Ok(t.into())).await.is_err() {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Stream the action items of `q` (created in its window) to `out` in id order. Stops
    /// early, without an error, when `out` is closed.
    pub async fn export_action_items(
        &mut self,
        q: &ExportQuery,
        out: &Sender<StoreResult<ActionItemExportRow>>,
    ) -> StoreResult<()> {
        let whose = Whose::Slice(q.slice.clone());
        on_session!(self, conn => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT x.id, x.meeting_id, x.series_id, x.manager_id, x.report_id, \
                 x.assignee_id, {} AS assignee_external_id, x.status, x.due_date, \
                 x.completed_at, x.created_at, x.updated_at FROM action_items x \
                 JOIN people pa ON pa.id = x.assignee_id WHERE TRUE",
                external_id("pa", q.external_ids),
            ));
            push_window(&mut qb, "x.created_at", q);
            push_pair(&mut qb, &whose, "x.manager_id", "x.report_id");
            if let Some(after) = q.changed_after {
                push_changed(&mut qb, "x.id", "action_item", after);
            }
            qb.push(" ORDER BY x.id");
            pump!(qb, &mut *conn, ActionItemExportRow, out);
            Ok(())
        })
    }
}

/// A removed meeting, as the log recorded it.
#[derive(sqlx::FromRow)]
struct Tombstone {
    id: Uuid,
    manager_id: Option<Uuid>,
    report_id: Option<Uuid>,
}

impl From<Tombstone> for MeetingExportRow {
    fn from(t: Tombstone) -> Self {
        Self {
            id: t.id,
            deleted: true,
            series_id: None,
            kind: None,
            status: None,
            manager_id: t.manager_id,
            manager_external_id: None,
            report_id: t.report_id,
            report_external_id: None,
            starts_at: None,
            ends_at: None,
            held_at: None,
            actual_duration_minutes: None,
            created_at: None,
            updated_at: None,
        }
    }
}

/// One current manager's figures for one week, as an export row: their direct reports as the
/// week ended, and the 1:1s they held as manager that started in it. Counts only.
#[derive(Debug, Clone, Default)]
pub struct ProgramExportRow {
    /// The week's first day (a Monday) and the day after its last (both clipped to the window).
    pub week: NaiveDate,
    pub from: NaiveDate,
    pub until: NaiveDate,
    pub manager_id: Uuid,
    pub manager_external_id: Option<String>,
    pub department: Option<String>,
    pub lines: oneonone_domain::program::LineReading,
    /// Meetings of every kind with them as manager that started in the week: (status, count).
    pub meetings: Vec<(String, i64)>,
}

/// A current manager of the export's slice.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ExportManager {
    manager_id: Uuid,
    external_id: Option<String>,
    department: Option<String>,
}

/// Managers whose rows are computed in one go.
const PROGRAM_BATCH: usize = 200;

/// A manager's kept line fact: (manager, day, fact, days, count).
type LineFactRow = (Uuid, NaiveDate, String, i64, i64);
/// A manager's meetings of one status on one day: (manager, day, status, count).
type DayCount = (Uuid, NaiveDate, String, i64);

impl Session {
    /// Every current manager of `q`'s slice, week by week over `weeks` (`[from, until)` days,
    /// in order), in manager id order: one row a manager and week, computed from the kept line
    /// facts and the meetings' counts of a batch of managers at a time.
    pub async fn export_program(
        &mut self,
        q: &ExportQuery,
        weeks: &[(NaiveDate, NaiveDate, NaiveDate)],
        out: &Sender<StoreResult<ProgramExportRow>>,
    ) -> StoreResult<()> {
        let (Some(first), Some(last)) = (weeks.first(), weeks.last()) else {
            return Ok(());
        };
        let (from, until) = (first.1, last.2);
        let whose = Whose::Slice(q.slice.clone());
        let external = if q.external_ids {
            "pm.external_id"
        } else {
            "NULL"
        };
        let managers: Vec<ExportManager> = on_session!(self, conn => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT DISTINCT pm.id AS manager_id, {external} AS external_id, pm.department \
                 FROM people r JOIN people pm ON pm.id = r.manager_id AND pm.active = TRUE \
                 WHERE r.active = TRUE"
            ));
            crate::attention::push_team(&mut qb, &whose, "r.manager_id");
            qb.push(" ORDER BY pm.id");
            qb.build_query_as().fetch_all(&mut *conn).await?
        });
        let day = match self {
            Session::Sqlite(_) => "date(m.starts_at)".to_owned(),
            Session::Postgres(_) => "CAST((m.starts_at AT TIME ZONE 'UTC') AS DATE)".to_owned(),
        };
        let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
        for batch in managers.chunks(PROGRAM_BATCH) {
            let ids: Vec<Uuid> = batch.iter().map(|m| m.manager_id).collect();
            let (facts, counts): (Vec<LineFactRow>, Vec<DayCount>) = on_session!(self, conn => {
                let mut qb = QueryBuilder::new(
                    "SELECT manager_id, day, fact, days, n FROM program_lines WHERE n <> 0 \
                     AND manager_id IN (",
                );
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                qb.push(")");
                let facts = qb.build_query_as().fetch_all(&mut *conn).await?;
                let mut qb = QueryBuilder::new(format!(
                    "SELECT m.manager_id, {day} AS day, m.status, COUNT(*) FROM meetings m \
                     WHERE m.starts_at >= "
                ));
                qb.push_bind(midnight(from))
                    .push(" AND m.starts_at < ")
                    .push_bind(midnight(until))
                    .push(" AND m.manager_id IN (");
                let mut list = qb.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                qb.push(format!(") GROUP BY m.manager_id, {day}, m.status"));
                let counts = qb.build_query_as().fetch_all(&mut *conn).await?;
                (facts, counts)
            });
            for m in batch {
                let mine: Vec<(NaiveDate, &str, i64, i64)> = facts
                    .iter()
                    .filter(|f| f.0 == m.manager_id)
                    .map(|(_, day, fact, days, n)| (*day, fact.as_str(), *days, *n))
                    .collect();
                for (week, week_from, week_until) in weeks {
                    let mut meetings: Vec<(String, i64)> = Vec::new();
                    for (_, _, status, n) in counts
                        .iter()
                        .filter(|c| c.0 == m.manager_id && c.1 >= *week_from && c.1 < *week_until)
                    {
                        match meetings.iter_mut().find(|(s, _)| s == status) {
                            Some(at) => at.1 += n,
                            None => meetings.push((status.clone(), *n)),
                        }
                    }
                    let row = ProgramExportRow {
                        week: *week,
                        from: *week_from,
                        until: *week_until,
                        manager_id: m.manager_id,
                        manager_external_id: m.external_id.clone(),
                        department: m.department.clone(),
                        lines: oneonone_domain::program::LineReading::of(
                            mine.iter().copied(),
                            *week_from,
                            *week_until,
                        ),
                        meetings,
                    };
                    if out.send(Ok(row)).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }
}
