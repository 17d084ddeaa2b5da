//! Goals, their key results and their progress history.
//!
//! A goal is one row in `goals`, its key results rows in `key_results` (in order), and every
//! progress update a row in `goal_updates`. `goals.progress` is the percentage the domain
//! derives from the key results ([`Goal::progress_percent`]), written by the same change that
//! writes them, so summaries and sorting need no key results.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::goal::{
    Goal, GoalStatus, GoalUpdate, GoalVisibility, KeyResult, KeyResultReading, Measure,
};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::meetings::corrupt;
use crate::people::{NO_PRINCIPAL, PRINCIPAL_COLUMNS, PrincipalRecord, PrincipalRow};
use crate::{Database, StoreError, StoreResult, Tx};

const GOAL_COLUMNS: &str = "g.id, g.owner_id, g.parent_id, g.kind, g.title, g.description, \
     g.start_date, g.due_date, g.visibility, g.status, g.progress, g.last_discussed_meeting_id, \
     g.last_discussed_at, g.created_by, g.version, g.created_at, g.updated_at";
const KR_COLUMNS: &str = "k.id AS kr_id, k.title AS kr_title, k.measure, k.start_value, \
     k.target_value, k.current_value, k.unit, k.done";
const UPDATE_COLUMNS: &str =
    "id, goal_id, author_id, status, progress, readings, comment, created_at";

/// The deepest alignment chain or reporting line a query follows (in case of bad data).
const MAX_DEPTH: i64 = 1000;

