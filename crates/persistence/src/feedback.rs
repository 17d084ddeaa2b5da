//! Feedback, recognition and requests for feedback.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::people::{NO_PRINCIPAL, PRINCIPAL_COLUMNS, PrincipalRecord, PrincipalRow};
use crate::{Database, StoreError, StoreResult, Tx, on_tx, with_pool};

/// A stored piece of feedback.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedbackRecord {
    pub id: Uuid,
    pub kind: String,
    /// `None`: an anonymous answer.
    pub giver_id: Option<Uuid>,
    pub recipient_id: Uuid,
    pub body: String,
    pub visibility: String,
    pub category: Option<String>,
    pub goal_id: Option<Uuid>,
    pub request_id: Option<Uuid>,
    pub released: bool,
    /// `None`: an anonymous answer.
    pub created_at: Option<DateTime<Utc>>,
    /// Whether its recipient made a talking point or an action item of it (as read; not stored).
    #[sqlx(default)]
    pub has_follow_up: bool,
}

/// A stored request, with its respondents.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: Uuid,
    pub requester_id: Uuid,
    pub subject_id: Uuid,
    pub question: String,
    pub due_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// (person, status), by person id.
    pub respondents: Vec<(Uuid, String)>,
}

#[derive(sqlx::FromRow)]
struct RequestRow {
    id: Uuid,
    requester_id: Uuid,
    subject_id: Uuid,
    question: String,
    due_date: NaiveDate,
    created_at: DateTime<Utc>,
    person_id: Uuid,
    status: String,
}

const COLUMNS: &str = "id, kind, giver_id, recipient_id, body, visibility, category, goal_id, \
    request_id, released, created_at";

/// [`COLUMNS`] and whether a follow-up exists (so a page without any asks no more).
const READ_COLUMNS: &str = "id, kind, giver_id, recipient_id, body, visibility, category, \
    goal_id, request_id, released, created_at, EXISTS (SELECT 1 FROM feedback_followups u \
    WHERE u.feedback_id = feedback.id) AS has_follow_up";

/// Which feedback a list shows.
#[derive(Debug, Clone)]
pub enum FeedbackFilter {
    /// What a person received (released only).
    ReceivedBy(Uuid),
    /// What a person gave under their name.
    GivenBy(Uuid),
    /// What a person received and its giver shared with their manager.
    SharedWithManagerOf(Uuid),
    /// Recognition, everyone's.
    Recognition,
    /// The released answers to a request.
    AnswersTo(Uuid),
}

