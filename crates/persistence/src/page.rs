//! The meeting page in one query: a meeting, its agenda as one viewer sees it, its notes and
//! its action items (with those still open from the pair's earlier meetings).
//!
//! The page is the most read thing in a 1:1 program and was five queries (authentication's
//! included); each query is a round trip to PostgreSQL and a hop to SQLite's worker thread. Its
//! rows are read with one `UNION ALL` instead, each kind of row laid out on a shared set of
//! typed slots (`u*` ids, `s*` text, `b*` flags, `i*` integers, `d1` a date, `t*` instants).
//! The page also shows the pair's active goals (issue 8), as one more branch.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::action::{ActionItem, ActionStatus};
use oneonone_domain::agenda::{AgendaItem, Note};
use oneonone_domain::goal::{GoalStatus, GoalVisibility};
use oneonone_domain::meeting::Meeting;
use uuid::Uuid;

use crate::StoreResult;
use crate::actions::{Row as ActionRow, meeting_action_sources, sort_actions};
use crate::agenda::{ItemRow, NoteRow, SHARED_NOTE, sort_agenda, split_notes};
use crate::goals::{LastUpdate, PairGoal};
use crate::meetings::{MeetingRow, corrupt};
use crate::people::PrincipalRecord;

/// A meeting with everything its reader may see of its content, were they a participant: the
/// caller decides with `domain::policy` whether to show the content at all.
#[derive(Debug, Clone)]
pub struct MeetingPage {
    /// `None` when there is no such meeting.
    pub meeting: Option<Meeting>,
    /// What authentication checks of the reader, read in the same query.
    pub principal: Option<PrincipalRecord>,
    /// Shared items and the reader's private ones, in agenda order.
    pub agenda: Vec<AgendaItem>,
    pub shared_note: Option<Note>,
    /// The reader's private note.
    pub private_note: Option<Note>,
    /// Agreed in this meeting, or open from an earlier meeting of the same two people.
    pub action_items: Vec<ActionItem>,
    /// The two participants' active goals the reader may see, those needing attention first.
    pub goals: Vec<PairGoal>,
}

// Every slot is cast in every branch: PostgreSQL types a UNION's columns pair by pair, and a
// bare NULL in two branches would make a column text.
const PAGE_HEAD: &str = "\
SELECT 'm' AS kind, id AS u1, series_id AS u2, manager_id AS u3, report_id AS u4, \
 CAST(NULL AS uuid) AS u5, CAST(NULL AS uuid) AS u6, CAST(NULL AS uuid) AS u7, \
 kind AS s1, status AS s2, CAST(NULL AS text) AS s3, \
 CAST(NULL AS boolean) AS b1, CAST(NULL AS boolean) AS b2, \
 CAST(actual_duration_minutes AS bigint) AS i1, CAST(version AS bigint) AS i2, CAST(NULL AS bigint) AS i3, \
 occurrence_date AS d1, \
 starts_at AS t1, ends_at AS t2, held_at AS t3, created_at AS t4, updated_at AS t5 \
 FROM meetings WHERE id = $1 \
UNION ALL \
SELECT 'a', id, meeting_id, author_id, goal_id, CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), \
 title, details, category, private, checked, \
 CAST(position AS bigint), CAST(times_carried AS bigint), CAST(version AS bigint), CAST(NULL AS date), \
 checked_at, first_added_at, created_at, updated_at, CAST(NULL AS timestamptz) \
 FROM agenda_items WHERE meeting_id = $1 AND (private = $2 OR author_id = $3) \
UNION ALL \
SELECT 'n', updated_by, CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), \
 owner_key, body, CAST(NULL AS text), CAST(NULL AS boolean), CAST(NULL AS boolean), \
 CAST(version AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS date), \
 updated_at, CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz) \
 FROM meeting_notes WHERE meeting_id = $1 AND owner_key IN ($4, $5) \
UNION ALL \
SELECT 'p', CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), \
 CAST(NULL AS text), CAST(NULL AS text), CAST(NULL AS text), active, hr_admin, \
 CAST(session_generation AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint), CAST(NULL AS date), \
 CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), CAST(NULL AS timestamptz) \
 FROM people WHERE id = $3 \
UNION ALL ";

/// The action items' slots, after `SELECT 'x', `.
const ACTION_SLOTS: &str = "a.id, a.meeting_id, a.series_id, a.assignee_id, a.created_by, a.manager_id, a.report_id, \
 a.title, a.status, CAST(NULL AS text), CAST(NULL AS boolean), CAST(NULL AS boolean), \
 CAST(a.version AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint), a.due_date, \
 a.completed_at, a.created_at, a.updated_at, CAST(NULL AS timestamptz), CAST(NULL AS timestamptz)";