#[derive(sqlx::FromRow)]
struct GoalRow {
    id: Uuid,
    owner_id: Uuid,
    parent_id: Option<Uuid>,
    kind: String,
    title: String,
    description: Option<String>,
    start_date: NaiveDate,
    due_date: NaiveDate,
    visibility: String,
    status: String,
    progress: i32,
    last_discussed_meeting_id: Option<Uuid>,
    last_discussed_at: Option<DateTime<Utc>>,
    created_by: Uuid,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct KrRow {
    kr_id: Uuid,
    kr_title: String,
    measure: String,
    start_value: Option<f64>,
    target_value: Option<f64>,
    current_value: Option<f64>,
    unit: Option<String>,
    done: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct JoinedRow {
    #[sqlx(flatten)]
    goal: GoalRow,
    #[sqlx(flatten)]
    kr: KrRow,
}

impl KrRow {
    fn into_key_result(self) -> StoreResult<KeyResult> {
        let measure = match self.measure.as_str() {
            "numeric" => match (
                self.start_value,
                self.target_value,
                self.current_value,
                self.unit,
            ) {
                (Some(start), Some(target), Some(current), Some(unit)) => Measure::Numeric {
                    start,
                    target,
                    current,
                    unit,
                },
                _ => return Err(corrupt("key result")),
            },
            "milestone" => Measure::Milestone {
                done: self.done.ok_or_else(|| corrupt("key result"))?,
            },
            _ => return Err(corrupt("key result")),
        };
        Ok(KeyResult {
            id: self.kr_id,
            title: self.kr_title,
            measure,
        })
    }
}

impl GoalRow {
    fn into_goal(self, key_results: Vec<KeyResult>) -> StoreResult<Goal> {
        Ok(Goal {
            id: self.id,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
            kind: parse(&self.kind, "goal kind")?,
            title: self.title,
            description: self.description,
            start_date: self.start_date,
            due_date: self.due_date,
            visibility: parse(&self.visibility, "goal visibility")?,
            status: parse(&self.status, "goal status")?,
            key_results,
            last_discussed_meeting_id: self.last_discussed_meeting_id,
            last_discussed_at: self.last_discussed_at,
            created_by: self.created_by,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }

    fn into_summary(self) -> StoreResult<GoalSummary> {
        Ok(GoalSummary {
            id: self.id,
            owner_id: self.owner_id,
            parent_id: self.parent_id,
            title: self.title,
            due_date: self.due_date,
            visibility: parse(&self.visibility, "goal visibility")?,
            status: parse(&self.status, "goal status")?,
            progress_percent: u8::try_from(self.progress).map_err(|_| corrupt("goal progress"))?,
        })
    }
}

/// A stored enum, or a corrupt-row error naming `what`.
fn parse<T: std::str::FromStr>(raw: &str, what: &str) -> StoreResult<T> {
    raw.parse().map_err(|_| corrupt(what))
}

/// Goals from rows of goals joined with their key results, ordered by goal and then key result
/// (each goal's rows are consecutive).
fn assemble(rows: Vec<JoinedRow>) -> StoreResult<Vec<Goal>> {
    let mut goals: Vec<Goal> = Vec::new();
    let mut current: Option<(GoalRow, Vec<KeyResult>)> = None;
    for row in rows {
        let kr = row.kr.into_key_result()?;
        match &mut current {
            Some((g, krs)) if g.id == row.goal.id => krs.push(kr),
            _ => {
                if let Some((g, krs)) = current.replace((row.goal, vec![kr])) {
                    goals.push(g.into_goal(krs)?);
                }
            }
        }
    }
    if let Some((g, krs)) = current {
        goals.push(g.into_goal(krs)?);
    }
    Ok(goals)
}

/// A goal in an alignment view: what it is and where it stands, without its key results.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalSummary {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub title: String,
    pub due_date: NaiveDate,
    pub visibility: GoalVisibility,
    pub status: GoalStatus,
    pub progress_percent: u8,
}

/// A participant's active goal as a 1:1 shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PairGoal {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub status: GoalStatus,
    pub visibility: GoalVisibility,
    pub progress_percent: u8,
    pub due_date: NaiveDate,
    pub last_discussed_meeting_id: Option<Uuid>,
    pub last_discussed_at: Option<DateTime<Utc>>,
    pub last_update: Option<LastUpdate>,
}

/// The latest entry of a goal's history, as a 1:1 shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastUpdate {
    pub author_id: Uuid,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UpdateRow {
    id: Uuid,
    goal_id: Uuid,
    author_id: Uuid,
    status: String,
    progress: i32,
    readings: String,
    comment: Option<String>,
    created_at: DateTime<Utc>,
}

impl UpdateRow {
    fn into_update(self) -> StoreResult<GoalUpdate> {
        Ok(GoalUpdate {
            id: self.id,
            goal_id: self.goal_id,
            author_id: self.author_id,
            status: parse(&self.status, "goal update status")?,
            progress_percent: u8::try_from(self.progress)
                .map_err(|_| corrupt("goal update progress"))?,
            readings: serde_json::from_str::<Vec<KeyResultReading>>(&self.readings)
                .map_err(|_| corrupt("goal update readings"))?,
            comment: self.comment,
            created_at: self.created_at,
        })
    }
}

/// Whose goals a read may return: all of them (HR admins, tokens with `goals:read`), or those a
/// person may see — the SQL form of `policy::see_goal`: public goals, and private goals owned
/// by the person or by someone in their reporting subtree (the person is then in the owner's
/// manager chain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoalReader {
    All,
    Person(Uuid),
}

/// `<column> IN (<root> and everyone below them)`, on a query builder.
pub(crate) fn push_in_subtree<'a, DB: sqlx::Database>(
    qb: &mut QueryBuilder<'a, DB>,
    column: &str,
    root: Uuid,
) where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(format!(
        " {column} IN (WITH RECURSIVE sub (id, depth) AS (SELECT "
    ))
    .push_bind(root)
    .push(format!(
        ", 0 UNION ALL SELECT p.id, s.depth + 1 FROM people p JOIN sub s ON p.manager_id = s.id \
             WHERE s.depth < {MAX_DEPTH}) SELECT id FROM sub)"
    ));
}

