//! Check-in cycles and check-ins.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::{
    Checkin, CheckinState, Cycle, GoalSnapshot, Population, SelfAssessment,
};
use oneonone_domain::enps::Position;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::enps::{PositionRow, positions};
use crate::goals::push_in_subtree;
use crate::meetings::corrupt;
use crate::{Database, StoreError, StoreResult, Tx};

const CYCLE_COLUMNS: &str = "c.id, c.name, c.frequency, c.period_start, c.period_end, c.due_date, \
     c.population, c.department, c.subtree_root, c.created_by, c.created_at";
const CHECKIN_COLUMNS: &str = "k.id, k.cycle_id, k.person_id, k.manager_id, k.state, k.went_well, \
     k.went_badly, k.blockers, k.next_focus, k.manager_comment, k.goals, c.due_date, \
     k.submitted_at, k.reviewed_at, k.acknowledged_at, k.version, k.created_at, k.updated_at";

#[derive(sqlx::FromRow)]
struct CycleRow {
    id: Uuid,
    name: String,
    frequency: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    due_date: NaiveDate,
    population: String,
    department: Option<String>,
    subtree_root: Option<Uuid>,
    created_by: Uuid,
    created_at: DateTime<Utc>,
}

/// A population from its stored columns (`population`, `department`, `subtree_root`).
pub(crate) fn population_from(
    kind: &str,
    department: Option<String>,
    root: Option<Uuid>,
) -> StoreResult<Population> {
    match (kind, department, root) {
        ("everyone", _, _) => Ok(Population::Everyone),
        ("department", Some(d), _) => Ok(Population::Department(d)),
        ("subtree", _, Some(root)) => Ok(Population::Subtree(root)),
        _ => Err(corrupt("population")),
    }
}

/// A population's stored columns.
pub(crate) fn population_columns(p: &Population) -> (&'static str, Option<String>, Option<Uuid>) {
    match p {
        Population::Everyone => ("everyone", None, None),
        Population::Department(d) => ("department", Some(d.clone()), None),
        Population::Subtree(r) => ("subtree", None, Some(*r)),
    }
}

