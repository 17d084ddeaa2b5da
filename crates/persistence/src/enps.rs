//! eNPS surveys, who took part, and (apart) what was answered. See `migrations/*/0018_enps.sql`
//! and `oneonone_domain::enps` for why nothing here can join an answer to a person.

use chrono::{DateTime, Utc};
use oneonone_domain::enps::{Answer, Position, Survey};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::checkins::{population_columns, population_from};
use crate::goals::push_in_subtree;
use crate::meetings::corrupt;
use crate::{Database, StoreError, StoreResult, Tx};

const SURVEY_COLUMNS: &str = "s.id, s.name, s.question, s.ask_expectations, s.allow_comment, \
     s.population, s.department, s.subtree_root, s.opens_at, s.closes_at, s.baseline, \
     s.min_group_size, s.created_by, s.created_at, s.finalized_at";

#[derive(sqlx::FromRow)]
struct SurveyRow {
    id: Uuid,
    name: String,
    question: String,
    ask_expectations: bool,
    allow_comment: bool,
    population: String,
    department: Option<String>,
    subtree_root: Option<Uuid>,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    baseline: bool,
    min_group_size: i32,
    created_by: Uuid,
    created_at: DateTime<Utc>,
    finalized_at: Option<DateTime<Utc>>,
}

impl SurveyRow {
    fn into_survey(self) -> StoreResult<Survey> {
        let audience = population_from(&self.population, self.department, self.subtree_root)?;
        Ok(Survey {
            id: self.id,
            name: self.name,
            question: self.question,
            ask_expectations: self.ask_expectations,
            allow_comment: self.allow_comment,
            audience,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            baseline: self.baseline,
            min_group_size: u32::try_from(self.min_group_size)
                .map_err(|_| corrupt("survey min_group_size"))?,
            created_by: self.created_by,
            created_at: self.created_at,
            finalized_at: self.finalized_at,
        })
    }
}

/// A survey with how many were asked, how many answered, and whether the reader was asked
/// (`None`) and has answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SurveyStatus {
    pub survey: Survey,
    pub audience: i64,
    pub responses: i64,
    pub you: Option<bool>,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    #[sqlx(flatten)]
    survey: SurveyRow,
    audience: i64,
    responses: i64,
    you: Option<bool>,
}

impl StatusRow {
    fn into_status(self) -> StoreResult<SurveyStatus> {
        Ok(SurveyStatus {
            survey: self.survey.into_survey()?,
            audience: self.audience,
            responses: self.responses,
            you: self.you,
        })
    }
}

fn status_sql(filter: &str) -> String {
    format!(
        "SELECT {SURVEY_COLUMNS}, \
         (SELECT COUNT(*) FROM enps_participants p WHERE p.survey_id = s.id) AS audience, \
         (SELECT COUNT(*) FROM enps_participants p WHERE p.survey_id = s.id AND p.answered) AS responses, \
         (SELECT p.answered FROM enps_participants p WHERE p.survey_id = s.id AND p.person_id = $1) AS you \
         FROM enps_surveys s {filter}"
    )
}

crate::read_both! {
    /// One survey as `reader` sees it.
    pub async fn survey_status(id: Uuid, reader: Option<Uuid>) -> StoreResult<SurveyStatus>, ex => {
        let row: Option<StatusRow> = sqlx::query_as(&status_sql("WHERE s.id = $2"))
            .bind(reader)
            .bind(id)
            .fetch_optional(ex)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_status()
    }
}

crate::read_both! {
    /// A page of surveys, newest first: all of them, or (`participant`) those that asked them.
    pub async fn list_surveys(reader: Option<Uuid>, participant: bool, before: Option<Uuid>, limit: i64) -> StoreResult<Vec<SurveyStatus>>, ex => {
        let rows: Vec<StatusRow> = sqlx::query_as(&status_sql(
            "WHERE ($2 = FALSE OR EXISTS (SELECT 1 FROM enps_participants q \
             WHERE q.survey_id = s.id AND q.person_id = $1)) \
             AND ($3 IS NULL OR s.id < $3) ORDER BY s.id DESC LIMIT $4",
        ))
        .bind(reader)
        .bind(participant)
        .bind(before)
        .bind(limit)
        .fetch_all(ex)
        .await?;
        rows.into_iter().map(StatusRow::into_status).collect()
    }
}

