//! People and the org chart.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use oneonone_domain::person::{Person, PersonDraft, PersonId};
use oneonone_domain::{ValidationErrors, org};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, Tx, now, on_tx, with_pool};

const PERSON_COLUMNS: &str = "id, email, display_name, title, department, manager_id, \
     external_id, hr_admin, active, version, created_at, updated_at, deactivated_at, deleted_at, \
     secondary_manager_ids";

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    email: String,
    display_name: String,
    title: Option<String>,
    department: Option<String>,
    manager_id: Option<Uuid>,
    external_id: Option<String>,
    hr_admin: bool,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deactivated_at: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    secondary_manager_ids: String,
}

/// The denormalised list of secondary managers, as stored with the person.
fn join_ids(ids: &[Uuid]) -> String {
    ids.iter()
        .map(Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl PersonRow {
    fn into_person(self) -> Person {
        let secondary_manager_ids = self
            .secondary_manager_ids
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        Person {
            id: self.id,
            email: self.email,
            display_name: self.display_name,
            title: self.title,
            department: self.department,
            manager_id: self.manager_id,
            secondary_manager_ids,
            external_id: self.external_id,
            hr_admin: self.hr_admin,
            active: self.active,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deactivated_at: self.deactivated_at,
            deleted_at: self.deleted_at,
        }
    }
}

/// Where a page of people starts: after this key of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeoplePageAfter {
    /// Default order: by id (UUID v7, so creation order).
    Id(Uuid),
    /// Sync order (with `updated_since`): by last change, then id.
    Updated(DateTime<Utc>, Uuid),
}

/// Filters of the people list. All optional; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub manager_id: Option<Uuid>,
    pub department: Option<String>,
    pub active: Option<bool>,
    /// Sync mode: only people changed at or after this instant, ordered by change.
    pub updated_since: Option<DateTime<Utc>>,
    /// Free text matched against name and email, case-insensitively.
    pub q: Option<String>,
    pub after: Option<PeoplePageAfter>,
    pub limit: i64,
}

/// The text the free-text search looks in. Lower-cased here, not in SQL, so both databases fold
/// case the same way.
fn search_text(display_name: &str, email: &str) -> String {
    format!("{}\n{}", display_name.to_lowercase(), email.to_lowercase())
}

/// A LIKE pattern matching `q` anywhere, with LIKE's wildcards escaped.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// What login needs to know about an account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRecord {
    pub id: Uuid,
    pub password_hash: Option<String>,
    pub active: bool,
    /// Access tokens carry it; a token of an older generation has ended.
    pub session_generation: i64,
}

/// The state of a person that authentication checks on every request.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct PrincipalRecord {
    pub active: bool,
    pub hr_admin: bool,
    pub session_generation: i64,
}

/// [`PrincipalRecord`]'s columns as NULLs, for the other branches of a query that reads the
/// principal in a branch of its own (`p_` prefixed, read by [`PrincipalRow`]).
pub(crate) const NO_PRINCIPAL: &str = "CAST(NULL AS BOOLEAN) AS p_active, \
     CAST(NULL AS BOOLEAN) AS p_hr_admin, CAST(NULL AS BIGINT) AS p_session_generation";

/// The end of such a query's principal branch, after its own leading columns: the person's id
/// (a placeholder or a bind) follows.
pub(crate) const PRINCIPAL_COLUMNS: &str =
    "active, hr_admin, CAST(session_generation AS BIGINT) FROM people WHERE id = ";

/// The principal's `p_` columns of a shared query.
#[derive(sqlx::FromRow)]
pub(crate) struct PrincipalRow {
    p_active: bool,
    p_hr_admin: bool,
    p_session_generation: i64,
}

impl From<PrincipalRow> for PrincipalRecord {
    fn from(r: PrincipalRow) -> Self {
        PrincipalRecord {
            active: r.p_active,
            hr_admin: r.p_hr_admin,
            session_generation: r.p_session_generation,
        }
    }
}

/// One row of a bulk import, validated field by field already.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub draft: PersonDraft,
    /// The manager, by the HR system's key.
    pub manager_external_id: Option<String>,
}

/// What happened to one import row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportRowResult {
    Created(Uuid),
    Updated(Uuid),
    Unchanged(Uuid),
    Failed(ValidationErrors),
}

/// The result of an import: one entry a row, in input order. `applied` is false when any row
/// failed, in which case nothing was written.
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub applied: bool,
    pub rows: Vec<ImportRowResult>,
    /// People whose manager changed (what follows for their 1:1s, the use case decides).
    pub manager_changes: Vec<ManagerChange>,
    /// People the import deactivated.
    pub deactivated: Vec<Uuid>,
}

#[derive(sqlx::FromRow)]
struct ExistingPerson {
    id: Uuid,
    email_normalized: String,
    external_id: Option<String>,
    manager_id: Option<Uuid>,
    email: String,
    display_name: String,
    title: Option<String>,
    department: Option<String>,
    active: bool,
    hr_admin: bool,
    deactivated_at: Option<DateTime<Utc>>,
}