crate::read_both! {
    /// One piece of feedback.
    pub async fn get_feedback(id: Uuid) -> StoreResult<FeedbackRecord>, ex => {
        sqlx::query_as(&format!("SELECT {READ_COLUMNS} FROM feedback WHERE id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

crate::read_both! {
    /// One request with its respondents.
    pub async fn get_feedback_request(id: Uuid) -> StoreResult<RequestRecord>, ex => {
        let rows: Vec<RequestRow> = sqlx::query_as(
            "SELECT r.id, r.requester_id, r.subject_id, r.question, r.due_date, r.created_at, \
             a.person_id, a.status FROM feedback_requests r \
             JOIN feedback_request_respondents a ON a.request_id = r.id \
             WHERE r.id = $1 ORDER BY a.person_id",
        )
        .bind(id)
        .fetch_all(ex)
        .await?;
        let first = rows.first().ok_or(StoreError::NotFound)?;
        Ok(RequestRecord {
            id: first.id,
            requester_id: first.requester_id,
            subject_id: first.subject_id,
            question: first.question.clone(),
            due_date: first.due_date,
            created_at: first.created_at,
            respondents: rows.iter().map(|r| (r.person_id, r.status.clone())).collect(),
        })
    }
}

/// [`READ_COLUMNS`] as NULLs, for the principal's branch of `list_feedback`.
const NO_FEEDBACK: &str = "CAST(NULL AS UUID), CAST(NULL AS TEXT), CAST(NULL AS UUID), \
    CAST(NULL AS UUID), CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), \
    CAST(NULL AS UUID), CAST(NULL AS UUID), CAST(NULL AS BOOLEAN), CAST(NULL AS TIMESTAMPTZ), \
    CAST(NULL AS BOOLEAN)";

/// A page of feedback, and the record authentication checks when it was asked for.
#[derive(Debug, Clone)]
pub struct FeedbackList {
    /// Newest first for named feedback (anonymous answers, which carry no time, sort by their
    /// random ids among them).
    pub rows: Vec<FeedbackRecord>,
    pub principal: Option<PrincipalRecord>,
}

crate::read_both! {
    /// A page of feedback before `before`; with the record of `principal` (what authentication
    /// checks) read in the same statement when given: one round trip for a reader's page
    /// instead of two. Nothing in it is checked against the reader yet.
    pub async fn list_feedback(
        filter: &FeedbackFilter,
        before: Option<Uuid>,
        limit: i64,
        principal: Option<Uuid>
    ) -> StoreResult<FeedbackList>, ex => {
        use sqlx::{FromRow, Row};
        let (clause, who) = filter.clause();
        let page = format!(
            "SELECT CAST(0 AS BIGINT) AS part, f.*, {NO_PRINCIPAL} FROM (SELECT {READ_COLUMNS} FROM feedback \
             WHERE {clause} AND id < $2 ORDER BY id DESC LIMIT $3) f"
        );
        let sql = match principal {
            Some(_) => format!("{page} UNION ALL SELECT CAST(1 AS BIGINT), {NO_FEEDBACK}, {PRINCIPAL_COLUMNS}$4"),
            None => page,
        };
        let mut query = sqlx::query(&sql)
            .bind(who)
            .bind(before.unwrap_or(Uuid::max()))
            .bind(limit);
        if principal.is_some() {
            query = query.bind(principal);
        }
        let rows = query.fetch_all(ex).await?;
        let mut list = FeedbackList { rows: Vec::with_capacity(rows.len()), principal: None };
        for row in &rows {
            let part: i64 = row.try_get("part")?;
            if part == 0 {
                list.rows.push(FeedbackRecord::from_row(row)?);
            } else {
                list.principal = Some(PrincipalRow::from_row(row)?.into());
            }
        }
        // A union keeps no order of its own.
        list.rows.sort_unstable_by_key(|f| std::cmp::Reverse(f.id));
        Ok(list)
    }
}

impl FeedbackFilter {
    /// The condition on `feedback` (its person or request bound as `$1`) and what to bind.
    fn clause(&self) -> (&'static str, Option<Uuid>) {
        match self {
            FeedbackFilter::ReceivedBy(p) => ("recipient_id = $1 AND released = TRUE", Some(*p)),
            FeedbackFilter::GivenBy(p) => ("giver_id = $1", Some(*p)),
            FeedbackFilter::SharedWithManagerOf(p) => (
                "recipient_id = $1 AND released = TRUE \
                 AND visibility IN ('recipient_and_manager', 'organisation')",
                Some(*p),
            ),
            FeedbackFilter::Recognition => ("visibility = 'organisation' AND $1 IS NULL", None),
            FeedbackFilter::AnswersTo(r) => ("request_id = $1 AND released = TRUE", Some(*r)),
        }
    }
}

impl Database {
    /// A page of requests a person made (or that are about them), or that ask them, newest
    /// first, before `before`.
    pub async fn list_feedback_requests(
        &self,
        person: Uuid,
        asked: bool,
        before: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<Uuid>> {
        let sql = if asked {
            "SELECT request_id FROM feedback_request_respondents WHERE person_id = $1 \
             AND request_id < $2 ORDER BY request_id DESC LIMIT $3"
        } else {
            "SELECT id FROM feedback_requests WHERE (requester_id = $1 OR subject_id = $1) \
             AND id < $2 ORDER BY id DESC LIMIT $3"
        };
        let before = before.unwrap_or(Uuid::max());
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(sql)
                .bind(person)
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await?)
        })
    }
}

impl Tx<'_> {
    /// Store a piece of feedback as given.
    pub async fn insert_feedback(&mut self, f: &FeedbackRecord) -> StoreResult<()> {
        let f = f.clone();
        on_tx!(self, conn => {
            sqlx::query(&format!(
                "INSERT INTO feedback ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(f.id)
            .bind(&f.kind)
            .bind(f.giver_id)
            .bind(f.recipient_id)
            .bind(&f.body)
            .bind(&f.visibility)
            .bind(&f.category)
            .bind(f.goal_id)
            .bind(f.request_id)
            .bind(f.released)
            .bind(f.created_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Release a request's anonymous answers if at least `at_least` wait; the ids released.
    /// They are written anew in the order of their random ids, so not even the table's physical
    /// order keeps the order they came in.
    pub async fn release_anonymous(
        &mut self,
        request: Uuid,
        at_least: i64,
    ) -> StoreResult<Vec<Uuid>> {
        let waiting: Vec<FeedbackRecord> = on_tx!(self, conn => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM feedback WHERE request_id = $1 AND released = FALSE \
                 ORDER BY id"
            ))
            .bind(request)
            .fetch_all(&mut *conn)
            .await?
        });
        if (waiting.len() as i64) < at_least {
            return Ok(Vec::new());
        }
        on_tx!(self, conn => {
            sqlx::query("DELETE FROM feedback WHERE request_id = $1 AND released = FALSE")
                .bind(request)
                .execute(&mut *conn)
                .await?;
        });
        let mut ids = Vec::with_capacity(waiting.len());
        for mut f in waiting {
            f.released = true;
            ids.push(f.id);
            self.insert_feedback(&f).await?;
        }
        Ok(ids)
    }

    pub async fn insert_feedback_request(&mut self, r: &RequestRecord) -> StoreResult<()> {
        let r = r.clone();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO feedback_requests (id, requester_id, subject_id, question, due_date, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.id)
            .bind(r.requester_id)
            .bind(r.subject_id)
            .bind(&r.question)
            .bind(r.due_date)
            .bind(r.created_at)
            .execute(&mut *conn)
            .await?;
            for (person, status) in &r.respondents {
                sqlx::query(
                    "INSERT INTO feedback_request_respondents (request_id, person_id, status) \
                     VALUES ($1, $2, $3)",
                )
                .bind(r.id)
                .bind(person)
                .bind(status)
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }

    /// Move a respondent from pending to `status`; whether they were pending.
    pub async fn settle_respondent(
        &mut self,
        request: Uuid,
        person: Uuid,
        status: &str,
    ) -> StoreResult<bool> {
        let status = status.to_owned();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE feedback_request_respondents SET status = $3 \
                 WHERE request_id = $1 AND person_id = $2 AND status = 'pending'",
            )
            .bind(request)
            .bind(person)
            .bind(&status)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }
}

/// What became of a piece of feedback in 1:1s: a talking point (its meeting, when it was
/// discussed) or an action item (its status).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowUp {
    pub feedback_id: Uuid,
    pub agenda_item_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub checked_at: Option<DateTime<Utc>>,
    pub action_item_id: Option<Uuid>,
    pub action_status: Option<String>,
}

impl Database {
    /// The follow-ups of these pieces of feedback (those whose talking point or action item
    /// still exists).
    pub async fn follow_ups(&self, feedback: &[Uuid]) -> StoreResult<Vec<FollowUp>> {
        if feedback.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=feedback.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT f.feedback_id, a.id AS agenda_item_id, a.meeting_id, a.checked_at, \
             x.id AS action_item_id, x.status AS action_status FROM feedback_followups f \
             LEFT JOIN agenda_items a ON a.id = f.agenda_item_id \
             LEFT JOIN action_items x ON x.id = f.action_item_id \
             WHERE f.feedback_id IN ({}) AND (a.id IS NOT NULL OR x.id IS NOT NULL) \
             ORDER BY f.created_at",
            placeholders.join(", ")
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql);
            for id in feedback {
                q = q.bind(id);
            }
            Ok(q.fetch_all(pool).await?)
        })
    }
}