crate::read_both! {
    /// One survey.
    pub async fn get_survey(id: Uuid) -> StoreResult<Survey>, ex => {
        let row: Option<SurveyRow> = sqlx::query_as(&format!(
            "SELECT {SURVEY_COLUMNS} FROM enps_surveys s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(ex)
        .await?;
        row.ok_or(StoreError::NotFound)?.into_survey()
    }
}

/// A group's figures as computed at close.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResultRow {
    pub group_kind: String,
    pub group_key: String,
    pub label: String,
    pub parent_id: Option<Uuid>,
    pub depth: i32,
    pub audience: i32,
    pub reportable: bool,
    pub respondents: Option<i32>,
    /// JSON: 11 counts.
    pub scores: Option<String>,
    /// JSON: 5 counts.
    pub expectations: Option<String>,
    /// How many comments.
    pub comments: Option<i32>,
}

const RESULT_COLUMNS: &str = "r.group_kind, r.group_key, r.label, r.parent_id, r.depth, \
     r.audience, r.reportable, r.respondents, r.scores, r.expectations, r.comments";

crate::read_both! {
    /// A group's figures and those of its breakdown: for the organisation, every department and
    /// the top two levels of subtrees; for a subtree, the subtrees right below it. Each part is
    /// an index range.
    pub async fn survey_results(survey: Uuid, kind: String, key: String) -> StoreResult<Vec<ResultRow>>, ex => {
        let select = format!("SELECT {RESULT_COLUMNS} FROM enps_results r WHERE r.survey_id = $1");
        let sql = match kind.as_str() {
            "organisation" => format!(
                "{select} AND r.group_kind IN ('organisation', 'department') UNION ALL \
                 {select} AND r.group_kind = 'subtree' AND r.depth <= 1"
            ),
            "subtree" => format!(
                "{select} AND r.group_kind = 'subtree' AND r.group_key = $2 UNION ALL \
                 {select} AND r.parent_id = $3"
            ),
            _ => format!("{select} AND r.group_kind = 'department' AND r.group_key = $2"),
        };
        let parent = if kind == "subtree" { key.parse::<Uuid>().ok() } else { None };
        let mut q = sqlx::query_as(&sql).bind(survey);
        if kind != "organisation" {
            q = q.bind(key.clone());
        }
        if kind == "subtree" {
            q = q.bind(parent);
        }
        let mut rows: Vec<ResultRow> = q.fetch_all(ex).await?;
        rows.sort_by(|a, b| (&a.group_kind, &a.label, &a.group_key).cmp(&(&b.group_kind, &b.label, &b.group_key)));
        Ok(rows)
    }
}

crate::read_both! {
    /// Whether a group is shown, and its cells (JSON) if it is; `None` if there is no such group.
    pub async fn group_cells(survey: Uuid, kind: String, key: String) -> StoreResult<Option<(bool, Option<String>)>>, ex => {
        Ok(sqlx::query_as(
            "SELECT reportable, cells FROM enps_results WHERE survey_id = $1 AND group_kind = $2 \
             AND group_key = $3",
        )
        .bind(survey)
        .bind(kind)
        .bind(key)
        .fetch_optional(ex)
        .await?)
    }
}

/// A closed survey in a trend, with a group's figures there (if the group existed).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrendRow {
    pub survey_id: Uuid,
    pub name: String,
    pub closes_at: DateTime<Utc>,
    pub baseline: bool,
    pub audience: Option<i32>,
    pub reportable: Option<bool>,
    pub respondents: Option<i32>,
    pub scores: Option<String>,
}

crate::read_both! {
    /// The group's figures in every survey closed by `until`, oldest first (at most the last 24).
    pub async fn survey_trend(kind: String, key: String, until: DateTime<Utc>) -> StoreResult<Vec<TrendRow>>, ex => {
        let mut rows: Vec<TrendRow> = sqlx::query_as(
            "SELECT s.id AS survey_id, s.name, s.closes_at, s.baseline, r.audience, r.reportable, \
             r.respondents, r.scores FROM enps_surveys s LEFT JOIN enps_results r \
             ON r.survey_id = s.id AND r.group_kind = $1 AND r.group_key = $2 \
             WHERE s.finalized_at IS NOT NULL AND s.closes_at <= $3 \
             ORDER BY s.closes_at DESC, s.id DESC LIMIT 24",
        )
        .bind(kind)
        .bind(key)
        .bind(until)
        .fetch_all(ex)
        .await?;
        rows.reverse();
        Ok(rows)
    }
}