/// ` AND <the goal g is visible to reader>`.
fn push_visible<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, reader: GoalReader)
where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if let GoalReader::Person(me) = reader {
        qb.push(format!(
            " AND (g.visibility = '{}' OR",
            GoalVisibility::Public.as_str()
        ));
        push_in_subtree(qb, "g.owner_id", me);
        qb.push(")");
    }
}

/// Filters of the goal list.
#[derive(Debug, Clone)]
pub struct GoalFilter {
    pub reader: GoalReader,
    pub owner_id: Option<Uuid>,
    /// Goals of this person and everyone below them.
    pub team_of: Option<Uuid>,
    pub status: Option<GoalStatus>,
    pub parent_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

macro_rules! list_goals_query {
    ($qb:ident, $f:expr) => {{
        let f: &GoalFilter = $f;
        $qb.push(format!(
            "SELECT {GOAL_COLUMNS}, {KR_COLUMNS} FROM (SELECT * FROM goals g WHERE 1 = 1"
        ));
        push_visible(&mut $qb, f.reader);
        if let Some(o) = f.owner_id {
            $qb.push(" AND g.owner_id = ").push_bind(o);
        }
        if let Some(t) = f.team_of {
            $qb.push(" AND");
            push_in_subtree(&mut $qb, "g.owner_id", t);
        }
        if let Some(s) = f.status {
            $qb.push(" AND g.status = ").push_bind(s.as_str());
        }
        if let Some(p) = f.parent_id {
            $qb.push(" AND g.parent_id = ").push_bind(p);
        }
        if let Some(a) = f.after {
            $qb.push(" AND g.id > ").push_bind(a);
        }
        $qb.push(" ORDER BY g.id LIMIT ")
            .push_bind(f.limit)
            .push(") g JOIN key_results k ON k.goal_id = g.id ORDER BY g.id, k.position");
    }};
}

impl Database {
    /// A page of the goals `filter.reader` may see, in the order they were set.
    pub async fn list_goals(&self, filter: &GoalFilter) -> StoreResult<Vec<Goal>> {
        let rows: Vec<JoinedRow> = match self {
            Database::Sqlite(pools) => {
                let mut qb = QueryBuilder::<sqlx::Sqlite>::new("");
                list_goals_query!(qb, filter);
                qb.build_query_as().fetch_all(&pools.read).await?
            }
            Database::Postgres(pool) => {
                let mut qb = QueryBuilder::<sqlx::Postgres>::new("");
                list_goals_query!(qb, filter);
                qb.build_query_as().fetch_all(pool).await?
            }
        };
        assemble(rows)
    }
}

crate::read_both! {
    /// Which of `ids` `reader` may see.
    pub async fn visible_goal_ids(reader: GoalReader, ids: &[Uuid]) -> StoreResult<Vec<Uuid>>, ex => {
        let mut qb = QueryBuilder::new("SELECT g.id FROM goals g WHERE g.id IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        qb.push(")");
        push_visible(&mut qb, reader);
        Ok(qb.build_query_scalar::<Uuid>().fetch_all(ex).await?)
    }
}

/// A history entry of [`crate::Session::goal_detail`] (part 1): the update's columns only.
#[derive(sqlx::FromRow)]
struct HistoryRow {
    u_id: Uuid,
    u_author_id: Uuid,
    u_status: String,
    u_progress: i32,
    u_readings: String,
    u_comment: Option<String>,
    u_created_at: DateTime<Utc>,
}

/// A goal with its history and alignment, as [`crate::Session::goal_detail`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalDetail {
    pub goal: Goal,
    pub history: Vec<GoalUpdate>,
    pub parents: Vec<GoalSummary>,
    pub children: Vec<GoalSummary>,
}

/// Typed empty columns, for the parts of the detail query that have none of them.
const NO_KR: &str = "CAST(NULL AS UUID) AS kr_id, CAST(NULL AS TEXT) AS kr_title, \
     CAST(NULL AS TEXT) AS measure, CAST(NULL AS DOUBLE PRECISION) AS start_value, \
     CAST(NULL AS DOUBLE PRECISION) AS target_value, CAST(NULL AS DOUBLE PRECISION) AS current_value, \
     CAST(NULL AS TEXT) AS unit, CAST(NULL AS BOOLEAN) AS done";
