//! The program report's meeting figures, kept up to date in the transaction of every change:
//! per group (the organisation, a department's managers, everyone in a subtree), day (UTC),
//! kind of 1:1 and fact, a count. The facts are a meeting's status (`scheduled`, `completed`,
//! `skipped`, `cancelled`) and, for a held 1:1, `gap`: the whole days since the pair's previous
//! held 1:1 of its kind (`days`). A report then reads a few rows a day of its window, however
//! many meetings the organisation holds.
//!
//! A meeting counts for the groups of its `manager_id`: the organisation, the manager's
//! department, and the subtree of the manager and of each of their managers up the line.
//! Every write to `meetings` goes through [`Tx::settle_meetings`] (the rows before, the ids
//! after); a change of a person's manager or department moves their figures between groups
//! ([`Tx::regroup_person`]). [`Database::program_days_drift`] recomputes everything from the
//! records, for tests and checks.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use oneonone_domain::program::{self as measures, LINES, Line};

use crate::{Backend, Database, StoreResult, with_pool};

/// Held 1:1s, by their status.
const HELD: &str = "completed";
/// The kind of 1:1 the line facts count.
const MANAGER_REPORT: &str = "manager_report";
/// The fact of a held 1:1's gap since the pair's previous one.
pub const GAP: &str = "gap";

/// What a meeting contributes, read by id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MeetingFact {
    pub id: Uuid,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub kind: String,
    pub status: String,
    pub starts_at: DateTime<Utc>,
    /// A held 1:1's content signals: (fact, count), from its shared talking points.
    #[sqlx(skip)]
    pub content: Vec<(String, i64)>,
}

/// A held 1:1's shared talking points of one category, read for its content signals.
#[derive(Debug, Clone, sqlx::FromRow)]
struct ContentRow {
    meeting_id: Uuid,
    category: String,
    points: i64,
    by_report: i64,
    carried: i64,
    starters: i64,
}

/// The content facts of a held 1:1, each with the category of the talking points it counts
/// (`points:career`): shared points, those added by the report, those carried over three
/// times or more, and those taken from a conversation starter.
pub const CONTENT_FACTS: [&str; 4] = ["points", "by_report", "carried", "starters"];

/// The facts of action items due on a day (kind `""`): due, and done by their due date.
pub const DUE: &str = "due";
pub const DONE_BY_DUE: &str = "done_by_due";

/// Goals, kept by status on [`oneonone_domain::program::epoch`] (kind `goals`) for the groups
/// of their owner while the owner is active: they count as things stand, whatever the window.
pub const GOALS: &str = "goals";
/// Check-ins, kept by their cycle's due day (kind `checkins`) for the groups of their manager:
/// `checkins`, and of them `submitted` and `reviewed`.
pub const CHECKINS: &str = "checkins";
pub const SUBMITTED: &str = "submitted";
pub const REVIEWED: &str = "reviewed";

/// What a check-in contributes: (manager, due day, fact).
pub fn checkin_facts(
    manager: Uuid,
    due: NaiveDate,
    submitted: bool,
    reviewed: bool,
) -> Vec<(Uuid, NaiveDate, &'static str)> {
    let mut out = vec![(manager, due, CHECKINS)];
    if submitted {
        out.push((manager, due, SUBMITTED));
    }
    if reviewed {
        out.push((manager, due, REVIEWED));
    }
    out
}

/// What an action item contributes: (manager, due day, fact).
pub fn action_facts(
    manager: Uuid,
    due_date: Option<NaiveDate>,
    done: bool,
    completed_at: Option<DateTime<Utc>>,
) -> Vec<(Uuid, NaiveDate, &'static str)> {
    let Some(due) = due_date else {
        return Vec::new();
    };
    let mut out = vec![(manager, due, DUE)];
    if done && completed_at.is_some_and(|at| at.date_naive() <= due) {
        out.push((manager, due, DONE_BY_DUE));
    }
    out
}

/// A summed figure of a group's days.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct DayFigure {
    pub kind: String,
    pub fact: String,
    pub days: i64,
    pub n: i64,
}

/// One row of the table (or of its recomputation), for comparing them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct GroupDay {
    pub group_kind: String,
    pub group_key: String,
    pub day: NaiveDate,
    pub kind: String,
    pub fact: String,
    pub days: i64,
    pub n: i64,
}

/// The key of a subtree group: the root's id, 32 lowercase hex digits.
pub fn subtree_key(root: Uuid) -> String {
    root.simple().to_string()
}

/// A change to the figures: (manager, day, kind, fact, days) → by how much.
type Deltas = BTreeMap<(Uuid, NaiveDate, String, String, i64), i64>;

/// The gaps of a pair's held 1:1s of one kind: for each that has a previous one (the latest
/// that started strictly earlier), its day and the whole days since.
fn gaps(held: &mut [DateTime<Utc>]) -> Vec<(NaiveDate, i64)> {
    held.sort_unstable();
    let mut out = Vec::new();
    let mut prev: Option<DateTime<Utc>> = None;
    let mut i = 0;
    while i < held.len() {
        let at = held[i];
        let mut j = i;
        // Held 1:1s that started at the same instant share their previous one.
        while j < held.len() && held[j] == at {
            if let Some(p) = prev {
                out.push((
                    at.date_naive(),
                    (at.date_naive() - p.date_naive()).num_days(),
                ));
            }
            j += 1;
        }
        prev = Some(at);
        i = j;
    }
    out
}

/// `date(starts_at)` in UTC, and whole days between two instants, per dialect.
fn day_of(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("date({column})"),
        Backend::Postgres => format!("CAST(({column} AT TIME ZONE 'UTC') AS DATE)"),
    }
}

fn days_between(backend: Backend, earlier: &str, later: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("CAST(julianday(date({later})) - julianday(date({earlier})) AS INTEGER)")
        }
        Backend::Postgres => format!(
            "({} - {})",
            day_of(backend, later),
            day_of(backend, earlier)
        ),
    }
}

fn key_of(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("lower(hex({column}))"),
        Backend::Postgres => format!("replace(CAST({column} AS TEXT), '-', '')"),
    }
}

/// Whose own figures [`own_sql`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnOf {
    /// Everyone's.
    Everyone,
    /// The person bound to `$1`, goals aside (they move apart: [`crate::Tx::settle_goals_of`]).
    Person,
    /// Everyone whose id is between `$1` and `$2` (both included).
    Range,
}