impl CycleRow {
    fn into_cycle(self) -> StoreResult<Cycle> {
        let population = population_from(&self.population, self.department, self.subtree_root)?;
        Ok(Cycle {
            id: self.id,
            name: self.name,
            frequency: self
                .frequency
                .parse()
                .map_err(|_| corrupt("cycle frequency"))?,
            period_start: self.period_start,
            period_end: self.period_end,
            due_date: self.due_date,
            population,
            created_by: self.created_by,
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CheckinRow {
    id: Uuid,
    cycle_id: Uuid,
    person_id: Uuid,
    manager_id: Uuid,
    state: String,
    went_well: Option<String>,
    went_badly: Option<String>,
    blockers: Option<String>,
    next_focus: Option<String>,
    manager_comment: Option<String>,
    goals: String,
    due_date: NaiveDate,
    submitted_at: Option<DateTime<Utc>>,
    reviewed_at: Option<DateTime<Utc>>,
    acknowledged_at: Option<DateTime<Utc>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl CheckinRow {
    fn into_checkin(self) -> StoreResult<Checkin> {
        Ok(Checkin {
            id: self.id,
            cycle_id: self.cycle_id,
            person_id: self.person_id,
            manager_id: self.manager_id,
            state: self.state.parse().map_err(|_| corrupt("check-in state"))?,
            assessment: SelfAssessment {
                went_well: self.went_well,
                went_badly: self.went_badly,
                blockers: self.blockers,
                next_focus: self.next_focus,
            },
            manager_comment: self.manager_comment,
            goals: serde_json::from_str::<Vec<GoalSnapshot>>(&self.goals)
                .map_err(|_| corrupt("check-in goals"))?,
            due_date: self.due_date,
            submitted_at: self.submitted_at,
            reviewed_at: self.reviewed_at,
            acknowledged_at: self.acknowledged_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// How many check-ins of a cycle are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completion {
    pub draft: i64,
    pub submitted: i64,
    pub reviewed: i64,
    pub acknowledged: i64,
}

/// Filters of the check-in list: always limited to check-ins `participant` is the person or
/// the manager of.
#[derive(Debug, Clone)]
pub struct CheckinFilter {
    pub participant: Uuid,
    pub person_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub state: Option<CheckinState>,
    /// Only those not yet acknowledged.
    pub open: bool,
    pub cycle_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

macro_rules! list_query {
    ($qb:ident, $f:expr) => {{
        let f: &CheckinFilter = $f;
        $qb.push(format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins k JOIN checkin_cycles c ON c.id = k.cycle_id \
             WHERE (k.person_id = "
        ))
        .push_bind(f.participant)
        .push(" OR k.manager_id = ")
        .push_bind(f.participant)
        .push(")");
        if let Some(p) = f.person_id {
            $qb.push(" AND k.person_id = ").push_bind(p);
        }
        if let Some(m) = f.manager_id {
            $qb.push(" AND k.manager_id = ").push_bind(m);
        }
        if let Some(s) = f.state {
            $qb.push(" AND k.state = ").push_bind(s.as_str());
        }
        if f.open {
            $qb.push(" AND k.state <> ")
                .push_bind(CheckinState::Acknowledged.as_str());
        }
        if let Some(c) = f.cycle_id {
            $qb.push(" AND k.cycle_id = ").push_bind(c);
        }
        if let Some(a) = f.after {
            $qb.push(" AND k.id > ").push_bind(a);
        }
        $qb.push(" ORDER BY k.id LIMIT ").push_bind(f.limit);
    }};
}

impl Database {
    /// A page of the check-ins of `filter.participant`, in the order they were created.
    pub async fn list_checkins(&self, filter: &CheckinFilter) -> StoreResult<Vec<Checkin>> {
        let rows: Vec<CheckinRow> = match self {
            Database::Sqlite(pools) => {
                let mut qb = QueryBuilder::<sqlx::Sqlite>::new("");
                list_query!(qb, filter);
                qb.build_query_as().fetch_all(&pools.read).await?
            }
            Database::Postgres(pool) => {
                let mut qb = QueryBuilder::<sqlx::Postgres>::new("");
                list_query!(qb, filter);
                qb.build_query_as().fetch_all(pool).await?
            }
        };
        rows.into_iter().map(CheckinRow::into_checkin).collect()
    }
}

crate::read_both! {
    /// One check-in.
    pub async fn get_checkin(id: Uuid) -> StoreResult<Checkin>, ex => {
        let row: Option<CheckinRow> = sqlx::query_as(&format!(
            "SELECT {CHECKIN_COLUMNS} FROM checkins k JOIN checkin_cycles c ON c.id = k.cycle_id \
             WHERE k.id = $1"
        ))
        .bind(id)
        .fetch_optional(ex)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_checkin()
    }
}

#[derive(sqlx::FromRow)]
struct CycleWithCounts {
    #[sqlx(flatten)]
    cycle: CycleRow,
    draft: i64,
    submitted: i64,
    reviewed: i64,
    acknowledged: i64,
}

impl CycleWithCounts {
    fn split(self) -> StoreResult<(Cycle, Completion)> {
        Ok((
            self.cycle.into_cycle()?,
            Completion {
                draft: self.draft,
                submitted: self.submitted,
                reviewed: self.reviewed,
                acknowledged: self.acknowledged,
            },
        ))
    }
}

/// The cycles' columns with how many of their check-ins are in each state.
fn cycles_sql(filter: &str) -> String {
    let count = |state: CheckinState| {
        format!(
            "(SELECT COUNT(*) FROM checkins x WHERE x.cycle_id = c.id AND x.state = '{}') AS {}",
            state.as_str(),
            state.as_str()
        )
    };
    format!(
        "SELECT {CYCLE_COLUMNS}, {}, {}, {}, {} FROM checkin_cycles c {filter}",
        count(CheckinState::Draft),
        count(CheckinState::Submitted),
        count(CheckinState::Reviewed),
        count(CheckinState::Acknowledged),
    )
}

crate::read_both! {
    /// One cycle with how many of its check-ins are in each state.
    pub async fn get_cycle(id: Uuid) -> StoreResult<(Cycle, Completion)>, ex => {
        let row: Option<CycleWithCounts> = sqlx::query_as(&cycles_sql("WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?;
        row.ok_or(StoreError::NotFound)?.split()
    }
}

crate::read_both! {
    /// A page of cycles, newest first, with their completion.
    pub async fn list_cycles(before: Option<Uuid>, limit: i64) -> StoreResult<Vec<(Cycle, Completion)>>, ex => {
        let rows: Vec<CycleWithCounts> = sqlx::query_as(&cycles_sql(
            "WHERE ($1 IS NULL OR c.id < $1) ORDER BY c.id DESC LIMIT $2",
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(ex)
        .await?;
        rows.into_iter().map(CycleWithCounts::split).collect()
    }
}

/// A new check-in: who, with whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewCheckin {
    pub id: Uuid,
    pub person_id: Uuid,
    pub manager_id: Uuid,
}

impl Tx<'_> {
    /// The active people of a population who have a manager, with that manager.
    pub async fn population(&mut self, population: &Population) -> StoreResult<Vec<(Uuid, Uuid)>> {
        Ok(self
            .people_of(population)
            .await?
            .into_iter()
            .filter_map(|(id, p)| p.manager.map(|m| (id, m)))
            .collect())
    }

    /// The active people of a population (a survey's audience, a check-in cycle's), with their
    /// position now, in id order.
    pub async fn people_of(&mut self, audience: &Population) -> StoreResult<Vec<(Uuid, Position)>> {
        let audience = audience.clone();
        let rows: Vec<PositionRow> = crate::on_tx!(read self, conn => {
            macro_rules! query {
                ($db:ty) => {{
                    let mut qb = QueryBuilder::<$db>::new(
                        "SELECT id, department, manager_id FROM people WHERE active = ",
                    );
                    qb.push_bind(true).push(" AND deleted_at IS NULL");
                    match &audience {
                        Population::Everyone => {}
                        Population::Department(d) => {
                            qb.push(" AND department = ").push_bind(d.clone());
                        }
                        Population::Subtree(root) => {
                            qb.push(" AND id <> ").push_bind(*root).push(" AND");
                            push_in_subtree(&mut qb, "id", *root);
                        }
                    }
                    qb.push(" ORDER BY id");
                    qb.build_query_as().fetch_all(&mut *conn).await?
                }};
            }
            query!(_)
        });
        Ok(positions(rows))
    }

    /// Store a cycle and its check-ins (drafts, with no goals yet).
    pub async fn launch_cycle(
        &mut self,
        cycle: &Cycle,
        checkins: &[NewCheckin],
    ) -> StoreResult<()> {
        let (population, department, root) = population_columns(&cycle.population);
        let cycle = cycle.clone();
        let checkins = checkins.to_vec();
        crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO checkin_cycles (id, name, frequency, period_start, period_end, due_date, \
                 population, department, subtree_root, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(cycle.id)
            .bind(cycle.name.clone())
            .bind(cycle.frequency.as_str())
            .bind(cycle.period_start)
            .bind(cycle.period_end)
            .bind(cycle.due_date)
            .bind(population)
            .bind(department.clone())
            .bind(root)
            .bind(cycle.created_by)
            .bind(cycle.created_at)
            .execute(&mut *conn)
            .await?;
            // 500 rows of 6 parameters per statement: well under either database's limit.
            for chunk in checkins.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO checkins (id, cycle_id, person_id, manager_id, state, goals, \
                     version, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut row, k| {
                    row.push_bind(k.id)
                        .push_bind(cycle.id)
                        .push_bind(k.person_id)
                        .push_bind(k.manager_id)
                        .push_bind(CheckinState::Draft.as_str())
                        .push_bind("[]")
                        .push("1")
                        .push_bind(cycle.created_at)
                        .push_bind(cycle.created_at);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        let after = checkins
            .iter()
            .flat_map(|k| {
                crate::program_days::checkin_facts(k.manager_id, cycle.due_date, false, false)
            })
            .collect();
        self.settle_checkins(Vec::new(), after).await
    }

    /// Write a check-in's new state and content, if it is still at `current.version`.
    pub async fn update_checkin(&mut self, current: &Checkin, next: &Checkin) -> StoreResult<()> {
        let goals = serde_json::to_string(&next.goals)
            .map_err(|e| StoreError::Other(sqlx::Error::Encode(Box::new(e))))?;
        let next = next.clone();
        let (id, version) = (current.id, current.version);
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE checkins SET state = $1, went_well = $2, went_badly = $3, blockers = $4, \
                 next_focus = $5, manager_comment = $6, goals = $7, submitted_at = $8, \
                 reviewed_at = $9, acknowledged_at = $10, updated_at = $11, version = version + 1 \
                 WHERE id = $12 AND version = $13",
            )
            .bind(next.state.as_str())
            .bind(next.assessment.went_well.clone())
            .bind(next.assessment.went_badly.clone())
            .bind(next.assessment.blockers.clone())
            .bind(next.assessment.next_focus.clone())
            .bind(next.manager_comment.clone())
            .bind(goals.clone())
            .bind(next.submitted_at)
            .bind(next.reviewed_at)
            .bind(next.acknowledged_at)
            .bind(next.updated_at)
            .bind(id)
            .bind(version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        });
        let facts = |k: &Checkin| {
            crate::program_days::checkin_facts(
                k.manager_id,
                k.due_date,
                k.submitted_at.is_some(),
                k.reviewed_at.is_some(),
            )
        };
        self.settle_checkins(facts(current), facts(&next)).await
    }

    /// A person's manager changed: their check-ins still with the old manager and not yet
    /// reviewed go to the new one. Returns those check-ins.
    pub async fn move_open_checkins(
        &mut self,
        person: Uuid,
        from: Uuid,
        to: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<Uuid>> {
        let moved: Vec<(Uuid, NaiveDate, bool, bool)> = crate::on_tx!(self, conn => {
            let ids: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE checkins SET manager_id = $1, updated_at = $2, version = version + 1 \
                 WHERE person_id = $3 AND manager_id = $4 AND state IN ($5, $6) RETURNING id",
            )
            .bind(to)
            .bind(at)
            .bind(person)
            .bind(from)
            .bind(CheckinState::Draft.as_str())
            .bind(CheckinState::Submitted.as_str())
            .fetch_all(&mut *conn)
            .await?;
            let mut moved = Vec::with_capacity(ids.len());
            for id in ids {
                let (due, submitted, reviewed): (NaiveDate, bool, bool) = sqlx::query_as(
                    "SELECT c.due_date, k.submitted_at IS NOT NULL, k.reviewed_at IS NOT NULL \
                     FROM checkins k JOIN checkin_cycles c ON c.id = k.cycle_id WHERE k.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
                moved.push((id, due, submitted, reviewed));
            }
            moved
        });
        // Only the manager changed: what each counted for under `from` it counts for under `to`.
        let facts = |manager: Uuid| {
            moved
                .iter()
                .flat_map(|(_, due, submitted, reviewed)| {
                    crate::program_days::checkin_facts(manager, *due, *submitted, *reviewed)
                })
                .collect::<Vec<_>>()
        };
        self.settle_checkins(facts(from), facts(to)).await?;
        Ok(moved.into_iter().map(|(id, ..)| id).collect())
    }
}