const NO_UPDATE: &str = "CAST(NULL AS UUID) AS u_id, CAST(NULL AS UUID) AS u_author_id, \
     CAST(NULL AS TEXT) AS u_status, CAST(NULL AS INTEGER) AS u_progress, \
     CAST(NULL AS TEXT) AS u_readings, CAST(NULL AS TEXT) AS u_comment, \
     CAST(NULL AS TIMESTAMPTZ) AS u_created_at";

const NO_GOAL: &str = "CAST(NULL AS UUID) AS id, CAST(NULL AS UUID) AS owner_id, \
     CAST(NULL AS UUID) AS parent_id, CAST(NULL AS TEXT) AS kind, CAST(NULL AS TEXT) AS title, \
     CAST(NULL AS TEXT) AS description, CAST(NULL AS DATE) AS start_date, \
     CAST(NULL AS DATE) AS due_date, CAST(NULL AS TEXT) AS visibility, CAST(NULL AS TEXT) AS status, \
     CAST(NULL AS INTEGER) AS progress, CAST(NULL AS UUID) AS last_discussed_meeting_id, \
     CAST(NULL AS TIMESTAMPTZ) AS last_discussed_at, CAST(NULL AS UUID) AS created_by, \
     CAST(NULL AS BIGINT) AS version, CAST(NULL AS TIMESTAMPTZ) AS created_at, \
     CAST(NULL AS TIMESTAMPTZ) AS updated_at";