/// The figures of each manager's own meetings and action items (and each person's own goals),
/// recomputed from the records for `of`: a CTE `own (manager_id, day, kind, fact, days, n)`.
fn own_sql(backend: Backend, of: OwnOf) -> String {
    let filter = |column: &str| match of {
        OwnOf::Everyone => "TRUE".to_owned(),
        OwnOf::Person => format!("{column} = $1"),
        OwnOf::Range => format!("{column} BETWEEN $1 AND $2"),
    };
    let (m, x, l, k) = (
        filter("m.manager_id"),
        filter("x.manager_id"),
        filter("l.manager_id"),
        filter("k.manager_id"),
    );
    let goals = match of {
        OwnOf::Person => "FALSE".to_owned(),
        _ => filter("g.owner_id"),
    };
    let holding = measures::HOLDING;
    let month = month_sql(backend, "l.day");
    let epoch = match backend {
        Backend::Sqlite => "'1970-01-01'",
        Backend::Postgres => "DATE '1970-01-01'",
    };
    let checkins = |fact: &str, when: &str| {
        format!(
            "UNION ALL SELECT k.manager_id, c.due_date, '{CHECKINS}', '{fact}', 0, 1 FROM checkins k \
             JOIN checkin_cycles c ON c.id = k.cycle_id WHERE {when} AND {k}"
        )
    };
    let checkins = [
        checkins(CHECKINS, "TRUE"),
        checkins(SUBMITTED, "k.submitted_at IS NOT NULL"),
        checkins(REVIEWED, "k.reviewed_at IS NOT NULL"),
    ]
    .join(" ");
    let day = day_of(backend, "m.starts_at");
    let xday = day_of(backend, "x.starts_at");
    let done_day = day_of(backend, "x.completed_at");
    let gap = days_between(backend, "x.prev", "x.starts_at");
    let shared = format!(
        "FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id \
         WHERE a.private = FALSE AND m.status = '{HELD}' AND {m}"
    );
    let week = week_sql(backend, "d.day");
    let unweekly = unweekly_kinds();
    format!(
        "own_days (manager_id, day, kind, fact, days, n) AS ( \
         SELECT f.manager_id, f.day, f.kind, f.fact, CAST(f.days AS BIGINT), \
         CAST(SUM(f.n) AS BIGINT) FROM ( \
         SELECT m.manager_id, {day} AS day, m.kind, m.status AS fact, 0 AS days, 1 AS n \
         FROM meetings m WHERE {m} \
         UNION ALL \
         SELECT x.manager_id, {xday}, x.kind, '{GAP}', {gap}, 1 FROM ( \
         SELECT m.manager_id, m.kind, m.starts_at, (SELECT p.starts_at FROM meetings p \
         WHERE p.manager_id = m.manager_id AND p.report_id = m.report_id AND p.status = '{HELD}' \
         AND p.kind = m.kind AND p.starts_at < m.starts_at ORDER BY p.starts_at DESC LIMIT 1) AS prev \
         FROM meetings m WHERE m.status = '{HELD}' AND {m}) x WHERE x.prev IS NOT NULL \
         UNION ALL SELECT m.manager_id, {day}, m.kind, 'points:' || a.category, 0, 1 {shared} \
         UNION ALL SELECT m.manager_id, {day}, m.kind, 'by_report:' || a.category, 0, 1 {shared} \
         AND a.author_id = m.report_id \
         UNION ALL SELECT m.manager_id, {day}, m.kind, 'carried:' || a.category, 0, 1 {shared} \
         AND a.times_carried >= 3 \
         UNION ALL SELECT m.manager_id, {day}, m.kind, 'starters:' || a.category, 0, 1 {shared} \
         AND EXISTS (SELECT 1 FROM starter_uses u WHERE u.agenda_item_id = a.id) \
         UNION ALL SELECT x.manager_id, x.due_date, '', '{DUE}', 0, 1 FROM action_items x \
         WHERE x.due_date IS NOT NULL AND {x} \
         UNION ALL SELECT x.manager_id, x.due_date, '', '{DONE_BY_DUE}', 0, 1 FROM action_items x \
         WHERE x.due_date IS NOT NULL AND x.status = 'done' AND {done_day} <= x.due_date AND {x} \
         UNION ALL SELECT l.manager_id, l.day, CASE WHEN l.fact = '{holding}' THEN '{HELD_DAYS}' \
         ELSE '{LINES}' END, l.fact, l.days, l.n FROM program_lines l WHERE {l} \
         UNION ALL SELECT l.manager_id, {month}, '{LINES_MONTH}', l.fact, l.days, l.n \
         FROM program_lines l WHERE l.fact <> '{holding}' AND {l} \
         UNION ALL SELECT g.owner_id, {epoch}, '{GOALS}', g.status, 0, 1 FROM goals g \
         JOIN people o ON o.id = g.owner_id AND o.active = TRUE WHERE {goals} \
         {checkins} \
         ) f GROUP BY f.manager_id, f.day, f.kind, f.fact, f.days), \
         own (manager_id, day, kind, fact, days, n) AS ( \
         SELECT w.manager_id, w.day, w.kind, w.fact, w.days, CAST(SUM(w.n) AS BIGINT) FROM ( \
         SELECT d.manager_id, d.day, d.kind, d.fact, d.days, d.n FROM own_days d \
         UNION ALL SELECT d.manager_id, {week}, '{WEEK}' || d.kind, d.fact, d.days, d.n \
         FROM own_days d WHERE d.kind NOT IN ({unweekly}) \
         ) w GROUP BY w.manager_id, w.day, w.kind, w.fact, w.days)"
    )
}

/// Kinds kept by week too (under `week:<kind>`, on the week's Monday), so a window reads its
/// whole weeks as one row each and only its first and last days by day: all but these.
fn unweekly_kinds() -> String {
    [LINES, LINES_MONTH, HELD_DAYS, GOALS]
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The prefix of the kinds kept by week.
const WEEK: &str = "week:";

/// Whether facts of `kind` are kept by week too.
fn weekly(kind: &str) -> bool {
    ![LINES, LINES_MONTH, HELD_DAYS, GOALS].contains(&kind) && !kind.starts_with(WEEK)
}

/// `column`'s week's Monday, per dialect.
fn week_sql(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("date({column}, 'weekday 0', '-6 days')"),
        Backend::Postgres => format!("CAST(date_trunc('week', {column}) AS DATE)"),
    }
}

/// Every row of the table, recomputed from the records in one statement: the reference
/// [`Database::program_days_drift`] checks the kept figures (and the batched recomputation)
/// against.
fn recompute_sql(backend: Backend) -> String {
    let own = own_sql(backend, OwnOf::Everyone);
    let key = key_of(backend, "a.ancestor");
    format!(
        "WITH RECURSIVE {own}, \
         anc (person, ancestor, depth) AS (SELECT id, id, 0 FROM people UNION ALL \
         SELECT a.person, p.manager_id, a.depth + 1 FROM anc a JOIN people p ON p.id = a.ancestor \
         WHERE p.manager_id IS NOT NULL AND a.depth < 1000) \
         SELECT 'organisation' AS group_kind, '' AS group_key, o.day, o.kind, o.fact, o.days, \
         CAST(SUM(o.n) AS BIGINT) AS n FROM own o GROUP BY o.day, o.kind, o.fact, o.days \
         UNION ALL \
         SELECT 'department', p.department, o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT) \
         FROM own o JOIN people p ON p.id = o.manager_id WHERE p.department IS NOT NULL \
         GROUP BY p.department, o.day, o.kind, o.fact, o.days \
         UNION ALL \
         SELECT 'subtree', {key}, o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT) \
         FROM own o JOIN anc a ON a.person = o.manager_id \
         GROUP BY a.ancestor, o.day, o.kind, o.fact, o.days"
    )
}

/// How a recomputation clears what it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recompute {
    /// After a bulk load, or at start-up: nobody reads meanwhile.
    Bulk,
    /// Inside a live server's change (an import that moves people).
    Live,
}

/// How much each statement of a recomputation reads (see
/// [`crate::Tx::recompute_program_days_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupBatches {
    /// People whose own figures are staged in one statement (a range of ids), each counting
    /// one plus their direct reports (a manager's 1:1s are most of the rows).
    pub people: usize,
    /// Subtree roots summed in one statement, at most.
    pub roots: usize,
    /// Staged rows summed in one statement, at most, each counted once for each root it is
    /// below (a root with more is summed alone).
    pub rows: usize,
}

impl Default for GroupBatches {
    fn default() -> Self {
        Self {
            people: 2_000,
            roots: 1_000,
            rows: 1_000_000,
        }
    }
}

/// `items` in their order, cut into runs of at most `count` items and `budget` of weight (an
/// item heavier than the budget makes a run by itself): each run's first and last item.
fn runs<T: Copy>(
    items: impl IntoIterator<Item = (T, usize)>,
    count: usize,
    budget: usize,
) -> Vec<(T, T)> {
    let mut out: Vec<(T, T)> = Vec::new();
    let (mut items_in_run, mut held) = (0, 0);
    for (item, weight) in items {
        match out.last_mut() {
            Some(run) if items_in_run < count.max(1) && held + weight <= budget => {
                run.1 = item;
                items_in_run += 1;
                held += weight;
            }
            _ => {
                out.push((item, item));
                items_in_run = 1;
                held = weight;
            }
        }
    }
    out
}

/// The weight of everyone's subtree (`lines`: everyone and their manager; `own`: a person's
/// own weight), by id: their own and that of everyone below them.
fn subtree_weights(
    lines: &[(Uuid, Option<Uuid>, String)],
    own: impl Fn(Uuid) -> usize,
) -> BTreeMap<Uuid, usize> {
    let manager: HashMap<Uuid, Uuid> = lines
        .iter()
        .filter_map(|(id, m, _)| m.map(|m| (*id, m)))
        .collect();
    let mut out: BTreeMap<Uuid, usize> = lines.iter().map(|(id, _, _)| (*id, 0)).collect();
    for (id, _, _) in lines {
        let weight = own(*id);
        // Up the line, as far as the recomputation follows it.
        let mut at = Some(*id);
        for _ in 0..=1000 {
            let Some(person) = at else { break };
            *out.entry(person).or_default() += weight;
            at = manager.get(&person).copied();
        }
    }
    out
}