/// The participants' active goals that reader `$3` may see — the SQL form of
/// `policy::see_goal` for a participant: public ones, their own, and the other participant's
/// private ones when the reader is in that person's manager chain — each with its last update
/// (kept on the goal). The chain is walked only when the owner is neither managed by the reader
/// (a manager reading a report's goals) nor the reader's own manager (a report reading theirs).
fn goal_branch() -> String {
    let active: Vec<String> = GoalStatus::ALL
        .iter()
        .filter(|s| s.active())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!(
        "SELECT 'g', g.id, g.owner_id, g.last_update_author_id, g.last_discussed_meeting_id, \
         CAST(NULL AS uuid), CAST(NULL AS uuid), CAST(NULL AS uuid), \
         g.title, g.status, g.last_update_comment, g.visibility = '{public}', CAST(NULL AS boolean), \
         CAST(g.progress AS bigint), CAST(NULL AS bigint), CAST(NULL AS bigint), g.due_date, \
         g.last_update_at, g.last_discussed_at, CAST(NULL AS timestamptz), CAST(NULL AS timestamptz), \
         CAST(NULL AS timestamptz) \
         FROM meetings cur JOIN goals g ON g.owner_id IN (cur.manager_id, cur.report_id) \
         JOIN people o ON o.id = g.owner_id \
         WHERE cur.id = $1 AND g.status IN ({active}) AND (g.visibility = '{public}' OR g.owner_id = $3 \
           OR o.manager_id = $3 \
           OR (o.id <> COALESCE((SELECT r.manager_id FROM people r WHERE r.id = $3), $3) \
             AND $3 IN (WITH RECURSIVE up (id, depth) AS ( \
               SELECT p.manager_id, 1 FROM people p WHERE p.id = (SELECT CASE WHEN m2.manager_id = $3 \
                 THEN m2.report_id ELSE m2.manager_id END FROM meetings m2 WHERE m2.id = $1) \
               UNION ALL SELECT p.manager_id, up.depth + 1 FROM people p JOIN up ON p.id = up.id \
               WHERE up.depth < 1000) SELECT id FROM up WHERE id IS NOT NULL)))",
        public = GoalVisibility::Public.as_str(),
        active = active.join(", "),
    )
}

fn page_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let [own, open] = meeting_action_sources("$1", "$6");
        format!(
            "{PAGE_HEAD}SELECT 'x', {ACTION_SLOTS} {own} UNION ALL SELECT 'x', {ACTION_SLOTS} {open} \
             UNION ALL {}",
            goal_branch()
        )
    })
}

struct Slots {
    kind: String,
    u1: Option<Uuid>,
    u2: Option<Uuid>,
    u3: Option<Uuid>,
    u4: Option<Uuid>,
    u5: Option<Uuid>,
    u6: Option<Uuid>,
    u7: Option<Uuid>,
    s1: Option<String>,
    s2: Option<String>,
    s3: Option<String>,
    b1: Option<bool>,
    b2: Option<bool>,
    i1: Option<i64>,
    i2: Option<i64>,
    i3: Option<i64>,
    d1: Option<NaiveDate>,
    t1: Option<DateTime<Utc>>,
    t2: Option<DateTime<Utc>>,
    t3: Option<DateTime<Utc>>,
    t4: Option<DateTime<Utc>>,
    t5: Option<DateTime<Utc>>,
}

// Read by position, not by name: a page is one of the most read things there is.
impl<'r, R> sqlx::FromRow<'r, R> for Slots
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Uuid: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Slots {
            kind: row.try_get(0)?,
            u1: row.try_get(1)?,
            u2: row.try_get(2)?,
            u3: row.try_get(3)?,
            u4: row.try_get(4)?,
            u5: row.try_get(5)?,
            u6: row.try_get(6)?,
            u7: row.try_get(7)?,
            s1: row.try_get(8)?,
            s2: row.try_get(9)?,
            s3: row.try_get(10)?,
            b1: row.try_get(11)?,
            b2: row.try_get(12)?,
            i1: row.try_get(13)?,
            i2: row.try_get(14)?,
            i3: row.try_get(15)?,
            d1: row.try_get(16)?,
            t1: row.try_get(17)?,
            t2: row.try_get(18)?,
            t3: row.try_get(19)?,
            t4: row.try_get(20)?,
            t5: row.try_get(21)?,
        })
    }
}

/// A slot the row's kind always fills.
fn filled<T>(slot: Option<T>, what: &str) -> StoreResult<T> {
    slot.ok_or_else(|| corrupt(what))
}

fn small(n: Option<i64>, what: &str) -> StoreResult<Option<i32>> {
    n.map(|v| i32::try_from(v).map_err(|_| corrupt(what)))
        .transpose()
}

impl Slots {
    fn meeting(self) -> StoreResult<MeetingRow> {
        Ok(MeetingRow {
            id: filled(self.u1, "id")?,
            series_id: self.u2,
            occurrence_date: self.d1,
            kind: filled(self.s1, "kind")?,
            manager_id: filled(self.u3, "manager")?,
            report_id: filled(self.u4, "report")?,
            starts_at: filled(self.t1, "start")?,
            ends_at: filled(self.t2, "end")?,
            status: filled(self.s2, "status")?,
            held_at: self.t3,
            actual_duration_minutes: small(self.i1, "duration")?,
            version: filled(self.i2, "version")?,
            created_at: filled(self.t4, "created_at")?,
            updated_at: filled(self.t5, "updated_at")?,
        })
    }