crate::read_both! {
    /// A page of comments of these cells (all the survey's when `cells` is `None`) after the
    /// answer key `after`, in the order of the answers' random keys: `(key, comment)`.
    pub async fn survey_comments(survey: Uuid, cells: Option<Vec<i32>>, after: Option<Uuid>, limit: i64) -> StoreResult<Vec<(Uuid, String)>>, ex => {
        let mut qb = QueryBuilder::new(
            "SELECT id, comment FROM enps_answers WHERE comment IS NOT NULL AND survey_id = ",
        );
        qb.push_bind(survey);
        if let Some(cells) = cells {
            if cells.is_empty() {
                return Ok(Vec::new());
            }
            qb.push(" AND cell IN (");
            let mut list = qb.separated(", ");
            for c in cells {
                list.push_bind(c);
            }
            qb.push(")");
        }
        if let Some(a) = after {
            qb.push(" AND id > ").push_bind(a);
        }
        qb.push(" ORDER BY id LIMIT ").push_bind(limit);
        Ok(qb.build_query_as().fetch_all(ex).await?)
    }
}

/// How many of a slice of the audience answered (while a survey is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Turnout {
    pub audience: i64,
    pub responses: i64,
}

impl Database {
    /// How many people of a survey's audience in this slice (a department, or below a manager
    /// now) have answered so far.
    pub async fn turnout(
        &self,
        survey: Uuid,
        department: Option<String>,
        below: Option<Uuid>,
    ) -> StoreResult<Turnout> {
        macro_rules! query {
            ($db:ty, $ex:expr) => {{
                let mut qb = QueryBuilder::<$db>::new(
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN answered THEN 1 ELSE 0 END), 0) \
                     FROM enps_participants WHERE survey_id = ",
                );
                qb.push_bind(survey);
                if let Some(d) = department {
                    qb.push(" AND department = ").push_bind(d);
                }
                if let Some(root) = below {
                    qb.push(" AND person_id <> ").push_bind(root).push(" AND");
                    push_in_subtree(&mut qb, "person_id", root);
                }
                let (audience, responses): (i64, i64) = qb.build_query_as().fetch_one($ex).await?;
                Turnout {
                    audience,
                    responses,
                }
            }};
        }
        Ok(match self {
            Database::Sqlite(pools) => query!(sqlx::Sqlite, &pools.read),
            Database::Postgres(pool) => query!(sqlx::Postgres, pool),
        })
    }
}

/// One answer as it is kept after close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutAnswer {
    pub id: Uuid,
    pub cell: i32,
    pub answer: Answer,
}

/// One group's row of `enps_results`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewResult {
    pub kind: &'static str,
    pub key: String,
    pub label: String,
    pub parent_id: Option<Uuid>,
    pub depth: i32,
    pub audience: i32,
    pub reportable: bool,
    pub respondents: Option<i32>,
    pub scores: Option<String>,
    pub expectations: Option<String>,
    pub comments: Option<i32>,
    pub cells: Option<String>,
}

pub(crate) type PositionRow = (Uuid, Option<String>, Option<Uuid>);

pub(crate) fn positions(rows: Vec<PositionRow>) -> Vec<(Uuid, Position)> {
    rows.into_iter()
        .map(|(id, department, manager)| {
            (
                id,
                Position {
                    department,
                    manager,
                },
            )
        })
        .collect()
}