/// The goal `$goal` with its key results, history and whole alignment, and the record of the
/// principal `$principal` that authentication checks, in one statement, decoded by part. Only ids are bound (constants are written into the text): with
/// nothing but key lookups left to guess, PostgreSQL settles on one generic plan for the
/// connection after five runs instead of planning this union anew on every read.
macro_rules! detail_query {
    ($db:ty, $ex:expr, $goal:expr, $principal:expr, $known:expr) => {{
        let (goal, principal, known): (Uuid, Option<Uuid>, Option<KnownGoal>) =
            ($goal, $principal, $known);
        // A goal last seen without a parent skips the chain (most of the plan's start-up);
        // should it have one now, the caller reads the chain on its own.
        let parents_read = known.is_none_or(|k| k.had_parent);
        let mut qb = QueryBuilder::<$db>::new("");
        if parents_read {
            push_parent_chain(&mut qb, goal);
            qb.push(" ");
        }
        qb.push(format!(
            "SELECT CAST(0 AS BIGINT) AS part, CAST(k.position AS BIGINT) AS depth, {GOAL_COLUMNS}, \
             {KR_COLUMNS}, {NO_UPDATE}, {NO_PRINCIPAL} FROM goals g JOIN key_results k ON k.goal_id = g.id \
             WHERE g.id = "
        ))
            .push_bind(goal)
            .push(format!(
                " UNION ALL SELECT CAST(1 AS BIGINT), CAST(0 AS BIGINT), {NO_GOAL}, {NO_KR}, \
                 h.id, h.author_id, h.status, h.progress, h.readings, h.comment, h.created_at, \
                 {NO_PRINCIPAL} FROM goal_updates h WHERE h.goal_id = "
            ))
            .push_bind(goal);
        if let Some(known) = known {
            // The caller holds this version's history: skip it while it is still the goal's.
            qb.push(" AND NOT EXISTS (SELECT 1 FROM goals v WHERE v.id = ")
                .push_bind(goal)
                .push(" AND v.version = ")
                .push_bind(known.version)
                .push(")");
        }
        if parents_read {
            qb.push(format!(
                " UNION ALL SELECT CAST(2 AS BIGINT), CAST(g.depth AS BIGINT), {GOAL_COLUMNS}, {NO_KR}, \
                 {NO_UPDATE}, {NO_PRINCIPAL} FROM up g"
            ));
        }
        qb.push(format!(
            " UNION ALL SELECT CAST(3 AS BIGINT), CAST(0 AS BIGINT), {GOAL_COLUMNS}, {NO_KR}, \
             {NO_UPDATE}, {NO_PRINCIPAL} FROM goals g WHERE g.parent_id = "
        ))
        .push_bind(goal);
        if let Some(principal) = principal {
            qb.push(format!(
                " UNION ALL SELECT CAST(4 AS BIGINT), CAST(0 AS BIGINT), {NO_GOAL}, {NO_KR}, \
                 {NO_UPDATE}, {PRINCIPAL_COLUMNS}"
            ))
            .push_bind(principal);
        }
        // No ORDER BY: sorting a few dozen wide rows cost PostgreSQL more than the rest of the
        // statement; each part is put in order here.
        let rows = qb.build().fetch_all($ex).await?;
        let mut own: Option<GoalRow> = None;
        let mut principal = None;
        let (mut krs, mut history, mut parents, mut children) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            let part: i64 = sqlx::Row::try_get(row, "part")?;
            let depth: i64 = sqlx::Row::try_get(row, "depth")?;
            match part {
                0 => {
                    krs.push((depth, KrRow::from_row(row)?.into_key_result()?));
                    if own.is_none() {
                        own = Some(GoalRow::from_row(row)?);
                    }
                }
                1 => history.push(HistoryRow::from_row(row)?.into_update(goal)?),
                2 => parents.push((depth, GoalRow::from_row(row)?.into_summary()?)),
                3 => children.push(GoalRow::from_row(row)?.into_summary()?),
                _ => principal = Some(PrincipalRow::from_row(row)?.into()),
            }
        }
        krs.sort_unstable_by_key(|(position, _)| *position);
        history.sort_unstable_by_key(|u| (u.created_at, u.id));
        parents.sort_unstable_by_key(|(depth, _)| *depth);
        children.sort_unstable_by_key(|c| c.id);
        let detail = match own {
            None => None,
            Some(own) => Some(GoalDetail {
                goal: own.into_goal(krs.into_iter().map(|(_, kr)| kr).collect())?,
                history,
                parents: parents.into_iter().map(|(_, p)| p).collect(),
                children,
            }),
        };
        GoalPage {
            principal,
            detail,
            parents_read,
        }
    }};
}

/// `WITH RECURSIVE up AS (…)`: the goals `goal` aligns to, each with its columns and `depth`
/// (1 = its parent). The chain carries the columns up: no join back to `goals` after it.
fn push_parent_chain<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, goal: Uuid)
where
    Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(format!(
        "WITH RECURSIVE up AS (SELECT 1 AS depth, {GOAL_COLUMNS} FROM goals c \
         JOIN goals g ON g.id = c.parent_id WHERE c.id = "
    ))
    .push_bind(goal)
    .push(format!(
        " UNION ALL SELECT u.depth + 1, {GOAL_COLUMNS} FROM up u JOIN goals g ON g.id = u.parent_id \
         WHERE u.depth < {MAX_DEPTH})"
    ));
}

/// What a server knows of a goal from an earlier read: the version whose history it holds, and
/// whether the goal had a parent then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownGoal {
    pub version: i64,
    pub had_parent: bool,
}

impl HistoryRow {
    fn into_update(self, goal: Uuid) -> StoreResult<GoalUpdate> {
        UpdateRow {
            id: self.u_id,
            goal_id: goal,
            author_id: self.u_author_id,
            status: self.u_status,
            progress: self.u_progress,
            readings: self.u_readings,
            comment: self.u_comment,
            created_at: self.u_created_at,
        }
        .into_update()
    }
}