macro_rules! fetch_person {
    ($conn:expr, $id:expr) => {{
        let id: Uuid = $id;
        let row: Option<PersonRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE id = $1 AND deleted_at IS NULL"
        ))
        .bind(id)
        .fetch_optional(&mut *$conn)
        .await?;
        row.map(PersonRow::into_person)
    }};
}

/// The reporting chain above `start`, starting with `start` itself (bounded, in case of bad data).
pub(crate) const MANAGER_CHAIN: &str = "WITH RECURSIVE chain (id, manager_id, depth) AS ( \
         SELECT id, manager_id, 0 FROM people WHERE id = $1 \
         UNION ALL \
         SELECT p.id, p.manager_id, c.depth + 1 FROM people p \
         JOIN chain c ON p.id = c.manager_id WHERE c.depth < 1000 \
     ) SELECT id FROM chain ORDER BY depth";

macro_rules! manager_chain {
    ($conn:expr, $start:expr) => {{
        let chain: Vec<Uuid> = sqlx::query_scalar(MANAGER_CHAIN)
            .bind($start)
            .fetch_all(&mut *$conn)
            .await?;
        chain
    }};
}

macro_rules! write_secondary {
    ($conn:expr, $id:expr, $managers:expr) => {{
        sqlx::query("DELETE FROM person_secondary_managers WHERE person_id = $1")
            .bind($id)
            .execute(&mut *$conn)
            .await?;
        sqlx::query("UPDATE people SET secondary_manager_ids = $1 WHERE id = $2")
            .bind(join_ids($managers))
            .bind($id)
            .execute(&mut *$conn)
            .await?;
        for m in $managers {
            sqlx::query(
                "INSERT INTO person_secondary_managers (person_id, manager_id) VALUES ($1, $2)",
            )
            .bind($id)
            .bind(*m)
            .execute(&mut *$conn)
            .await?;
        }
    }};
}

/// Insert a person row from a draft (one statement for every path that creates people).
const INSERT_PERSON: &str = "INSERT INTO people (id, email, email_normalized, search_text, \
     display_name, title, department, manager_id, external_id, hr_admin, active, password_hash, \
     version, created_at, updated_at, deactivated_at, secondary_manager_ids) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13, $14, $15)";

macro_rules! insert_person_row {
    ($conn:expr, $id:expr, $draft:expr, $manager:expr, $password_hash:expr, $ts:expr) => {{
        let draft: &PersonDraft = $draft;
        let ts: DateTime<Utc> = $ts;
        sqlx::query(INSERT_PERSON)
            .bind($id)
            .bind(draft.email.as_str())
            .bind(draft.email.normalized())
            .bind(search_text(
                draft.display_name.as_str(),
                draft.email.as_str(),
            ))
            .bind(draft.display_name.as_str())
            .bind(opt_text(&draft.title))
            .bind(opt_text(&draft.department))
            .bind($manager)
            .bind(opt_text(&draft.external_id))
            .bind(draft.hr_admin)
            .bind(draft.active)
            .bind($password_hash)
            .bind(ts)
            .bind((!draft.active).then_some(ts))
            .bind(join_ids(&draft.secondary_manager_ids))
            .execute(&mut *$conn)
            .await?;
    }};
}

/// Overwrite a person row's editable fields from a draft, bumping its version.
macro_rules! update_person_row {
    ($conn:expr, $id:expr, $draft:expr, $manager:expr, $deactivated_at:expr, $ts:expr) => {{
        let draft: &PersonDraft = $draft;
        sqlx::query(
            "UPDATE people SET email = $1, email_normalized = $2, search_text = $3, \
             display_name = $4, title = $5, department = $6, manager_id = $7, external_id = $8, \
             hr_admin = $9, active = $10, deactivated_at = $11, updated_at = $12, \
             version = version + 1 WHERE id = $13",
        )
        .bind(draft.email.as_str())
        .bind(draft.email.normalized())
        .bind(search_text(
            draft.display_name.as_str(),
            draft.email.as_str(),
        ))
        .bind(draft.display_name.as_str())
        .bind(opt_text(&draft.title))
        .bind(opt_text(&draft.department))
        .bind($manager)
        .bind(opt_text(&draft.external_id))
        .bind(draft.hr_admin)
        .bind(draft.active)
        .bind($deactivated_at)
        .bind($ts)
        .bind($id)
        .execute(&mut *$conn)
        .await?;
    }};
}

/// A 1:1 record a manager change handed from one manager to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOver {
    /// `meeting_series` or `meeting`.
    pub subject_type: &'static str,
    pub id: Uuid,
    pub report: Uuid,
    pub from: Uuid,
    pub to: Uuid,
}

/// A change of a person: before and after.
#[derive(Debug, Clone)]
pub struct PersonUpdate {
    pub before: Person,
    pub after: Person,
}

/// A person whose manager an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagerChange {
    pub person: Uuid,
    pub from: Option<Uuid>,
    pub to: Option<Uuid>,
}