/// The kinds the line facts are kept under in `program_days`: the running facts by day
/// ([`LINES`]) and by month (`lines_month`, on the month's first day, so a running sum reads
/// whole months then the days of the last one), and the held days (`held_days`).
const LINES_MONTH: &str = "lines_month";
const HELD_DAYS: &str = "held_days";

/// The kind a line fact is kept under by day.
fn line_kind(fact: &str) -> &'static str {
    if fact == measures::HOLDING {
        HELD_DAYS
    } else {
        LINES
    }
}

/// The first day of `day`'s month.
fn month_of(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day.with_day(1).unwrap_or(day)
}

/// `column`'s month's first day, per dialect.
fn month_sql(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("date({column}, 'start of month')"),
        Backend::Postgres => format!("CAST(date_trunc('month', {column}) AS DATE)"),
    }
}

/// A manager's line facts: (day, fact, days) → count.
type LineFacts = BTreeMap<(NaiveDate, String, i64), i64>;

/// Managers whose line facts are computed in one go.
const LINE_BATCH: usize = 200;

/// A current line: a manager, an active direct report, the cadence of their recurring
/// `manager_report` 1:1 (the running series first, then the newest).
#[derive(Debug, Clone, sqlx::FromRow)]
struct LineRow {
    manager_id: Uuid,
    report_id: Uuid,
    frequency: Option<String>,
    interval_weeks: Option<i64>,
}

/// A held `manager_report` 1:1 of a current line.
#[derive(Debug, Clone, sqlx::FromRow)]
struct HeldRow {
    manager_id: Uuid,
    report_id: Uuid,
    starts_at: DateTime<Utc>,
}

/// A group's line facts as a report reads them at the end day `E` of a window `[S, E)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFigures {
    pub managers: i64,
    pub reports: i64,
    /// (N days, direct reports met in the N days before the end).
    pub covered: Vec<(i64, i64)>,
    pub regular: i64,
    pub partial: i64,
    /// Managers who held a `manager_report` 1:1 with a current report in the window.
    pub holding: i64,
}

/// `… FROM people r JOIN people pm …`: the active direct reports of active managers.
const CURRENT_LINES: &str = "FROM people r JOIN people pm ON pm.id = r.manager_id \
     AND pm.active = TRUE WHERE r.active = TRUE";

/// A manager and their report.
type Pair = (Uuid, Uuid);

/// The kind of [`Database::program_days_drift`]'s rows of the kept never-met lines.
const NEVER_MET: &str = "never_met";

/// The kind of [`Database::program_days_drift`]'s rows of a series' kept `overdue_from`.
const SERIES_DUE: &str = "series_due";

/// The current lines never met (`manager_id`, `report_id`): no 1:1 of the pair, of any kind,
/// was ever held. Kept in the table `never_met` ([`Tx::refresh_never_met`]).
fn never_met_sql() -> String {
    format!(
        "SELECT r.manager_id, r.id {CURRENT_LINES} AND NOT EXISTS (SELECT 1 FROM meetings m \
         WHERE m.manager_id = r.manager_id AND m.report_id = r.id AND m.status = '{HELD}')"
    )
}

impl Database {
    /// A group's line facts at the end day `end` of the window `[from, end)`.
    pub async fn program_lines_at(
        &self,
        group_kind: &str,
        group_key: &str,
        from: NaiveDate,
        end: NaiveDate,
    ) -> StoreResult<LineFigures> {
        let earlier = match self.backend() {
            Backend::Sqlite => "julianday(day) - days < julianday($5)",
            Backend::Postgres => "day - CAST(days AS INTEGER) < $5",
        };
        let holding_sql = format!(
            "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM program_days WHERE kind = '{HELD_DAYS}' \
             AND group_kind = $1 AND group_key = $2 AND day >= $5 AND day < $4 \
             AND (days = 0 OR {earlier}) AND fact = $3"
        );
        // Whole months before the end's month, then its days up to the end.
        let running_sql = format!(
            "SELECT fact, days, CAST(SUM(n) AS BIGINT) FROM ( \
             SELECT fact, days, n FROM program_days WHERE kind = '{LINES_MONTH}' \
             AND group_kind = $1 AND group_key = $2 AND day < $3 \
             UNION ALL SELECT fact, days, n FROM program_days WHERE kind = '{LINES}' \
             AND group_kind = $1 AND group_key = $2 AND day >= $3 AND day <= $4 \
             ) x GROUP BY fact, days"
        );
        let (running, holding): (Vec<(String, i64, i64)>, i64) = with_pool!(self, pool => {
            let running = sqlx::query_as(&running_sql)
                .bind(group_kind)
                .bind(group_key)
                .bind(month_of(end))
                .bind(end)
                .fetch_all(pool)
                .await?;
            let holding = sqlx::query_scalar(&holding_sql)
                .bind(group_kind)
                .bind(group_key)
                .bind(measures::HOLDING)
                .bind(end)
                .bind(from)
                .fetch_one(pool)
                .await?;
            (running, holding)
        });
        let mut out = LineFigures {
            holding,
            covered: measures::COVERAGE_DAYS.iter().map(|d| (*d, 0)).collect(),
            ..LineFigures::default()
        };
        for (fact, days, n) in running {
            match fact.as_str() {
                measures::MANAGERS => out.managers += n,
                measures::REPORTS => out.reports += n,
                measures::REGULAR => out.regular += n,
                measures::PARTIAL => out.partial += n,
                _ => {
                    if let Some(c) = out.covered.iter_mut().find(|(d, _)| *d == days) {
                        c.1 += n;
                    }
                }
            }
        }
        Ok(out)
    }