/// What `GET /goals/{id}` reads in one statement.
#[derive(Debug, Clone)]
pub struct GoalPage {
    /// What authentication checks of the reader, read in the same statement.
    pub principal: Option<PrincipalRecord>,
    /// `None` when there is no such goal. Its alignment is whole: see
    /// [`crate::Session::hide_unseen_alignment`].
    pub detail: Option<GoalDetail>,
    /// Whether the parents were read: not when the goal was known to have none. If it has
    /// one now, read them with [`crate::Session::goal_parents`].
    pub parents_read: bool,
}

impl crate::Session {
    /// A goal with its key results, its history (oldest first) and the goals it aligns to and
    /// that align to it, with the principal's record: one statement. Nothing in it is checked
    /// against the reader yet.
    ///
    /// `known` is what the caller knows of the goal already: while the goal is still at that
    /// version its history is not read (the page's is empty), in the same snapshot as
    /// everything else; a goal that had no parent is read without its parent chain.
    pub async fn goal_page(
        &mut self,
        goal: Uuid,
        principal: Option<Uuid>,
        known: Option<KnownGoal>,
    ) -> StoreResult<GoalPage> {
        use sqlx::FromRow;
        Ok(match self {
            crate::Session::Sqlite(c) => {
                detail_query!(sqlx::Sqlite, &mut **c, goal, principal, known)
            }
            crate::Session::Postgres(c) => {
                detail_query!(sqlx::Postgres, &mut **c, goal, principal, known)
            }
        })
    }

    /// The goals `goal` aligns to, nearest first, whoever may see them.
    pub async fn goal_parents(&mut self, goal: Uuid) -> StoreResult<Vec<GoalSummary>> {
        macro_rules! query {
            ($db:ty, $ex:expr) => {{
                let mut qb = QueryBuilder::<$db>::new("");
                push_parent_chain(&mut qb, goal);
                qb.push(format!(" SELECT {GOAL_COLUMNS} FROM up g ORDER BY g.depth"));
                qb.build_query_as::<GoalRow>().fetch_all($ex).await?
            }};
        }
        let rows = match self {
            crate::Session::Sqlite(c) => query!(sqlx::Sqlite, &mut **c),
            crate::Session::Postgres(c) => query!(sqlx::Postgres, &mut **c),
        };
        rows.into_iter().map(GoalRow::into_summary).collect()
    }

    /// Drop from a goal's alignment the goals `reader` may not see. Public goals and the
    /// reader's own need no check; the others are asked about in one small query, only when
    /// there are any.
    pub async fn hide_unseen_alignment(
        &mut self,
        detail: &mut GoalDetail,
        reader: GoalReader,
    ) -> StoreResult<()> {
        let GoalReader::Person(me) = reader else {
            return Ok(());
        };
        let unsure: Vec<Uuid> = (detail.parents.iter().chain(&detail.children))
            .filter(|g| g.visibility != GoalVisibility::Public && g.owner_id != me)
            .map(|g| g.id)
            .collect();
        if !unsure.is_empty() {
            let visible = self.visible_goal_ids(reader, &unsure).await?;
            let shown = |g: &GoalSummary| !unsure.contains(&g.id) || visible.contains(&g.id);
            detail.parents.retain(shown);
            detail.children.retain(shown);
        }
        Ok(())
    }
}

crate::read_both! {
    /// One goal with its key results.
    pub async fn get_goal(id: Uuid) -> StoreResult<Goal>, ex => {
        let rows: Vec<JoinedRow> = sqlx::query_as(&format!(
            "SELECT {GOAL_COLUMNS}, {KR_COLUMNS} FROM goals g JOIN key_results k ON k.goal_id = g.id \
             WHERE g.id = $1 ORDER BY k.position"
        ))
        .bind(id)
        .fetch_all(ex)
        .await?;
        assemble(rows)?.pop().ok_or(StoreError::NotFound)
    }
}