impl Tx<'_> {
    /// Store a survey and everyone it asks.
    pub async fn create_survey(
        &mut self,
        survey: &Survey,
        audience: &[(Uuid, Position)],
    ) -> StoreResult<()> {
        let s = survey.clone();
        let audience = audience.to_vec();
        let (population, department, root) = population_columns(&s.audience);
        crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO enps_surveys (id, name, question, ask_expectations, allow_comment, \
                 population, department, subtree_root, opens_at, closes_at, baseline, \
                 min_group_size, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(s.id)
            .bind(s.name.clone())
            .bind(s.question.clone())
            .bind(s.ask_expectations)
            .bind(s.allow_comment)
            .bind(population)
            .bind(department.clone())
            .bind(root)
            .bind(s.opens_at)
            .bind(s.closes_at)
            .bind(s.baseline)
            .bind(i32::try_from(s.min_group_size).unwrap_or(i32::MAX))
            .bind(s.created_by)
            .bind(s.created_at)
            .execute(&mut *conn)
            .await?;
            for chunk in audience.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO enps_participants (survey_id, person_id, department, manager_id) ",
                );
                qb.push_values(chunk, |mut row, (person, p)| {
                    row.push_bind(s.id)
                        .push_bind(*person)
                        .push_bind(p.department.clone())
                        .push_bind(p.manager);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        Ok(())
    }

    /// The survey, held against closing (PostgreSQL: a share lock on its row) until this
    /// change commits: an answer either lands before the close or sees the survey closed.
    pub async fn hold_survey(&mut self, id: Uuid, exclusive: bool) -> StoreResult<Survey> {
        let lock = match (self.backend(), exclusive) {
            (crate::Backend::Sqlite, _) => "",
            (crate::Backend::Postgres, true) => " FOR UPDATE",
            (crate::Backend::Postgres, false) => " FOR SHARE",
        };
        let sql = format!("SELECT {SURVEY_COLUMNS} FROM enps_surveys s WHERE s.id = $1{lock}");
        let row: Option<SurveyRow> = crate::on_tx!(self, conn => {
            sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await?
        });
        row.ok_or(StoreError::NotFound)?.into_survey()
    }

    /// Whether the survey asked `person` (`None`: it did not) and whether they answered.
    pub async fn participation(&mut self, survey: Uuid, person: Uuid) -> StoreResult<Option<bool>> {
        Ok(crate::on_tx!(read self, conn => {
            sqlx::query_scalar(
                "SELECT answered FROM enps_participants WHERE survey_id = $1 AND person_id = $2",
            )
            .bind(survey)
            .bind(person)
            .fetch_optional(&mut *conn)
            .await?
        }))
    }

    /// Mark `person` as having answered: their position at launch the first time, `None` if
    /// they had answered already (or were not asked).
    pub async fn mark_answered(
        &mut self,
        survey: Uuid,
        person: Uuid,
    ) -> StoreResult<Option<Position>> {
        let flipped: Option<(Option<String>, Option<Uuid>)> = crate::on_tx!(self, conn => {
            sqlx::query_as(
                "UPDATE enps_participants SET answered = TRUE \
                 WHERE survey_id = $1 AND person_id = $2 AND answered = FALSE \
                 RETURNING department, manager_id",
            )
            .bind(survey)
            .bind(person)
            .fetch_optional(&mut *conn)
            .await?
        });
        Ok(flipped.map(|(department, manager)| Position {
            department,
            manager,
        }))
    }

    /// Keep an answer until the survey closes: its author's position, never the author.
    pub async fn add_pending_answer(
        &mut self,
        survey: Uuid,
        position: &Position,
        answer: &Answer,
    ) -> StoreResult<()> {
        let (p, a) = (position.clone(), answer.clone());
        crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO enps_pending_answers (survey_id, department, manager_id, score, \
                 expectations, comment) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(survey)
            .bind(p.department.clone())
            .bind(p.manager)
            .bind(i16::from(a.score))
            .bind(a.expectations.map(i16::from))
            .bind(a.comment.clone())
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Everyone a survey asked, with their position at launch.
    pub async fn survey_participants(
        &mut self,
        survey: Uuid,
    ) -> StoreResult<Vec<(Uuid, Position)>> {
        let rows: Vec<PositionRow> = crate::on_tx!(self, conn => {
            sqlx::query_as(
                "SELECT person_id, department, manager_id FROM enps_participants WHERE survey_id = $1",
            )
            .bind(survey)
            .fetch_all(&mut *conn)
            .await?
        });
        Ok(positions(rows))
    }

    /// The answers waiting for a survey's close.
    pub async fn pending_answers(&mut self, survey: Uuid) -> StoreResult<Vec<(Position, Answer)>> {
        type Row = (
            Option<String>,
            Option<Uuid>,
            i16,
            Option<i16>,
            Option<String>,
        );
        let rows: Vec<Row> = crate::on_tx!(self, conn => {
            sqlx::query_as(
                "SELECT department, manager_id, score, expectations, comment \
                 FROM enps_pending_answers WHERE survey_id = $1",
            )
            .bind(survey)
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter()
            .map(|(department, manager, score, expectations, comment)| {
                let score = u8::try_from(score).map_err(|_| corrupt("eNPS score"))?;
                let expectations = expectations
                    .map(u8::try_from)
                    .transpose()
                    .map_err(|_| corrupt("eNPS expectations"))?;
                Ok((
                    Position {
                        department,
                        manager,
                    },
                    Answer {
                        score,
                        expectations,
                        comment,
                    },
                ))
            })
            .collect()
    }

    /// Everyone's manager now, and their display names (for the labels of subtrees).
    pub async fn reporting_lines(&mut self) -> StoreResult<Vec<(Uuid, Option<Uuid>, String)>> {
        Ok(crate::on_tx!(self, conn => {
            sqlx::query_as("SELECT id, manager_id, display_name FROM people")
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Close a survey for good: its answers in cells (in the order given), every group's
    /// figures, the pending answers gone.
    pub async fn store_cut(
        &mut self,
        survey: Uuid,
        closes_at: DateTime<Utc>,
        finalized_at: DateTime<Utc>,
        answers: &[CutAnswer],
        results: &[NewResult],
    ) -> StoreResult<()> {
        let answers = answers.to_vec();
        let results = results.to_vec();
        crate::on_tx!(self, conn => {
            for chunk in answers.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO enps_answers (id, survey_id, cell, score, expectations, comment) ",
                );
                qb.push_values(chunk, |mut row, a| {
                    row.push_bind(a.id)
                        .push_bind(survey)
                        .push_bind(a.cell)
                        .push_bind(i16::from(a.answer.score))
                        .push_bind(a.answer.expectations.map(i16::from))
                        .push_bind(a.answer.comment.clone());
                });
                qb.build().execute(&mut *conn).await?;
            }
            for chunk in results.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO enps_results (survey_id, group_kind, group_key, label, parent_id, \
                     depth, audience, reportable, respondents, scores, expectations, comments, \
                     cells) ",
                );
                qb.push_values(chunk, |mut row, r| {
                    row.push_bind(survey)
                        .push_bind(r.kind)
                        .push_bind(r.key.clone())
                        .push_bind(r.label.clone())
                        .push_bind(r.parent_id)
                        .push_bind(r.depth)
                        .push_bind(r.audience)
                        .push_bind(r.reportable)
                        .push_bind(r.respondents)
                        .push_bind(r.scores.clone())
                        .push_bind(r.expectations.clone())
                        .push_bind(r.comments)
                        .push_bind(r.cells.clone());
                });
                qb.build().execute(&mut *conn).await?;
            }
            sqlx::query("DELETE FROM enps_pending_answers WHERE survey_id = $1")
                .bind(survey)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE enps_surveys SET closes_at = $1, finalized_at = $2 WHERE id = $3")
                .bind(closes_at)
                .bind(finalized_at)
                .bind(survey)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Move a survey's dates (the demo's surveys, which took place before it was seeded).
    pub async fn backdate_survey(
        &mut self,
        survey: Uuid,
        opens_at: DateTime<Utc>,
        closes_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        crate::on_tx!(self, conn => {
            sqlx::query(
                "UPDATE enps_surveys SET opens_at = $1, closes_at = $2, finalized_at = $2, \
                 created_at = $1 WHERE id = $3",
            )
            .bind(opens_at)
            .bind(closes_at)
            .bind(survey)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Database {
    /// Surveys past their close that have not been cut yet.
    pub async fn surveys_to_finalize(&self, now: DateTime<Utc>) -> StoreResult<Vec<Uuid>> {
        crate::with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT id FROM enps_surveys WHERE finalized_at IS NULL AND closes_at <= $1",
            )
            .bind(now)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Reclaim the space (and the content) of deleted pending answers now, on PostgreSQL;
    /// SQLite overwrites deleted rows as it deletes them (`secure_delete`).
    pub async fn vacuum_pending_answers(&self) -> StoreResult<()> {
        if let Database::Postgres(pool) = self {
            sqlx::query("VACUUM enps_pending_answers")
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}