    /// The summed figures of a group's days `[from, until)` as [`Database::program_days`]
    /// gives them, read as whole weeks (one row a fact each) and the days before the first and
    /// after the last.
    pub async fn program_window(
        &self,
        group_kind: &str,
        group_key: &str,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<Vec<DayFigure>> {
        use chrono::Datelike;
        let monday = |d: NaiveDate| oneonone_domain::program::week_of(d);
        let first = if from.weekday() == chrono::Weekday::Mon {
            from
        } else {
            monday(from) + chrono::Days::new(7)
        };
        let last = monday(until);
        if first >= last {
            return self.program_days(group_kind, group_key, from, until).await;
        }
        let sql = format!(
            "SELECT kind, fact, days, CAST(SUM(n) AS BIGINT) AS n FROM ( \
             SELECT kind, fact, days, n FROM program_days WHERE group_kind = $1 AND group_key = $2 \
             AND day >= $3 AND day < $4 AND kind NOT LIKE '{WEEK}%' \
             UNION ALL SELECT substr(kind, {skip}), fact, days, n FROM program_days \
             WHERE group_kind = $1 AND group_key = $2 AND day >= $4 AND day < $5 \
             AND kind LIKE '{WEEK}%' \
             UNION ALL SELECT kind, fact, days, n FROM program_days WHERE group_kind = $1 \
             AND group_key = $2 AND day >= $5 AND day < $6 AND kind NOT LIKE '{WEEK}%' \
             ) x WHERE kind NOT IN ('{LINES}', '{LINES_MONTH}', '{HELD_DAYS}') \
             GROUP BY kind, fact, days HAVING SUM(n) <> 0 ORDER BY kind, fact, days",
            skip = WEEK.len() + 1
        );
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&sql)
                .bind(group_kind)
                .bind(group_key)
                .bind(from)
                .bind(first)
                .bind(last)
                .bind(until)
                .fetch_all(pool)
                .await?)
        })
    }

    /// The summed figures of a group's days `[from, until)` (line facts aside: they are read
    /// by [`Database::program_lines_at`]).
    pub async fn program_days(
        &self,
        group_kind: &str,
        group_key: &str,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StoreResult<Vec<DayFigure>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT kind, fact, days, CAST(SUM(n) AS BIGINT) AS n FROM program_days \
                 WHERE group_kind = $1 AND group_key = $2 AND day >= $3 AND day < $4 \
                 AND kind NOT IN ('{LINES}', '{LINES_MONTH}', '{HELD_DAYS}') \
                 AND kind NOT LIKE '{WEEK}%' \
                 GROUP BY kind, fact, days HAVING SUM(n) <> 0 ORDER BY kind, fact, days"
            ))
            .bind(group_kind)
            .bind(group_key)
            .bind(from)
            .bind(until)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Where the table differs from a recomputation from the records: (kept, recomputed) for
    /// each row that differs (a count of zero is no row). Empty when they agree. The other kept
    /// state the attention list reads is checked too, as rows of their own kinds: the
    /// never-met lines (`never_met`) and when each series falls behind (`series_due`).
    pub async fn program_days_drift(
        &self,
    ) -> StoreResult<Vec<(Option<GroupDay>, Option<GroupDay>)>> {
        let sql = recompute_sql(self.backend());
        let (kept, fresh): (Vec<GroupDay>, Vec<GroupDay>) = with_pool!(self, pool => {
            let kept = sqlx::query_as(
                "SELECT group_kind, group_key, day, kind, fact, days, n FROM program_days \
                 WHERE n <> 0",
            )
            .fetch_all(pool)
            .await?;
            let fresh = sqlx::query_as(&sql).fetch_all(pool).await?;
            (kept, fresh)
        });
        let (kept_lines, fresh_lines) = self
            .transact(|tx| {
                Box::pin(async move {
                    let kept = tx.stored_lines(None).await?;
                    let managers = tx.current_managers().await?;
                    let mut fresh = BTreeMap::new();
                    for batch in managers.chunks(LINE_BATCH) {
                        fresh.extend(tx.computed_lines(batch).await?);
                    }
                    StoreResult::Ok((kept, fresh))
                })
            })
            .await?;
        let as_rows = |lines: BTreeMap<Uuid, LineFacts>| {
            lines
                .into_iter()
                .flat_map(|(manager, facts)| {
                    facts
                        .into_iter()
                        .map(move |((day, fact, days), n)| GroupDay {
                            group_kind: "manager".to_owned(),
                            group_key: subtree_key(manager),
                            day,
                            kind: LINES.to_owned(),
                            fact,
                            days,
                            n,
                        })
                })
                .filter(|r| r.n != 0)
                .collect::<Vec<_>>()
        };
        let fresh_never_met = never_met_sql();
        let (kept_never_met, fresh_never_met): (Vec<Pair>, Vec<Pair>) = with_pool!(self, pool => {
            let kept = sqlx::query_as("SELECT manager_id, report_id FROM never_met")
                .fetch_all(pool)
                .await?;
            let fresh = sqlx::query_as(&fresh_never_met).fetch_all(pool).await?;
            (kept, fresh)
        });
        // A never-met line as a row of its own kind: (manager, report) one.
        let never_met_rows = |lines: Vec<Pair>| {
            lines.into_iter().map(|(manager, report)| GroupDay {
                group_kind: NEVER_MET.to_owned(),
                group_key: subtree_key(manager),
                day: NaiveDate::default(),
                kind: NEVER_MET.to_owned(),
                fact: subtree_key(report),
                days: 0,
                n: 1,
            })
        };
        let kept: Vec<GroupDay> = kept
            .into_iter()
            .chain(as_rows(kept_lines))
            .chain(never_met_rows(kept_never_met))
            .collect();
        let fresh: Vec<GroupDay> = fresh
            .into_iter()
            .filter(|r| r.n != 0)
            .chain(as_rows(fresh_lines))
            .chain(never_met_rows(fresh_never_met))
            .collect();
        let key = |r: &GroupDay| {
            (
                r.group_kind.clone(),
                r.group_key.clone(),
                r.day,
                r.kind.clone(),
                r.fact.clone(),
                r.days,
            )
        };
        let kept: BTreeMap<_, GroupDay> = kept.into_iter().map(|r| (key(&r), r)).collect();
        let fresh: BTreeMap<_, GroupDay> = fresh.into_iter().map(|r| (key(&r), r)).collect();
        let keys: BTreeSet<_> = kept.keys().chain(fresh.keys()).cloned().collect();
        // A series whose kept `overdue_from` differs, as a row of its own kind: the instant in
        // `fact`.
        let due = |series: Uuid, at: Option<DateTime<Utc>>| {
            at.map(|at| GroupDay {
                group_kind: SERIES_DUE.to_owned(),
                group_key: subtree_key(series),
                day: NaiveDate::default(),
                kind: SERIES_DUE.to_owned(),
                fact: at.to_rfc3339(),
                days: 0,
                n: 1,
            })
        };
        let series = self.series_due_drift().await?;
        Ok(keys
            .into_iter()
            .filter_map(|k| {
                let (a, b) = (kept.get(&k).cloned(), fresh.get(&k).cloned());
                (a != b).then_some((a, b))
            })
            .chain(
                series
                    .into_iter()
                    .map(|(id, kept, fresh)| (due(id, kept), due(id, Some(fresh)))),
            )
            .collect())
    }

    /// Run the recomputation a migration asked for (`kept_rebuilds`), once: the first
    /// replica to start takes the request and recomputes in the same transaction.
    pub async fn run_pending_rebuilds(&self) -> StoreResult<()> {
        self.with_temp_files(self.transact(move |tx| {
            Box::pin(async move {
                let taken: Vec<String> = crate::on_tx!(tx, conn => {
                    sqlx::query_scalar("DELETE FROM kept_rebuilds RETURNING name")
                        .fetch_all(&mut *conn)
                        .await?
                });
                // Everything (`program_days`), or only when each series falls behind.
                if taken.iter().any(|name| name == "program_days") {
                    tx.recompute_program_days(Recompute::Bulk).await?;
                } else if taken.iter().any(|name| name == "series_due") {
                    tx.refresh_series_due(crate::attention::SeriesDue::All)
                        .await?;
                }
                StoreResult::Ok(())
            })
        }))
        .await
    }

    /// Run `work` with SQLite's temporary tables and sorts in files (the pools keep them in
    /// memory): a recomputation's staging and sorts then take disk, not the server's memory.
    async fn with_temp_files<T>(
        &self,
        work: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let Database::Sqlite(pools) = self else {
            return work.await;
        };
        pools.writer_pragma("temp_store = FILE").await?;
        let out = work.await;
        let back = pools.writer_pragma("temp_store = MEMORY").await;
        let out = out?;
        back.map(|()| out)
    }

    /// A bulk load begins: its changes leave the kept figures alone ([`crate::Tx::bulk_load`]),
    /// so they are marked for a recomputation first. The load ends with
    /// [`Database::run_pending_rebuilds`]; if it stops before, the next server to start runs it.
    pub async fn begin_bulk_load(&self) -> StoreResult<()> {
        self.transact(move |tx| {
            Box::pin(async move {
                crate::on_tx!(tx, conn => {
                    sqlx::query(
                        "INSERT INTO kept_rebuilds (name) VALUES ('program_days') \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .execute(&mut *conn)
                    .await?;
                });
                StoreResult::Ok(())
            })
        })
        .await
    }

    /// Recompute the whole table from the records in one transaction (after a bulk load).
    pub async fn rebuild_program_days(&self) -> StoreResult<()> {
        self.rebuild_program_days_in(GroupBatches::default()).await
    }

    /// [`Self::rebuild_program_days`], its statements bounded by `batches`.
    pub async fn rebuild_program_days_in(&self, batches: GroupBatches) -> StoreResult<()> {
        self.with_temp_files(self.transact(move |tx| {
            Box::pin(async move { tx.recompute_program_days_in(Recompute::Bulk, batches).await })
        }))
        .await
    }
}