    fn agenda_item(self) -> StoreResult<ItemRow> {
        Ok(ItemRow {
            id: filled(self.u1, "id")?,
            meeting_id: filled(self.u2, "meeting")?,
            author_id: filled(self.u3, "author")?,
            title: filled(self.s1, "title")?,
            details: self.s2,
            category: filled(self.s3, "category")?,
            private: filled(self.b1, "private")?,
            position: small(self.i1, "position")?,
            checked: filled(self.b2, "checked")?,
            checked_at: self.t1,
            first_added_at: filled(self.t2, "first_added_at")?,
            times_carried: filled(small(self.i2, "times_carried")?, "times_carried")?,
            goal_id: self.u4,
            version: filled(self.i3, "version")?,
            created_at: filled(self.t3, "created_at")?,
            updated_at: filled(self.t4, "updated_at")?,
        })
    }

    fn note(self) -> StoreResult<NoteRow> {
        Ok(NoteRow {
            owner_key: filled(self.s1, "owner")?,
            body: filled(self.s2, "body")?,
            updated_by: filled(self.u1, "author")?,
            version: filled(self.i1, "version")?,
            updated_at: filled(self.t1, "updated_at")?,
        })
    }

    fn principal(self) -> StoreResult<PrincipalRecord> {
        Ok(PrincipalRecord {
            active: filled(self.b1, "active")?,
            hr_admin: filled(self.b2, "hr_admin")?,
            session_generation: filled(self.i1, "session_generation")?,
        })
    }

    fn goal(self) -> StoreResult<PairGoal> {
        let last_update = match (self.u3, self.t1) {
            (Some(author_id), Some(at)) => Some(LastUpdate {
                author_id,
                comment: self.s3,
                at,
            }),
            _ => None,
        };
        Ok(PairGoal {
            id: filled(self.u1, "id")?,
            owner_id: filled(self.u2, "owner")?,
            title: filled(self.s1, "title")?,
            status: filled(self.s2, "status")?
                .parse()
                .map_err(|_| corrupt("goal status"))?,
            visibility: if filled(self.b1, "visibility")? {
                GoalVisibility::Public
            } else {
                GoalVisibility::Private
            },
            progress_percent: filled(self.i1, "progress")?
                .try_into()
                .map_err(|_| corrupt("progress"))?,
            due_date: filled(self.d1, "due_date")?,
            last_discussed_meeting_id: self.u4,
            last_discussed_at: self.t2,
            last_update,
        })
    }

    fn action_item(self) -> StoreResult<ActionRow> {
        Ok(ActionRow {
            id: filled(self.u1, "id")?,
            meeting_id: filled(self.u2, "meeting")?,
            series_id: self.u3,
            assignee_id: filled(self.u4, "assignee")?,
            created_by: filled(self.u5, "creator")?,
            manager_id: filled(self.u6, "manager")?,
            report_id: filled(self.u7, "report")?,
            title: filled(self.s1, "title")?,
            due_date: self.d1,
            status: filled(self.s2, "status")?,
            completed_at: self.t1,
            version: filled(self.i1, "version")?,
            created_at: filled(self.t2, "created_at")?,
            updated_at: filled(self.t3, "updated_at")?,
        })
    }
}

crate::read_both! {
    /// The meeting page as `reader` sees it, in one query ([`MeetingPage`]), with the reader's
    /// authentication record (a page read with no round trip of its own for authentication).
    /// Without a reader (an API token): shared content only, and no record.
    pub async fn meeting_page(id: Uuid, reader: Option<Uuid>) -> StoreResult<MeetingPage>, ex => {
        let rows: Vec<Slots> = sqlx::query_as(page_sql())
            .bind(id)
            .bind(false)
            .bind(reader)
            .bind(SHARED_NOTE)
            .bind(reader.map(|r| r.to_string()))
            .bind(ActionStatus::Open.as_str())
            .fetch_all(ex)
            .await?;
        let (mut meeting, mut principal) = (None, None);
        let (mut agenda, mut notes, mut actions, mut goals) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for row in rows {
            match row.kind.as_str() {
                "m" => meeting = Some(row.meeting()?.into_meeting()?),
                "a" => agenda.push(row.agenda_item()?.into_item()?),
                "n" => notes.push(row.note()?),
                "p" => principal = Some(row.principal()?),
                "g" => goals.push(row.goal()?),
                _ => actions.push(row.action_item()?.into_item()?),
            }
        }
        if let Some(m) = &meeting {
            sort_agenda(&mut agenda, m.report_id);
        }
        sort_actions(&mut actions);
        goals.sort_by_key(|g| (g.status.attention_rank(), g.due_date, g.id));
        let (shared_note, private_note) = split_notes(notes, reader.unwrap_or_default());
        Ok(MeetingPage { meeting, principal, agenda, shared_note, private_note, action_items: actions, goals })
    }
}