crate::read_both! {
    /// The alignment chain from `goal` up, starting with `goal` itself: to check that a new
    /// parent closes no loop.
    pub async fn goal_chain(goal: Uuid) -> StoreResult<Vec<Uuid>>, ex => {
        Ok(sqlx::query_scalar(
            "WITH RECURSIVE up (id, parent_id, depth) AS ( \
                 SELECT id, parent_id, 0 FROM goals WHERE id = $1 \
                 UNION ALL \
                 SELECT g.id, g.parent_id, u.depth + 1 FROM goals g \
                 JOIN up u ON g.id = u.parent_id WHERE u.depth < $2 \
             ) SELECT id FROM up ORDER BY depth",
        )
        .bind(goal)
        .bind(MAX_DEPTH)
        .fetch_all(ex)
        .await?)
    }
}

/// A numeric measure's columns (start, target, current, unit).
fn numeric_columns(m: &Measure) -> Option<(f64, f64, f64, String)> {
    match m {
        Measure::Numeric {
            start,
            target,
            current,
            unit,
        } => Some((*start, *target, *current, unit.clone())),
        Measure::Milestone { .. } => None,
    }
}

fn readings_json(update: &GoalUpdate) -> StoreResult<String> {
    serde_json::to_string(&update.readings)
        .map_err(|e| StoreError::Other(sqlx::Error::Encode(Box::new(e))))
}