impl crate::Tx<'_> {
    /// Recompute the whole table from the records.
    pub async fn recompute_program_days(&mut self, how: Recompute) -> StoreResult<()> {
        self.recompute_program_days_in(how, GroupBatches::default())
            .await
    }

    /// [`Self::recompute_program_days`], its statements bounded by `batches`.
    ///
    /// Every statement reads a bounded part: each person's own figures are staged in a
    /// temporary table a range of people at a time, then summed per group — the organisation
    /// and the departments in one statement each, the subtrees a batch of roots at a time
    /// (each person below a root, the root included, counts once per root). The one statement
    /// this replaces summed ten million meetings' facts for every ancestor at once: at 100,000
    /// people its sorts filled the disk on PostgreSQL and 15 GB of memory on SQLite.
    pub async fn recompute_program_days_in(
        &mut self,
        how: Recompute,
        batches: GroupBatches,
    ) -> StoreResult<()> {
        // PostgreSQL: a bulk recompute truncates (fresh, compact indexes; the tables are locked
        // until it commits); one in a live server deletes (readers go on meanwhile).
        let clear = match (how, self.backend()) {
            (Recompute::Bulk, Backend::Postgres) => "TRUNCATE program_lines, program_days",
            _ => "DELETE FROM program_lines",
        };
        let never_met = format!(
            "INSERT INTO never_met (manager_id, report_id) {}",
            never_met_sql()
        );
        crate::on_tx!(self, conn => {
            sqlx::query(clear).execute(&mut *conn).await?;
            sqlx::query("DELETE FROM never_met").execute(&mut *conn).await?;
            sqlx::query(&never_met).execute(&mut *conn).await?;
        });
        self.refresh_series_due(crate::attention::SeriesDue::All)
            .await?;
        let managers = self.current_managers().await?;
        for batch in managers.chunks(LINE_BATCH) {
            let computed = self.computed_lines(batch).await?;
            self.add_to_stored_lines(computed).await?;
        }

        let backend = self.backend();
        let staging = match backend {
            Backend::Sqlite => {
                "CREATE TEMP TABLE program_own (manager_id BLOB NOT NULL, day TEXT NOT NULL, \
                 kind TEXT NOT NULL, fact TEXT NOT NULL, days INTEGER NOT NULL, n INTEGER NOT NULL)"
            }
            Backend::Postgres => {
                "CREATE TEMP TABLE program_own (manager_id UUID NOT NULL, day DATE NOT NULL, \
                 kind TEXT NOT NULL, fact TEXT NOT NULL, days BIGINT NOT NULL, n BIGINT NOT NULL) \
                 ON COMMIT DROP"
            }
        };
        crate::on_tx!(self, conn => {
            sqlx::query("DELETE FROM program_days").execute(&mut *conn).await?;
            sqlx::query(staging).execute(&mut *conn).await?;
        });

        let lines = self.reporting_lines().await?;
        let mut reports: BTreeMap<Uuid, usize> = lines.iter().map(|(id, _, _)| (*id, 1)).collect();
        for manager in lines.iter().filter_map(|(_, m, _)| *m) {
            *reports.entry(manager).or_default() += 1;
        }
        let fill = format!(
            "INSERT INTO program_own (manager_id, day, kind, fact, days, n) WITH {} \
             SELECT manager_id, day, kind, fact, days, n FROM own",
            own_sql(backend, OwnOf::Range)
        );
        self.each_range(&fill, runs(reports, usize::MAX, batches.people))
            .await?;

        let insert = "INSERT INTO program_days (group_kind, group_key, day, kind, fact, days, n)";
        let sum = "o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT)";
        let by = "o.day, o.kind, o.fact, o.days";
        let organisation =
            format!("{insert} SELECT 'organisation', '', {sum} FROM program_own o GROUP BY {by}");
        let departments = format!(
            "{insert} SELECT 'department', p.department, {sum} FROM program_own o \
             JOIN people p ON p.id = o.manager_id WHERE p.department IS NOT NULL \
             GROUP BY p.department, {by}"
        );
        // PostgreSQL keeps no statistics of a temporary table by itself (autovacuum does not
        // see them): without them it hashed the whole staging table for every batch of roots
        // (5 s a batch at 10,000 people, even for roots with no rows).
        let statistics = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some("ANALYZE program_own"),
        };
        crate::on_tx!(self, conn => {
            sqlx::query("CREATE INDEX program_own_manager ON program_own (manager_id)")
                .execute(&mut *conn)
                .await?;
            if let Some(statistics) = statistics {
                sqlx::query(statistics).execute(&mut *conn).await?;
            }
            sqlx::query(&organisation).execute(&mut *conn).await?;
            sqlx::query(&departments).execute(&mut *conn).await?;
        });

        let staged: Vec<(Uuid, i64)> = crate::on_tx!(self, conn => {
            sqlx::query_as("SELECT manager_id, COUNT(*) FROM program_own GROUP BY manager_id")
                .fetch_all(&mut *conn)
                .await?
        });
        let staged: HashMap<Uuid, usize> = staged
            .into_iter()
            .map(|(id, n)| (id, usize::try_from(n).unwrap_or(usize::MAX)))
            .collect();
        let weights = subtree_weights(&lines, |id| staged.get(&id).copied().unwrap_or(0));

        // Who is below whom (each person below themselves too), as the reference's `anc`: one
        // row per person and level above them. Read by a range of roots, with statistics (a
        // recursive query's size is a guess: PostgreSQL guessed half a million rows for a
        // thousand leaves and read the whole staging table for each batch).
        let members = match backend {
            Backend::Sqlite => {
                "CREATE TEMP TABLE program_members (root BLOB NOT NULL, person BLOB NOT NULL)"
            }
            Backend::Postgres => {
                "CREATE TEMP TABLE program_members (root UUID NOT NULL, person UUID NOT NULL) \
                 ON COMMIT DROP"
            }
        };
        crate::on_tx!(self, conn => {
            sqlx::query(members).execute(&mut *conn).await?;
            sqlx::query(
                "INSERT INTO program_members (root, person) WITH RECURSIVE \
                 anc (person, ancestor, depth) AS (SELECT id, id, 0 FROM people UNION ALL \
                 SELECT a.person, p.manager_id, a.depth + 1 FROM anc a \
                 JOIN people p ON p.id = a.ancestor \
                 WHERE p.manager_id IS NOT NULL AND a.depth < 1000) \
                 SELECT ancestor, person FROM anc",
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query("CREATE INDEX program_members_root ON program_members (root, person)")
                .execute(&mut *conn)
                .await?;
            if statistics.is_some() {
                sqlx::query("ANALYZE program_members")
                    .execute(&mut *conn)
                    .await?;
            }
        });

        // `CROSS JOIN`: SQLite then reads the roots' people first and their staged rows through
        // the index (it has no statistics of temporary tables and scanned the staging table for
        // each batch); PostgreSQL plans it as any inner join. A batch's roots are a run of ids.
        let key = key_of(backend, "s.root");
        let subtrees = format!(
            "{insert} SELECT 'subtree', {key}, {sum} FROM program_members s \
             CROSS JOIN program_own o WHERE s.root BETWEEN $1 AND $2 \
             AND o.manager_id = s.person GROUP BY s.root, {by}"
        );
        self.each_range(&subtrees, runs(weights, batches.roots, batches.rows))
            .await?;
        crate::on_tx!(self, conn => {
            sqlx::query("DROP TABLE program_own").execute(&mut *conn).await?;
            sqlx::query("DROP TABLE program_members").execute(&mut *conn).await?;
        });
        Ok(())
    }

    /// Run `sql` once for each range of ids, bound as `$1` and `$2` (first and last included).
    async fn each_range(&mut self, sql: &str, ranges: Vec<(Uuid, Uuid)>) -> StoreResult<()> {
        for (first, last) in ranges {
            crate::on_tx!(self, conn => {
                sqlx::query(sql)
                    .bind(first)
                    .bind(last)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        Ok(())
    }

    /// The facts of these meetings as they stand (none for an id not found).
    pub async fn meeting_facts(&mut self, ids: &[Uuid]) -> StoreResult<Vec<MeetingFact>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let chunk = chunk.to_vec();
            let rows: Vec<MeetingFact> = crate::on_tx!(read self, conn => {
                let mut qb = QueryBuilder::new(
                    "SELECT id, manager_id, report_id, kind, status, starts_at FROM meetings \
                     WHERE id IN (",
                );
                let mut list = qb.separated(", ");
                for id in &chunk {
                    list.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as().fetch_all(&mut *conn).await?
            });
            out.extend(rows);
        }
        let held: Vec<Uuid> = out
            .iter()
            .filter(|f| f.status == HELD)
            .map(|f| f.id)
            .collect();
        for chunk in held.chunks(500) {
            let chunk = chunk.to_vec();
            let rows: Vec<ContentRow> = crate::on_tx!(read self, conn => {
                let mut qb = QueryBuilder::new(
                    "SELECT a.meeting_id, a.category, COUNT(*) AS points, \
                     CAST(SUM(CASE WHEN a.author_id = m.report_id THEN 1 ELSE 0 END) AS BIGINT) AS by_report, \
                     CAST(SUM(CASE WHEN a.times_carried >= 3 THEN 1 ELSE 0 END) AS BIGINT) AS carried, \
                     CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM starter_uses u \
                     WHERE u.agenda_item_id = a.id) THEN 1 ELSE 0 END) AS BIGINT) AS starters \
                     FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id \
                     WHERE a.private = FALSE AND a.meeting_id IN (",
                );
                let mut list = qb.separated(", ");
                for id in &chunk {
                    list.push_bind(*id);
                }
                qb.push(") GROUP BY a.meeting_id, a.category");
                qb.build_query_as().fetch_all(&mut *conn).await?
            });
            for r in rows {
                if let Some(f) = out.iter_mut().find(|f| f.id == r.meeting_id) {
                    for (fact, n) in
                        CONTENT_FACTS
                            .iter()
                            .zip([r.points, r.by_report, r.carried, r.starters])
                    {
                        if n != 0 {
                            f.content.push((format!("{fact}:{}", r.category), n));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Bring the figures up to date after a write to the talking points of `meeting` (held
    /// ones count): `before` is its facts read before the write.
    pub async fn settle_content(
        &mut self,
        before: Vec<MeetingFact>,
        meeting: Uuid,
    ) -> StoreResult<()> {
        if before.iter().all(|f| f.status != HELD) {
            return Ok(());
        }
        self.settle_meetings(before, &[meeting]).await
    }

    /// Bring the due action items up to date: each `(manager, due day, fact)` of `before` goes,
    /// each of `after` comes.
    pub async fn settle_actions(
        &mut self,
        before: Vec<(Uuid, NaiveDate, &'static str)>,
        after: Vec<(Uuid, NaiveDate, &'static str)>,
    ) -> StoreResult<()> {
        self.settle_facts("", before, after).await
    }

    /// Bring facts of `kind` up to date: each `(person, day, fact)` of `before` goes from the
    /// person's groups, each of `after` comes.
    async fn settle_facts(
        &mut self,
        kind: &str,
        before: Vec<(Uuid, NaiveDate, &str)>,
        after: Vec<(Uuid, NaiveDate, &str)>,
    ) -> StoreResult<()> {
        let mut deltas = Deltas::new();
        for (sign, facts) in [(-1, before), (1, after)] {
            for (person, day, fact) in facts {
                *deltas
                    .entry((person, day, kind.to_owned(), fact.to_owned(), 0))
                    .or_default() += sign;
            }
        }
        self.apply_deltas(deltas).await
    }

    /// Bring check-ins up to date: `before` as [`checkin_facts`] gave them before the write.
    pub async fn settle_checkins(
        &mut self,
        before: Vec<(Uuid, NaiveDate, &'static str)>,
        after: Vec<(Uuid, NaiveDate, &'static str)>,
    ) -> StoreResult<()> {
        self.settle_facts(CHECKINS, before, after).await
    }

    /// A goal of `owner`'s went from status `before` to `after` (`None`: no goal).
    pub async fn settle_goal(
        &mut self,
        owner: Uuid,
        before: Option<&str>,
        after: Option<&str>,
    ) -> StoreResult<()> {
        if before == after {
            return Ok(());
        }
        let active: Option<bool> = crate::on_tx!(read self, conn => {
            sqlx::query_scalar("SELECT active FROM people WHERE id = $1")
                .bind(owner)
                .fetch_optional(&mut *conn)
                .await?
        });
        if active != Some(true) {
            return Ok(());
        }
        let day = measures::epoch();
        let before: Vec<(Uuid, NaiveDate, &str)> =
            before.map(|s| (owner, day, s)).into_iter().collect();
        let after: Vec<(Uuid, NaiveDate, &str)> =
            after.map(|s| (owner, day, s)).into_iter().collect();
        self.settle_facts(GOALS, before, after).await
    }

    /// A person became active (`1`) or left (`-1`): their goals come into or leave the counts.
    pub async fn settle_goals_of(&mut self, person: Uuid, sign: i64) -> StoreResult<()> {
        let rows: Vec<(String, i64)> = crate::on_tx!(read self, conn => {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM goals WHERE owner_id = $1 GROUP BY status",
            )
            .bind(person)
            .fetch_all(&mut *conn)
            .await?
        });
        let mut deltas = Deltas::new();
        for (status, n) in rows {
            deltas.insert(
                (person, measures::epoch(), GOALS.to_owned(), status, 0),
                sign * n,
            );
        }
        self.apply_deltas(deltas).await
    }

    /// The facts of a series' meetings as they stand.
    pub async fn series_meeting_facts(&mut self, series: Uuid) -> StoreResult<Vec<MeetingFact>> {
        let ids: Vec<Uuid> = crate::on_tx!(read self, conn => {
            sqlx::query_scalar(
                "SELECT id FROM meetings WHERE series_id = $1",
            )
            .bind(series)
            .fetch_all(&mut *conn)
            .await?
        });
        self.meeting_facts(&ids).await
    }

    /// Bring the figures up to date after a write to the meetings `ids`, which stood as
    /// `before` (read by [`Tx::meeting_facts`] before the write; nothing for new ones).
    pub async fn settle_meetings(
        &mut self,
        before: Vec<MeetingFact>,
        ids: &[Uuid],
    ) -> StoreResult<()> {
        if self.bulk {
            return Ok(());
        }
        let after = self.meeting_facts(ids).await?;
        let mut deltas = Deltas::new();
        let mut add = |f: &MeetingFact, by: i64| {
            let day = f.starts_at.date_naive();
            *deltas
                .entry((f.manager_id, day, f.kind.clone(), f.status.clone(), 0))
                .or_default() += by;
            for (fact, n) in &f.content {
                *deltas
                    .entry((f.manager_id, day, f.kind.clone(), fact.clone(), 0))
                    .or_default() += by * n;
            }
        };
        before.iter().for_each(|f| add(f, -1));
        after.iter().for_each(|f| add(f, 1));
        // Gaps: every pair (and kind) with a held 1:1 among the changed ones, before and after.
        let changed: HashSet<Uuid> = ids
            .iter()
            .chain(before.iter().map(|f| &f.id))
            .copied()
            .collect();
        let pairs: BTreeSet<(Uuid, Uuid, String)> = before
            .iter()
            .chain(after.iter())
            .filter(|f| f.status == HELD)
            .map(|f| (f.manager_id, f.report_id, f.kind.clone()))
            .collect();
        let line_managers: BTreeSet<Uuid> = pairs
            .iter()
            .filter(|(_, _, kind)| kind == MANAGER_REPORT)
            .map(|(manager, _, _)| *manager)
            .collect();
        // Any held 1:1 of a pair meets it: the line managers' are refreshed with their lines.
        let met_managers: Vec<Uuid> = pairs
            .iter()
            .map(|(manager, _, _)| *manager)
            .filter(|manager| !line_managers.contains(manager))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let held_pairs: Vec<(Uuid, Uuid, String)> = pairs.iter().cloned().collect();
        for (manager, report, kind) in pairs {
            let now_held = self.held_of_pair(manager, report, &kind).await?;
            let mut old: Vec<DateTime<Utc>> = now_held
                .iter()
                .filter(|(id, _)| !changed.contains(id))
                .map(|(_, at)| *at)
                .chain(
                    before
                        .iter()
                        .filter(|f| {
                            f.status == HELD
                                && f.manager_id == manager
                                && f.report_id == report
                                && f.kind == kind
                        })
                        .map(|f| f.starts_at),
                )
                .collect();
            let mut new: Vec<DateTime<Utc>> = now_held.iter().map(|(_, at)| *at).collect();
            for (sign, held) in [(-1, &mut old), (1, &mut new)] {
                for (day, days) in gaps(held) {
                    *deltas
                        .entry((manager, day, kind.clone(), GAP.to_owned(), days))
                        .or_default() += sign;
                }
            }
        }
        self.apply_deltas(deltas).await?;
        self.refresh_series_due(crate::attention::SeriesDue::Pairs(&held_pairs))
            .await?;
        self.refresh_never_met(&met_managers).await?;
        self.refresh_lines(line_managers).await
    }

    /// Managers with at least one current line.
    async fn current_managers(&mut self) -> StoreResult<Vec<Uuid>> {
        crate::on_tx!(read self, conn => {
            Ok(sqlx::query_scalar(&format!(
                "SELECT DISTINCT r.manager_id {CURRENT_LINES} ORDER BY r.manager_id"
            ))
            .fetch_all(&mut *conn)
            .await?)
        })
    }

    /// The line facts of these managers, computed from the records (a manager without a
    /// current line has none, and no entry).
    async fn computed_lines(
        &mut self,
        managers: &[Uuid],
    ) -> StoreResult<BTreeMap<Uuid, LineFacts>> {
        if managers.is_empty() {
            return Ok(BTreeMap::new());
        }
        let ids = managers.to_vec();
        let series = "FROM meeting_series s WHERE s.manager_id = r.manager_id \
             AND s.report_id = r.id AND s.kind = 'manager_report' \
             ORDER BY s.paused, s.created_at DESC LIMIT 1";
        let (lines, held): (Vec<LineRow>, Vec<HeldRow>) = crate::on_tx!(read self, conn => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT r.manager_id, r.id AS report_id, (SELECT s.frequency {series}) AS frequency, \
                 (SELECT CAST(s.interval_weeks AS BIGINT) {series}) AS interval_weeks \
                 {CURRENT_LINES} AND r.manager_id IN ("
            ));
            let mut list = qb.separated(", ");
            for id in &ids {
                list.push_bind(*id);
            }
            qb.push(")");
            let lines = qb.build_query_as().fetch_all(&mut *conn).await?;
            // The join reads the pair index: (manager, report, status, kind, starts_at).
            let mut qb = QueryBuilder::new(format!(
                "SELECT m.manager_id, m.report_id, m.starts_at FROM people r JOIN people pm \
                 ON pm.id = r.manager_id AND pm.active = TRUE JOIN meetings m \
                 ON m.manager_id = r.manager_id AND m.report_id = r.id AND m.status = '{HELD}' \
                 AND m.kind = '{MANAGER_REPORT}' WHERE r.active = TRUE AND r.manager_id IN ("
            ));
            let mut list = qb.separated(", ");
            for id in &ids {
                list.push_bind(*id);
            }
            qb.push(")");
            let held = qb.build_query_as().fetch_all(&mut *conn).await?;
            (lines, held)
        });
        let mut by_pair: BTreeMap<(Uuid, Uuid), Line> = lines
            .into_iter()
            .map(|l| {
                (
                    (l.manager_id, l.report_id),
                    Line {
                        held: Vec::new(),
                        cadence_days: l
                            .frequency
                            .as_deref()
                            .map(|f| oneonone_domain::attention::period_days(f, l.interval_weeks)),
                    },
                )
            })
            .collect();
        for h in held {
            if let Some(line) = by_pair.get_mut(&(h.manager_id, h.report_id)) {
                line.held.push(h.starts_at.date_naive());
            }
        }
        let mut teams: BTreeMap<Uuid, Vec<Line>> = BTreeMap::new();
        for ((manager, _), line) in by_pair {
            teams.entry(manager).or_default().push(line);
        }
        Ok(teams
            .into_iter()
            .map(|(manager, team)| {
                let facts = measures::line_facts(&team)
                    .into_iter()
                    .map(|((day, fact, days), n)| ((day, fact.to_owned(), days), n))
                    .collect();
                (manager, facts)
            })
            .collect())
    }

    /// The stored line facts of these managers (of all, for `None`), rows of zero left out.
    async fn stored_lines(
        &mut self,
        managers: Option<&[Uuid]>,
    ) -> StoreResult<BTreeMap<Uuid, LineFacts>> {
        let ids = managers.map(<[Uuid]>::to_vec);
        let rows: Vec<(Uuid, NaiveDate, String, i64, i64)> = crate::on_tx!(read self, conn => {
            let mut qb = QueryBuilder::new(
                "SELECT manager_id, day, fact, days, n FROM program_lines WHERE n <> 0",
            );
            if let Some(ids) = &ids {
                qb.push(" AND manager_id IN (");
                let mut list = qb.separated(", ");
                for id in ids {
                    list.push_bind(*id);
                }
                qb.push(")");
            }
            qb.build_query_as().fetch_all(&mut *conn).await?
        });
        let mut out: BTreeMap<Uuid, LineFacts> = BTreeMap::new();
        for (manager, day, fact, days, n) in rows {
            out.entry(manager).or_default().insert((day, fact, days), n);
        }
        Ok(out)
    }

    /// Add these counts to the stored line facts.
    async fn add_to_stored_lines(&mut self, changes: BTreeMap<Uuid, LineFacts>) -> StoreResult<()> {
        let rows: Vec<(Uuid, NaiveDate, String, i64, i64)> = changes
            .into_iter()
            .flat_map(|(manager, facts)| {
                facts
                    .into_iter()
                    .filter(|(_, n)| *n != 0)
                    .map(move |((day, fact, days), n)| (manager, day, fact, days, n))
            })
            .collect();
        for chunk in rows.chunks(1_000) {
            let chunk = chunk.to_vec();
            crate::on_tx!(self, conn => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO program_lines (manager_id, day, fact, days, n) ",
                );
                qb.push_values(chunk, |mut b, (manager, day, fact, days, n)| {
                    b.push_bind(manager)
                        .push_bind(day)
                        .push_bind(fact)
                        .push_bind(days)
                        .push_bind(n);
                });
                qb.push(
                    " ON CONFLICT (manager_id, day, fact, days) \
                     DO UPDATE SET n = program_lines.n + excluded.n",
                );
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// Bring the line facts of these managers up to date (after a change to their direct
    /// reports, to a held `manager_report` 1:1 of theirs or to a pair's series): each one's
    /// facts are computed afresh and the difference from the stored ones goes to their groups.
    pub async fn refresh_lines(
        &mut self,
        managers: impl IntoIterator<Item = Uuid>,
    ) -> StoreResult<()> {
        if self.bulk {
            return Ok(());
        }
        let managers: Vec<Uuid> = managers
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for batch in managers.chunks(LINE_BATCH) {
            let mut fresh = self.computed_lines(batch).await?;
            let stored = self.stored_lines(Some(batch)).await?;
            let mut changes: BTreeMap<Uuid, LineFacts> = BTreeMap::new();
            let mut deltas = Deltas::new();
            for manager in batch {
                let new = fresh.remove(manager).unwrap_or_default();
                let old = stored.get(manager).cloned().unwrap_or_default();
                let mut change = new;
                for (key, n) in old {
                    *change.entry(key).or_default() -= n;
                }
                change.retain(|_, n| *n != 0);
                for ((day, fact, days), n) in &change {
                    *deltas
                        .entry((
                            *manager,
                            *day,
                            line_kind(fact).to_owned(),
                            fact.clone(),
                            *days,
                        ))
                        .or_default() += n;
                    if fact != measures::HOLDING {
                        *deltas
                            .entry((
                                *manager,
                                month_of(*day),
                                LINES_MONTH.to_owned(),
                                fact.clone(),
                                *days,
                            ))
                            .or_default() += n;
                    }
                }
                if !change.is_empty() {
                    changes.insert(*manager, change);
                }
            }
            self.add_to_stored_lines(changes).await?;
            self.apply_deltas(deltas).await?;
            self.refresh_never_met(batch).await?;
        }
        Ok(())
    }

    /// Bring the kept never-met lines of these managers up to date (after a change to their
    /// direct reports or to a held 1:1 of theirs): computed afresh from the records.
    pub async fn refresh_never_met(&mut self, managers: &[Uuid]) -> StoreResult<()> {
        if self.bulk {
            return Ok(());
        }
        let fresh = never_met_sql();
        for batch in managers.chunks(LINE_BATCH) {
            crate::on_tx!(self, conn => {
                let mut qb = QueryBuilder::new("DELETE FROM never_met WHERE manager_id IN (");
                let mut list = qb.separated(", ");
                for id in batch {
                    list.push_bind(*id);
                }
                qb.push(")");
                qb.build().execute(&mut *conn).await?;
                let mut qb = QueryBuilder::new(format!(
                    "INSERT INTO never_met (manager_id, report_id) {fresh} AND r.manager_id IN ("
                ));
                let mut list = qb.separated(", ");
                for id in batch {
                    list.push_bind(*id);
                }
                // Two changes to one team at once on PostgreSQL: the later one's rows stand.
                qb.push(") ON CONFLICT (manager_id, report_id) DO NOTHING");
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// The held 1:1s of a pair of one kind: (id, starts_at).
    async fn held_of_pair(
        &mut self,
        manager: Uuid,
        report: Uuid,
        kind: &str,
    ) -> StoreResult<Vec<(Uuid, DateTime<Utc>)>> {
        let kind = kind.to_owned();
        crate::on_tx!(read self, conn => {
            Ok(sqlx::query_as(
                "SELECT id, starts_at FROM meetings WHERE manager_id = $1 AND report_id = $2 \
                 AND kind = $3 AND status = $4",
            )
            .bind(manager)
            .bind(report)
            .bind(&kind)
            .bind(HELD)
            .fetch_all(&mut *conn)
            .await?)
        })
    }

    /// The groups a manager's meetings count for: (kind, key).
    async fn groups_of(&mut self, manager: Uuid) -> StoreResult<Vec<(&'static str, String)>> {
        let mut groups = vec![("organisation", String::new())];
        let department: Option<Option<String>> = crate::on_tx!(read self, conn => {
            sqlx::query_scalar("SELECT department FROM people WHERE id = $1")
                .bind(manager)
                .fetch_optional(&mut *conn)
                .await?
        });
        if let Some(d) = department.flatten() {
            groups.push(("department", d));
        }
        for a in self.chain_of(manager).await? {
            groups.push(("subtree", subtree_key(a)));
        }
        Ok(groups)
    }

    /// `person` and each of their managers up the line.
    async fn chain_of(&mut self, person: Uuid) -> StoreResult<Vec<Uuid>> {
        crate::on_tx!(read self, conn => {
            Ok(sqlx::query_scalar(crate::people::MANAGER_CHAIN)
                .bind(person)
                .fetch_all(&mut *conn)
                .await?)
        })
    }

    /// Add `deltas` to every group of their managers.
    async fn apply_deltas(&mut self, deltas: Deltas) -> StoreResult<()> {
        let mut by_manager: BTreeMap<Uuid, Vec<GroupDay>> = BTreeMap::new();
        for ((manager, day, kind, fact, days), n) in deltas {
            if n != 0 {
                let changes = by_manager.entry(manager).or_default();
                if weekly(&kind) {
                    changes.push(GroupDay {
                        group_kind: String::new(),
                        group_key: String::new(),
                        day: oneonone_domain::program::week_of(day),
                        kind: format!("{WEEK}{kind}"),
                        fact: fact.clone(),
                        days,
                        n,
                    });
                }
                changes.push(GroupDay {
                    group_kind: String::new(),
                    group_key: String::new(),
                    day,
                    kind,
                    fact,
                    days,
                    n,
                });
            }
        }
        // One row a key: managers share groups, and PostgreSQL's upsert takes a key once.
        let mut summed: BTreeMap<GroupDay, i64> = BTreeMap::new();
        for (manager, changes) in by_manager {
            for (group_kind, group_key) in self.groups_of(manager).await? {
                for c in &changes {
                    let key = GroupDay {
                        group_kind: group_kind.to_owned(),
                        group_key: group_key.clone(),
                        n: 0,
                        ..c.clone()
                    };
                    *summed.entry(key).or_default() += c.n;
                }
            }
        }
        let rows: Vec<GroupDay> = summed
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|(key, n)| GroupDay { n, ..key })
            .collect();
        for chunk in rows.chunks(1_000) {
            let chunk = chunk.to_vec();
            crate::on_tx!(self, conn => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO program_days (group_kind, group_key, day, kind, fact, days, n) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.group_kind)
                        .push_bind(r.group_key)
                        .push_bind(r.day)
                        .push_bind(r.kind)
                        .push_bind(r.fact)
                        .push_bind(r.days)
                        .push_bind(r.n);
                });
                qb.push(
                    " ON CONFLICT (group_kind, group_key, day, kind, fact, days) \
                     DO UPDATE SET n = program_days.n + excluded.n",
                );
                qb.build().execute(&mut *conn).await?;
            });
        }
        Ok(())
    }

    /// Move `person`'s figures after their manager or department changed from `before` to
    /// `after` (manager, department): everything in their subtree leaves the subtrees of their
    /// former managers up the line for those of the new ones; their own meetings leave the
    /// former department for the new one.
    pub async fn regroup_person(
        &mut self,
        person: Uuid,
        before: (Option<Uuid>, Option<String>),
        after: (Option<Uuid>, Option<String>),
    ) -> StoreResult<()> {
        if before.0 != after.0 {
            let old = match before.0 {
                Some(m) => self.chain_of(m).await?,
                None => Vec::new(),
            };
            let new = match after.0 {
                Some(m) => self.chain_of(m).await?,
                None => Vec::new(),
            };
            // Managers on both lines keep the subtree.
            let moves = old
                .iter()
                .filter(|a| !new.contains(a))
                .map(|a| (*a, -1))
                .chain(new.iter().filter(|a| !old.contains(a)).map(|a| (*a, 1)));
            let from = subtree_key(person);
            for (ancestor, sign) in moves.collect::<Vec<_>>() {
                let (to, from) = (subtree_key(ancestor), from.clone());
                crate::on_tx!(self, conn => {
                    sqlx::query(
                        "INSERT INTO program_days (group_kind, group_key, day, kind, fact, days, n) \
                         SELECT 'subtree', $1, day, kind, fact, days, $2 * n FROM program_days \
                         WHERE group_kind = 'subtree' AND group_key = $3 AND n <> 0 \
                         ON CONFLICT (group_kind, group_key, day, kind, fact, days) \
                         DO UPDATE SET n = program_days.n + excluded.n",
                    )
                    .bind(&to)
                    .bind(sign)
                    .bind(&from)
                    .execute(&mut *conn)
                    .await?;
                });
            }
        }
        if before.1 != after.1 {
            let own = own_sql(self.backend(), OwnOf::Person);
            for (department, sign) in [(before.1, -1i64), (after.1, 1)] {
                let Some(department) = department else {
                    continue;
                };
                let sql = format!(
                    "INSERT INTO program_days (group_kind, group_key, day, kind, fact, days, n) \
                     WITH {own} SELECT 'department', $2, day, kind, fact, days, $3 * n FROM own \
                     WHERE TRUE ON CONFLICT (group_kind, group_key, day, kind, fact, days) \
                     DO UPDATE SET n = program_days.n + excluded.n"
                );
                crate::on_tx!(self, conn => {
                    sqlx::query(&sql)
                        .bind(person)
                        .bind(&department)
                        .bind(sign)
                        .execute(&mut *conn)
                        .await?;
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn runs_keep_to_their_count_and_budget_and_a_heavy_item_stands_alone() {
        let items = [(1, 2), (2, 2), (3, 9), (4, 1), (5, 1), (6, 1)];
        assert_eq!(runs(items, 10, 4), vec![(1, 2), (3, 3), (4, 6)]);
        assert_eq!(runs(items, 2, 100), vec![(1, 2), (3, 4), (5, 6)]);
        assert!(runs(Vec::<(u8, usize)>::new(), 2, 2).is_empty());
    }

    #[test]
    fn gaps_run_from_the_latest_strictly_earlier() {
        let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
        let mut held = vec![at(16, 9), at(2, 9), at(9, 9), at(9, 9), at(9, 17)];
        let d = |n| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        assert_eq!(
            gaps(&mut held),
            vec![(d(9), 7), (d(9), 7), (d(9), 0), (d(16), 7)]
        );
        assert!(gaps(&mut []).is_empty());
    }
}