impl Tx<'_> {
    /// Note that a talking point or an action item was made of a piece of feedback.
    pub async fn add_follow_up(
        &mut self,
        feedback: Uuid,
        agenda_item: Option<Uuid>,
        action_item: Option<Uuid>,
    ) -> StoreResult<()> {
        let ts = crate::now();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO feedback_followups (feedback_id, agenda_item_id, action_item_id, \
                 created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(feedback)
            .bind(agenda_item)
            .bind(action_item)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

/// One person's feedback activity: what they gave (under their name) and received, the requests
/// about them, the answers those got, and the pieces they acted on in a 1:1.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Activity {
    pub person: Uuid,
    pub given: i64,
    pub received: i64,
    pub requested: i64,
    pub answered: i64,
    pub acted_on: i64,
}

crate::read_both! {
    /// Everyone's feedback activity (counts only, never text).
    pub async fn feedback_activity() -> StoreResult<Vec<Activity>>, ex => {
        Ok(sqlx::query_as(
            "SELECT person, SUM(g) AS given, SUM(r) AS received, SUM(q) AS requested, \
             SUM(a) AS answered, SUM(x) AS acted_on FROM ( \
               SELECT giver_id AS person, 1 AS g, 0 AS r, 0 AS q, 0 AS a, 0 AS x FROM feedback \
               WHERE giver_id IS NOT NULL \
               UNION ALL SELECT recipient_id, 0, 1, 0, 0, 0 FROM feedback WHERE released = TRUE \
               UNION ALL SELECT subject_id, 0, 0, 1, 0, 0 FROM feedback_requests \
               UNION ALL SELECT r.subject_id, 0, 0, 0, 1, 0 FROM feedback_request_respondents a \
                 JOIN feedback_requests r ON r.id = a.request_id WHERE a.status = 'answered' \
               UNION ALL SELECT f.recipient_id, 0, 0, 0, 0, 1 FROM feedback f WHERE EXISTS \
                 (SELECT 1 FROM feedback_followups u WHERE u.feedback_id = f.id) \
             ) t GROUP BY person",
        )
        .fetch_all(ex)
        .await?)
    }
}