macro_rules! insert_update_row {
    ($conn:expr, $u:expr) => {{
        let u: &GoalUpdate = $u;
        sqlx::query(&format!(
            "INSERT INTO goal_updates ({UPDATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(u.id)
        .bind(u.goal_id)
        .bind(u.author_id)
        .bind(u.status.as_str())
        .bind(i32::from(u.progress_percent))
        .bind(readings_json(u)?)
        .bind(u.comment.clone())
        .bind(u.created_at)
        .execute(&mut *$conn)
        .await?;
    }};
}

impl Tx<'_> {
    /// A goal to change, its row locked until the change ends on PostgreSQL (SQLite's one
    /// writer serialises changes already): concurrent progress updates of one goal queue
    /// instead of failing each other's version check.
    pub async fn lock_goal(&mut self, id: Uuid) -> StoreResult<Goal> {
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE OF g",
        };
        let rows: Vec<JoinedRow> = crate::on_tx!(self, conn => {
            sqlx::query_as(&format!(
                "SELECT {GOAL_COLUMNS}, {KR_COLUMNS} FROM goals g JOIN key_results k ON k.goal_id = g.id \
                 WHERE g.id = $1 ORDER BY k.position{lock}"
            ))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        });
        assemble(rows)?.pop().ok_or(StoreError::NotFound)
    }

    /// [`Database::list_goals`], inside the change.
    pub async fn list_goals(&mut self, filter: &GoalFilter) -> StoreResult<Vec<Goal>> {
        let rows: Vec<JoinedRow> = crate::on_tx!(read self, conn => {
            let mut qb = QueryBuilder::new("");
            list_goals_query!(qb, filter);
            qb.build_query_as().fetch_all(&mut *conn).await?
        });
        assemble(rows)
    }

    /// A held 1:1 checked off shared talking points about goals: each such goal notes it as the
    /// last 1:1 it was discussed in (unless a later one is noted already). Returns those goals.
    pub async fn note_goals_discussed(
        &mut self,
        meeting: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        Ok(crate::on_tx!(self, conn => {
            sqlx::query_scalar(
                "UPDATE goals SET last_discussed_meeting_id = $1, last_discussed_at = $2 \
                 WHERE id IN (SELECT goal_id FROM agenda_items WHERE meeting_id = $1 \
                   AND private = $3 AND checked = $4 AND goal_id IS NOT NULL) \
                 AND (last_discussed_at IS NULL OR last_discussed_at <= $2) RETURNING id",
            )
            .bind(meeting)
            .bind(at)
            .bind(false)
            .bind(true)
            .fetch_all(&mut *conn)
            .await?
        }))
    }

    /// Store a new goal with its key results and the first entry of its history.
    pub async fn insert_goal(&mut self, goal: &Goal, first: &GoalUpdate) -> StoreResult<()> {
        crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO goals (id, owner_id, parent_id, kind, title, description, start_date, \
                 due_date, visibility, status, progress, created_by, version, created_at, updated_at, \
                 last_update_author_id, last_update_comment, last_update_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13, $14, $15, $16)",
            )
            .bind(goal.id)
            .bind(goal.owner_id)
            .bind(goal.parent_id)
            .bind(goal.kind.as_str())
            .bind(goal.title.clone())
            .bind(goal.description.clone())
            .bind(goal.start_date)
            .bind(goal.due_date)
            .bind(goal.visibility.as_str())
            .bind(goal.status.as_str())
            .bind(i32::from(goal.progress_percent()))
            .bind(goal.created_by)
            .bind(goal.created_at)
            .bind(first.author_id)
            .bind(first.comment.clone())
            .bind(first.created_at)
            .execute(&mut *conn)
            .await?;
            for (position, kr) in goal.key_results.iter().enumerate() {
                let numeric = numeric_columns(&kr.measure);
                let done = match kr.measure {
                    Measure::Milestone { done } => Some(done),
                    Measure::Numeric { .. } => None,
                };
                sqlx::query(
                    "INSERT INTO key_results (id, goal_id, position, title, measure, start_value, \
                     target_value, current_value, unit, done) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(kr.id)
                .bind(goal.id)
                .bind(i32::try_from(position).unwrap_or(i32::MAX))
                .bind(kr.title.clone())
                .bind(if numeric.is_some() { "numeric" } else { "milestone" })
                .bind(numeric.as_ref().map(|n| n.0))
                .bind(numeric.as_ref().map(|n| n.1))
                .bind(numeric.as_ref().map(|n| n.2))
                .bind(numeric.map(|n| n.3))
                .bind(done)
                .execute(&mut *conn)
                .await?;
            }
            insert_update_row!(conn, first);
        });
        self.settle_goal(goal.owner_id, None, Some(goal.status.as_str()))
            .await
    }

    /// Change a goal's definition (title, description, dates, visibility, alignment), if it is
    /// still at `current.version`.
    pub async fn update_goal(&mut self, current: &Goal, next: &Goal) -> StoreResult<()> {
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE goals SET parent_id = $1, title = $2, description = $3, start_date = $4, \
                 due_date = $5, visibility = $6, updated_at = $7, version = version + 1 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(next.parent_id)
            .bind(next.title.clone())
            .bind(next.description.clone())
            .bind(next.start_date)
            .bind(next.due_date)
            .bind(next.visibility.as_str())
            .bind(next.updated_at)
            .bind(current.id)
            .bind(current.version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        });
        Ok(())
    }

    /// Record a progress update: the key results' new readings, the goal's status and derived
    /// progress, and the update in its history, if the goal is still at `current.version`.
    pub async fn record_goal_progress(
        &mut self,
        current: &Goal,
        next: &Goal,
        update: &GoalUpdate,
    ) -> StoreResult<()> {
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE goals SET status = $1, progress = $2, updated_at = $3, version = version + 1, \
                 last_update_author_id = $4, last_update_comment = $5, last_update_at = $6 \
                 WHERE id = $7 AND version = $8",
            )
            .bind(next.status.as_str())
            .bind(i32::from(next.progress_percent()))
            .bind(next.updated_at)
            .bind(update.author_id)
            .bind(update.comment.clone())
            .bind(update.created_at)
            .bind(current.id)
            .bind(current.version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
            for reading in &update.readings {
                sqlx::query("UPDATE key_results SET current_value = $1, done = $2 WHERE id = $3 AND goal_id = $4")
                    .bind(reading.value)
                    .bind(reading.done)
                    .bind(reading.key_result_id)
                    .bind(current.id)
                    .execute(&mut *conn)
                    .await?;
            }
            insert_update_row!(conn, update);
        });
        self.settle_goal(
            current.owner_id,
            Some(current.status.as_str()),
            Some(next.status.as_str()),
        )
        .await
    }
}