/// When a person stops or starts being active, the deactivation date follows.
fn deactivated_at(
    was_active: bool,
    previous: Option<DateTime<Utc>>,
    active: bool,
    ts: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match (was_active, active) {
        (_, true) => None,
        (true, false) => Some(ts),
        (false, false) => previous.or(Some(ts)),
    }
}

fn opt_text(t: &Option<oneonone_domain::Text>) -> Option<&str> {
    t.as_ref().map(|t| t.as_str())
}

impl Tx<'_> {
    /// Create a person. The manager and secondary managers must exist.
    pub async fn insert_person(
        &mut self,
        draft: &PersonDraft,
        password_hash: Option<&str>,
    ) -> StoreResult<Person> {
        let id = Uuid::now_v7();
        let ts = now();
        if draft.secondary_manager_ids.is_empty() {
            // One statement, which can wait for the change's commit (a taken email fails the
            // change there).
            let owned = |t: &Option<oneonone_domain::Text>| opt_text(t).map(str::to_owned);
            crate::write_later!(self, INSERT_PERSON;
                id,
                draft.email.as_str().to_owned(),
                draft.email.normalized().to_owned(),
                search_text(draft.display_name.as_str(), draft.email.as_str()),
                draft.display_name.as_str().to_owned(),
                owned(&draft.title),
                owned(&draft.department),
                draft.manager_id,
                owned(&draft.external_id),
                draft.hr_admin,
                draft.active,
                password_hash.map(str::to_owned),
                ts,
                (!draft.active).then_some(ts),
                String::new(),
            )?;
        } else {
            on_tx!(self, conn => {
                insert_person_row!(conn, id, draft, draft.manager_id, password_hash, ts);
                for m in &draft.secondary_manager_ids {
                    sqlx::query(
                        "INSERT INTO person_secondary_managers (person_id, manager_id) VALUES ($1, $2)",
                    )
                    .bind(id)
                    .bind(*m)
                    .execute(&mut *conn)
                    .await?;
                }
            });
        }
        // A new direct report changes their manager's line facts.
        if draft.active
            && let Some(manager) = draft.manager_id
        {
            self.refresh_lines([manager]).await?;
        }
        // What was written, returned without reading it back.
        Ok(Person {
            id,
            email: draft.email.as_str().to_owned(),
            display_name: draft.display_name.as_str().to_owned(),
            title: opt_text(&draft.title).map(str::to_owned),
            department: opt_text(&draft.department).map(str::to_owned),
            manager_id: draft.manager_id,
            secondary_manager_ids: draft.secondary_manager_ids.clone(),
            external_id: opt_text(&draft.external_id).map(str::to_owned),
            hr_admin: draft.hr_admin,
            active: draft.active,
            version: 1,
            created_at: ts,
            updated_at: ts,
            deactivated_at: (!draft.active).then_some(ts),
            deleted_at: None,
        })
    }

    /// A person who is not erased, read in this transaction.
    pub async fn person(&mut self, id: PersonId) -> StoreResult<Person> {
        on_tx!(read self, conn => {
            fetch_person!(conn, id).ok_or(StoreError::NotFound)
        })
    }

    /// The person (not erased) with this normalised email, if any.
    pub async fn person_by_email(&mut self, email_normalized: &str) -> StoreResult<Option<Person>> {
        on_tx!(read self, conn => {
            let row: Option<PersonRow> = sqlx::query_as(&format!(
                "SELECT {PERSON_COLUMNS} FROM people WHERE email_normalized = $1 AND deleted_at IS NULL"
            ))
            .bind(email_normalized)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(row.map(PersonRow::into_person))
        })
    }

    /// Replace the editable fields of a person. With `expected_version`, fail with
    /// [`StoreError::Stale`] when the record changed since. A new manager that would close a
    /// reporting cycle fails with [`StoreError::Rule`]. A new manager takes over the
    /// manager–report series with its upcoming meetings (held ones keep who held them).
    pub async fn update_person(
        &mut self,
        id: PersonId,
        expected_version: Option<i64>,
        draft: &PersonDraft,
    ) -> StoreResult<PersonUpdate> {
        let ts = now();
        // Their goals count, while they are active, for the groups they are in: they leave the
        // counts before a move (or their leaving) and come back after it.
        let was = self.person(id).await?;
        let regroups_goals = was.active != draft.active
            || was.manager_id != draft.manager_id
            || was.department.as_deref() != opt_text(&draft.department);
        if was.active && regroups_goals {
            self.settle_goals_of(id, -1).await?;
        }
        let update = on_tx!(self, conn => {
            let current = fetch_person!(conn, id).ok_or(StoreError::NotFound)?;
            if expected_version.is_some_and(|v| v != current.version) {
                return Err(StoreError::Stale);
            }
            if let Some(manager) = draft.manager_id
                && draft.manager_id != current.manager_id
            {
                let chain = manager_chain!(conn, manager);
                if chain.is_empty() {
                    return Err(StoreError::MissingReference);
                }
                if org::closes_cycle(id, &chain) {
                    return Err(StoreError::Rule(ValidationErrors::single(
                        "manager_id",
                        "this reporting line would form a cycle",
                    )));
                }
            }
            let deactivated = deactivated_at(current.active, current.deactivated_at, draft.active, ts);
            update_person_row!(conn, id, draft, draft.manager_id, deactivated, ts);
            if draft.secondary_manager_ids != current.secondary_manager_ids {
                write_secondary!(conn, id, &draft.secondary_manager_ids);
            }
            let after = fetch_person!(conn, id).ok_or(StoreError::NotFound)?;
            StoreResult::Ok(PersonUpdate { before: current, after })
        })?;
        self.regroup_person(
            id,
            (update.before.manager_id, update.before.department.clone()),
            (update.after.manager_id, update.after.department.clone()),
        )
        .await?;
        if update.after.active && regroups_goals {
            self.settle_goals_of(id, 1).await?;
        }
        // Their managers' lines, and their own as a manager (active or not).
        self.refresh_lines(
            [update.before.manager_id, update.after.manager_id, Some(id)]
                .into_iter()
                .flatten(),
        )
        .await?;
        Ok(update)
    }

    /// Erase a person: remove every personal field for good and keep the row as a tombstone
    /// (`deleted_at`), so history that points at it stays whole and syncing clients see the
    /// deletion. Their own secondary-manager links go too. The caller checks that nobody
    /// reports to them ([`Tx::has_reports`]).
    pub async fn erase_person(&mut self, id: PersonId) -> StoreResult<()> {
        let ts = now();
        let before = self.person(id).await?;
        if before.active {
            // Their goals leave the counts of the groups they were in.
            self.settle_goals_of(id, -1).await?;
        }
        on_tx!(self, conn => {
            let placeholder = format!("erased-{}@erased.invalid", id.simple());
            let no_text: Option<&str> = None;
            let no_id: Option<Uuid> = None;
            sqlx::query(
                "UPDATE people SET email = $1, email_normalized = $1, search_text = '', \
                 display_name = 'Erased person', secondary_manager_ids = '', title = $2, department = $2, manager_id = $3, \
                 external_id = $2, hr_admin = $4, active = $4, password_hash = $2, \
                 deactivated_at = COALESCE(deactivated_at, $5), deleted_at = $5, updated_at = $5, \
                 version = version + 1 WHERE id = $6",
            )
            .bind(&placeholder)
            .bind(no_text)
            .bind(no_id)
            .bind(false)
            .bind(ts)
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM person_secondary_managers WHERE person_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM calendar_feeds WHERE person_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            // Their chat addresses go, and what was queued for them (never sent now).
            sqlx::query(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT j.id FROM jobs j \
                 JOIN chat_destinations d ON d.id = j.target_id WHERE d.person_id = $1)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "DELETE FROM jobs WHERE target_id IN \
                 (SELECT id FROM chat_destinations WHERE person_id = $1)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM chat_destinations WHERE person_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            // Feedback they gave or received, and requests about them or by them, go; so do
            // their places among those asked (an answer given under their name goes with it).
            for sql in [
                "DELETE FROM feedback_followups WHERE feedback_id IN (SELECT id FROM feedback \
                 WHERE giver_id = $1 OR recipient_id = $1 OR request_id IN \
                 (SELECT id FROM feedback_requests WHERE subject_id = $1 OR requester_id = $1))",
                "DELETE FROM feedback WHERE giver_id = $1 OR recipient_id = $1 OR request_id IN \
                 (SELECT id FROM feedback_requests WHERE subject_id = $1 OR requester_id = $1)",
                "DELETE FROM feedback_request_respondents WHERE person_id = $1 OR request_id IN \
                 (SELECT id FROM feedback_requests WHERE subject_id = $1 OR requester_id = $1)",
                "DELETE FROM feedback_requests WHERE subject_id = $1 OR requester_id = $1",
                // Escalations about them go; those they recorded stay, unattributed.
                "DELETE FROM escalations WHERE person_id = $1",
                "UPDATE escalations SET recorded_by = NULL WHERE recorded_by = $1",
            ] {
                sqlx::query(sql).bind(id).execute(&mut *conn).await?;
            }
        });
        self.regroup_person(id, (before.manager_id, before.department), (None, None))
            .await?;
        self.refresh_lines([before.manager_id, Some(id)].into_iter().flatten())
            .await
    }

    /// Whether anyone (not erased) reports to `id`, directly or as a secondary manager.
    pub async fn has_reports(&mut self, id: PersonId) -> StoreResult<bool> {
        on_tx!(read self, conn => {
            let found: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM people WHERE manager_id = $1 AND deleted_at IS NULL \
                 UNION ALL SELECT person_id FROM person_secondary_managers WHERE manager_id = $1 \
                 LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Active HR admins other than `except`. On PostgreSQL the rows of all active admins are
    /// locked (in id order, so two such transactions queue instead of deadlocking) until the
    /// transaction ends: two requests cannot each remove "another" admin and leave none.
    pub async fn other_active_hr_admins(&mut self, except: PersonId) -> StoreResult<i64> {
        let lock = match self.backend() {
            crate::Backend::Sqlite => "",
            crate::Backend::Postgres => " FOR UPDATE",
        };
        on_tx!(self, conn => {
            let active = true;
            let ids: Vec<Uuid> = sqlx::query_scalar(&format!(
                "SELECT id FROM people WHERE hr_admin = $1 AND active = $1 ORDER BY id{lock}"
            ))
            .bind(active)
            .fetch_all(&mut *conn)
            .await?;
            let others = ids.iter().filter(|id| **id != except).count();
            Ok(i64::try_from(others).unwrap_or(i64::MAX))
        })
    }

    /// Check that every id names an existing person; return the ones that do not.
    pub async fn missing_people(&mut self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        on_tx!(read self, conn => {
            let mut qb = QueryBuilder::new("SELECT id FROM people WHERE deleted_at IS NULL AND id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            let found: HashSet<Uuid> = qb.build_query_scalar().fetch_all(&mut *conn).await?.into_iter().collect();
            Ok(ids.iter().copied().filter(|id| !found.contains(id)).collect())
        })
    }

    pub async fn set_password_hash(&mut self, id: PersonId, hash: &str) -> StoreResult<()> {
        let ts = now();
        on_tx!(self, conn => {
            let done = sqlx::query("UPDATE people SET password_hash = $1, updated_at = $2, \
                 session_generation = session_generation + 1 WHERE id = $3")
                .bind(hash)
                .bind(ts)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Upsert many people, all or nothing. Rows match existing people by `external_id`, else
    /// by email; managers are referenced by external id, in the batch or already stored. When
    /// any row is invalid nothing is written and every row's result says what it would have
    /// been or why it failed.
    pub async fn import_people(&mut self, rows: &[ImportRow]) -> StoreResult<ImportOutcome> {
        let ts = now();
        let outcome = on_tx!(self, conn => {
            let existing: Vec<ExistingPerson> = sqlx::query_as(
                "SELECT id, email_normalized, external_id, manager_id, email, display_name, title, \
                 department, active, hr_admin, deactivated_at FROM people WHERE deleted_at IS NULL",
            )
            .fetch_all(&mut *conn)
            .await?;
            let plan = plan_import(&existing, rows);
            if !plan.applied {
                return Ok(plan.outcome());
            }
            let mut manager_changes = Vec::new();
            let mut deactivated = Vec::new();
            let mut regrouped = 0usize;
            // Whose line facts may change: the managers of everyone written, and themselves.
            let mut lines_of: Vec<Uuid> = Vec::new();
            // Whose goals come into the counts (1) or leave them (-1).
            let mut goals_of: Vec<(Uuid, i64)> = Vec::new();
            for step in &plan.steps {
                let draft = &rows[step.row].draft;
                match step.action {
                    Action::Create => {
                        lines_of.extend(step.manager_id);
                        let no_password: Option<&str> = None;
                        insert_person_row!(conn, step.id, draft, step.manager_id, no_password, ts);
                    }
                    Action::Update { was_active, previous_deactivation, hr_admin, previous_manager } => {
                        // An import never grants or removes HR admin rights.
                        let mut draft = draft.clone();
                        draft.hr_admin = hr_admin;
                        if was_active && !draft.active {
                            deactivated.push(step.id);
                        }
                        if was_active != draft.active {
                            goals_of.push((step.id, if draft.active { 1 } else { -1 }));
                        }
                        let deactivated_at = deactivated_at(was_active, previous_deactivation, draft.active, ts);
                        update_person_row!(conn, step.id, &draft, step.manager_id, deactivated_at, ts);
                        lines_of.extend([previous_manager, step.manager_id, Some(step.id)].into_iter().flatten());
                        let department = existing
                            .iter()
                            .find(|e| e.id == step.id)
                            .and_then(|e| e.department.clone());
                        if previous_manager != step.manager_id
                            || department.as_deref() != opt_text(&draft.department)
                        {
                            regrouped += 1;
                        }
                        if previous_manager != step.manager_id {
                            manager_changes.push(ManagerChange {
                                person: step.id,
                                from: previous_manager,
                                to: step.manager_id,
                            });
                        }
                    }
                    Action::Unchanged => {}
                }
            }
            let mut outcome = plan.outcome();
            outcome.manager_changes = manager_changes;
            outcome.deactivated = deactivated;
            StoreResult::Ok((outcome, regrouped, lines_of, goals_of))
        })?;
        let (outcome, regrouped, lines_of, goals_of) = outcome;
        if regrouped > 0 {
            // Moves one at a time would meet reporting lines half changed (a swap is a cycle
            // until both rows are written): the program figures are recomputed once instead.
            self.recompute_program_days(crate::program_days::Recompute::Live)
                .await?;
        } else {
            self.refresh_lines(lines_of).await?;
            for (person, sign) in goals_of {
                self.settle_goals_of(person, sign).await?;
            }
        }
        Ok(outcome)
    }
}

impl Database {
    pub async fn login_record(&self, email_normalized: &str) -> StoreResult<Option<LoginRecord>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as("SELECT id, password_hash, active, session_generation FROM people WHERE email_normalized = $1")
                .bind(email_normalized)
                .fetch_optional(pool)
                .await?)
        })
    }

    pub async fn password_hash(&self, id: PersonId) -> StoreResult<Option<String>> {
        with_pool!(self, pool => {
            let hash: Option<Option<String>> = sqlx::query_scalar("SELECT password_hash FROM people WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            hash.ok_or(StoreError::NotFound)
        })
    }

    /// Whether the organisation has an active HR admin (a cheap check before bootstrapping one).
    pub async fn has_active_hr_admin(&self) -> StoreResult<bool> {
        with_pool!(self, pool => {
            let active = true;
            let found: Option<Uuid> = sqlx::query_scalar(
                "SELECT id FROM people WHERE hr_admin = $1 AND active = $1 LIMIT 1",
            )
            .bind(active)
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    pub async fn person_id_by_email(&self, email_normalized: &str) -> StoreResult<Option<Uuid>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT id FROM people WHERE email_normalized = $1")
                .bind(email_normalized)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// Check that every id names an existing person; return the ones that do not.
    pub async fn missing_people(&self, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT id FROM people WHERE deleted_at IS NULL AND id IN (");
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            let found: HashSet<Uuid> = qb.build_query_scalar().fetch_all(pool).await?.into_iter().collect();
            Ok(ids.iter().copied().filter(|id| !found.contains(id)).collect())
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Create,
    Update {
        was_active: bool,
        previous_deactivation: Option<DateTime<Utc>>,
        hr_admin: bool,
        previous_manager: Option<Uuid>,
    },
    Unchanged,
}

#[derive(Debug)]
struct Step {
    row: usize,
    id: Uuid,
    manager_id: Option<Uuid>,
    action: Action,
}

struct ImportPlan {
    applied: bool,
    /// In an order where every manager is written before their reports.
    steps: Vec<Step>,
    results: Vec<ImportRowResult>,
}

impl ImportPlan {
    fn outcome(&self) -> ImportOutcome {
        ImportOutcome {
            applied: self.applied,
            rows: self.results.clone(),
            manager_changes: Vec::new(),
            deactivated: Vec::new(),
        }
    }
}

/// Decide, without writing, what an import does to each row.
fn plan_import(existing: &[ExistingPerson], rows: &[ImportRow]) -> ImportPlan {
    let by_external: HashMap<&str, &ExistingPerson> = existing
        .iter()
        .filter_map(|p| p.external_id.as_deref().map(|e| (e, p)))
        .collect();
    let by_email: HashMap<&str, &ExistingPerson> = existing
        .iter()
        .map(|p| (p.email_normalized.as_str(), p))
        .collect();
    let mut errors: Vec<ValidationErrors> = vec![ValidationErrors::default(); rows.len()];
    let mut ids: Vec<Uuid> = Vec::with_capacity(rows.len());
    let mut matched: Vec<Option<&ExistingPerson>> = Vec::with_capacity(rows.len());
    let mut seen_external: HashMap<&str, usize> = HashMap::new();
    let mut seen_email: HashMap<&str, usize> = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let ext = row.draft.external_id.as_ref().map(|t| t.as_str());
        let email = row.draft.email.normalized();
        if let Some(e) = ext
            && let Some(first) = seen_external.insert(e, i)
        {
            errors[i].push("external_id", format!("repeats row {first}"));
        }
        if let Some(first) = seen_email.insert(email, i) {
            errors[i].push("email", format!("repeats row {first}"));
        }
        let hit = ext
            .and_then(|e| by_external.get(e).copied())
            .or_else(|| by_email.get(email).copied());
        // An external id that is new cannot take over a stored person with another external id.
        let hit = match (hit, ext) {
            (Some(p), Some(e)) if p.external_id.as_deref().is_some_and(|pe| pe != e) => {
                errors[i].push("email", "belongs to a person with a different external_id");
                None
            }
            (hit, _) => hit,
        };
        if let Some(owner) = by_email.get(email)
            && hit.is_some_and(|h| h.id != owner.id)
        {
            errors[i].push("email", "is already used by another person");
        }
        ids.push(hit.map(|p| p.id).unwrap_or_else(Uuid::now_v7));
        matched.push(hit);
    }
    let batch_external: HashMap<&str, usize> = seen_external;
    let mut manager_of: HashMap<Uuid, Uuid> = existing
        .iter()
        .filter_map(|p| p.manager_id.map(|m| (p.id, m)))
        .collect();
    let mut managers: Vec<Option<Uuid>> = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let manager = match row.manager_external_id.as_deref() {
            None => None,
            Some(m) => match batch_external.get(m) {
                Some(&j) => Some(ids[j]),
                None => match by_external.get(m) {
                    Some(p) => Some(p.id),
                    None => {
                        errors[i].push(
                            "manager_external_id",
                            format!("no person has external_id `{m}`"),
                        );
                        None
                    }
                },
            },
        };
        if manager == Some(ids[i]) {
            errors[i].push(
                "manager_external_id",
                "a person cannot be their own manager",
            );
        }
        match manager {
            Some(m) => manager_of.insert(ids[i], m),
            None => manager_of.remove(&ids[i]),
        };
        managers.push(manager);
    }
    if errors.iter().all(|e| e.is_empty())
        && let Some(on_cycle) = org::find_cycle(&manager_of)
    {
        let row = ids.iter().position(|id| *id == on_cycle).unwrap_or(0);
        errors[row].push(
            "manager_external_id",
            "these reporting lines would form a cycle",
        );
    }
    let applied = errors.iter().all(|e| e.is_empty());
    let mut results = Vec::with_capacity(rows.len());
    let mut steps = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        if !errors[i].is_empty() {
            results.push(ImportRowResult::Failed(std::mem::take(&mut errors[i])));
            continue;
        }
        let d = &row.draft;
        let action = match matched[i] {
            None => Action::Create,
            Some(p) => {
                let same = p.email == d.email.as_str()
                    && p.display_name == d.display_name.as_str()
                    && p.title.as_deref() == opt_text(&d.title)
                    && p.department.as_deref() == opt_text(&d.department)
                    && p.external_id.as_deref() == opt_text(&d.external_id)
                    && p.manager_id == managers[i]
                    && p.active == d.active;
                if same {
                    Action::Unchanged
                } else {
                    Action::Update {
                        was_active: p.active,
                        previous_deactivation: p.deactivated_at,
                        hr_admin: p.hr_admin,
                        previous_manager: p.manager_id,
                    }
                }
            }
        };
        results.push(match action {
            Action::Create => ImportRowResult::Created(ids[i]),
            Action::Update { .. } => ImportRowResult::Updated(ids[i]),
            Action::Unchanged => ImportRowResult::Unchanged(ids[i]),
        });
        steps.push(Step {
            row: i,
            id: ids[i],
            manager_id: managers[i],
            action,
        });
    }
    if applied {
        order_managers_first(&mut steps);
    }
    ImportPlan {
        applied,
        steps,
        results,
    }
}

/// Sort steps so that a row's manager, when in the batch, is written before it (the chart has
/// no cycle at this point, so depth is finite).
fn order_managers_first(steps: &mut [Step]) {
    let manager: HashMap<Uuid, Option<Uuid>> = steps.iter().map(|s| (s.id, s.manager_id)).collect();
    let depth = |mut id: Uuid| {
        let mut d = 0usize;
        while let Some(Some(m)) = manager.get(&id) {
            d += 1;
            id = *m;
            if d > manager.len() {
                break;
            }
        }
        d
    };
    let depths: HashMap<Uuid, usize> = steps.iter().map(|s| (s.id, depth(s.id))).collect();
    steps.sort_by_key(|s| (depths.get(&s.id).copied().unwrap_or(0), s.row));
}

impl Tx<'_> {
    /// End every access token issued to this person so far, and revoke the API tokens they
    /// created (a deactivated HR admin's tokens stay dead when they come back).
    pub async fn end_sessions(
        &mut self,
        id: PersonId,
        revoke_api_tokens: bool,
    ) -> StoreResult<Vec<Uuid>> {
        let ts = now();
        on_tx!(self, conn => {
            sqlx::query("UPDATE people SET session_generation = session_generation + 1 WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            if !revoke_api_tokens {
                return Ok(Vec::new());
            }
            let revoked: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL \
                 RETURNING id",
            )
            .bind(ts)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(revoked)
        })
    }

    /// Revoke the API tokens this person created (they are no longer an HR admin).
    pub async fn revoke_api_tokens_of(&mut self, id: PersonId) -> StoreResult<Vec<Uuid>> {
        let ts = now();
        on_tx!(self, conn => {
            Ok(sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL \
                 RETURNING id",
            )
            .bind(ts)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?)
        })
    }

    /// Hand a report's manager–report series from one manager to another, with its upcoming
    /// scheduled meetings (and their agendas); held meetings keep the manager who held them.
    /// The records handed over.
    pub async fn hand_over_series(
        &mut self,
        report: Uuid,
        from: Uuid,
        to: Uuid,
    ) -> StoreResult<Vec<HandOver>> {
        let ts = now();
        let kind = oneonone_domain::meeting::MeetingKind::ManagerReport.as_str();
        let (series, meetings) = on_tx!(self, conn => {
            let series: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE meeting_series SET manager_id = $1, updated_at = $2, version = version + 1 \
                 WHERE report_id = $3 AND manager_id = $4 AND kind = $5 RETURNING id",
            )
            .bind(to)
            .bind(ts)
            .bind(report)
            .bind(from)
            .bind(kind)
            .fetch_all(&mut *conn)
            .await?;
            let meetings: Vec<Uuid> = sqlx::query_scalar(
                "UPDATE meetings SET manager_id = $1, updated_at = $2, version = version + 1 \
                 WHERE status = $3 AND starts_at >= $2 AND manager_id = $4 AND series_id IN \
                 (SELECT id FROM meeting_series WHERE report_id = $5 AND manager_id = $1 AND kind = $6) \
                 RETURNING id",
            )
            .bind(to)
            .bind(ts)
            .bind(oneonone_domain::meeting::MeetingStatus::Scheduled.as_str())
            .bind(from)
            .bind(report)
            .bind(kind)
            .fetch_all(&mut *conn)
            .await?;
            StoreResult::Ok((series, meetings))
        })?;
        // Only their manager changed: what they counted for before is what they count for now,
        // under the former manager.
        let mut before = self.meeting_facts(&meetings).await?;
        for f in &mut before {
            f.manager_id = from;
        }
        self.settle_meetings(before, &meetings).await?;
        // The pair's series (its cadence) went with the report; it is behind by the new pair's
        // held 1:1s.
        self.refresh_series_due(crate::attention::SeriesDue::Ids(&series))
            .await?;
        self.refresh_lines([from, to]).await?;
        let records = series
            .into_iter()
            .map(|id| ("meeting_series", id))
            .chain(meetings.into_iter().map(|id| ("meeting", id)));
        Ok(records
            .map(|(subject_type, id)| HandOver {
                subject_type,
                id,
                report,
                from,
                to,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Ad_a%"), "%ad\\_a\\%%");
    }
}

crate::read_both! {
    /// What authentication needs of a person: active, HR admin, session generation.
    pub async fn principal(id: PersonId) -> StoreResult<Option<PrincipalRecord>>, ex => {
        Ok(sqlx::query_as("SELECT active, hr_admin, session_generation FROM people WHERE id = $1")
            .bind(id)
            .fetch_optional(ex)
            .await?)
    }
}

crate::read_both! {
    /// A person, unless erased.
    pub async fn get_person(id: PersonId) -> StoreResult<Person>, ex => {
            let row: Option<PersonRow> = sqlx::query_as(&format!(
                "SELECT {PERSON_COLUMNS} FROM people WHERE id = $1 AND deleted_at IS NULL"
            ))
            .bind(id)
            .fetch_optional(ex)
            .await?;
            row.map(PersonRow::into_person).ok_or(StoreError::NotFound)
    }
}

crate::read_both! {
    /// One page of people, at most `filter.limit` rows.
    pub async fn list_people(filter: &PeopleFilter) -> StoreResult<Vec<Person>>, ex => {
            let mut qb = QueryBuilder::new(format!("SELECT {PERSON_COLUMNS} FROM people WHERE 1 = 1"));
            if let Some(m) = filter.manager_id {
                qb.push(" AND manager_id = ").push_bind(m);
            }
            if let Some(d) = &filter.department {
                qb.push(" AND department = ").push_bind(d.clone());
            }
            if let Some(a) = filter.active {
                qb.push(" AND active = ").push_bind(a);
            }
            if let Some(q) = &filter.q {
                qb.push(" AND search_text LIKE ")
                    .push_bind(like_pattern(q))
                    .push(" ESCAPE '\\'");
            }
            match filter.updated_since {
                // Sync mode shows erased people as tombstones; everything else hides them.
                Some(since) => {
                    qb.push(" AND updated_at >= ").push_bind(since);
                }
                None => {
                    qb.push(" AND deleted_at IS NULL");
                }
            }
            match &filter.after {
                Some(PeoplePageAfter::Id(id)) => {
                    qb.push(" AND id > ").push_bind(*id);
                }
                Some(PeoplePageAfter::Updated(at, id)) => {
                    qb.push(" AND (updated_at > ")
                        .push_bind(*at)
                        .push(" OR (updated_at = ")
                        .push_bind(*at)
                        .push(" AND id > ")
                        .push_bind(*id)
                        .push("))");
                }
                None => {}
            }
            if filter.updated_since.is_some() {
                qb.push(" ORDER BY updated_at, id");
            } else {
                qb.push(" ORDER BY id");
            }
            qb.push(" LIMIT ").push_bind(filter.limit);
            let rows: Vec<PersonRow> = qb.build_query_as().fetch_all(ex).await?;
            Ok(rows.into_iter().map(PersonRow::into_person).collect())
    }
}

crate::read_both! {
    /// The reporting chain above a person: their manager, their manager's manager…, nearest
    /// first (empty for the top of the organisation). `NotFound` when there is no such person.
    pub async fn managers_of(id: PersonId) -> StoreResult<Vec<Uuid>>, ex => {
        let mut chain: Vec<Uuid> = sqlx::query_scalar(MANAGER_CHAIN).bind(id).fetch_all(ex).await?;
        if chain.is_empty() {
            return Err(StoreError::NotFound);
        }
        chain.remove(0);
        Ok(chain)
    }
}
