//! Closed months of 1:1 ratings: the per-rater sums a month is cut from (read once, when it
//! closes), and the shown groups' figures kept afterwards. See migration 0026.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::{Database, StoreResult, Tx, on_tx, with_pool};

/// What a rating measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// "Was this 1:1 useful?", by either participant.
    Useful,
    /// "I know what is expected of me", by the report.
    ExpectationsClear,
}

impl Measure {
    pub const ALL: [Measure; 2] = [Measure::Useful, Measure::ExpectationsClear];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Useful => "useful",
            Measure::ExpectationsClear => "expectations_clear",
        }
    }
}

/// One rater's ratings of a month (meetings held that started in it), both measures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RaterRow {
    pub person_id: Uuid,
    /// "Useful" ratings given, and their sum.
    pub useful: i64,
    pub useful_total: i64,
    /// "Expectations clear" answers given (as the meeting's report), and their sum.
    pub clear: i64,
    pub clear_total: i64,
}

impl RaterRow {
    /// How many ratings of `measure`, and their sum.
    pub fn of(&self, measure: Measure) -> (i64, i64) {
        match measure {
            Measure::Useful => (self.useful, self.useful_total),
            Measure::ExpectationsClear => (self.clear, self.clear_total),
        }
    }
}

/// Where a person stands: their manager and department, read in one statement with everyone
/// else's so that the lines and the raters' positions agree.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PositionRow {
    pub id: Uuid,
    pub manager_id: Option<Uuid>,
    pub department: Option<String>,
}

/// A shown group's figures of one month.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RatingGroupRow {
    pub month: NaiveDate,
    pub measure: String,
    pub group_kind: String,
    pub group_key: String,
    pub raters: i32,
    pub ratings: i32,
    pub total: i32,
}

impl Tx<'_> {
    /// Take `month` to close it: `false` when it is closed already (or another replica is
    /// closing it in a transaction that will commit first).
    pub async fn claim_rating_month(
        &mut self,
        month: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO rating_months (month, frozen_at) VALUES ($1, $2) \
                 ON CONFLICT (month) DO NOTHING",
            )
            .bind(month)
            .bind(at)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Keep the shown groups of a closed month.
    pub async fn store_rating_groups(&mut self, rows: &[RatingGroupRow]) -> StoreResult<()> {
        let rows = rows.to_vec();
        on_tx!(self, conn => {
            for chunk in rows.chunks(500) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO rating_groups (month, measure, group_kind, group_key, raters, \
                     ratings, total) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.month)
                        .push_bind(r.measure.clone())
                        .push_bind(r.group_kind.clone())
                        .push_bind(r.group_key.clone())
                        .push_bind(r.raters)
                        .push_bind(r.ratings)
                        .push_bind(r.total);
                });
                qb.build().execute(&mut *conn).await?;
            }
        });
        Ok(())
    }
}

impl Database {
    /// Each rater's ratings of the held 1:1s that started in `[from, until)` (a month: the
    /// held meetings' index by start finds them).
    pub async fn month_raters(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<RaterRow>> {
        const SQL: &str = "SELECT r.person_id, COUNT(*) AS useful, \
             CAST(SUM(r.useful) AS BIGINT) AS useful_total, \
             CAST(SUM(CASE WHEN r.expectations_clear IS NOT NULL AND r.person_id = m.report_id \
               THEN 1 ELSE 0 END) AS BIGINT) AS clear, \
             CAST(SUM(CASE WHEN r.person_id = m.report_id THEN r.expectations_clear ELSE 0 END) \
               AS BIGINT) AS clear_total \
             FROM meetings m JOIN meeting_ratings r ON r.meeting_id = m.id \
             WHERE m.status = 'completed' AND m.starts_at >= $1 AND m.starts_at < $2 \
             GROUP BY r.person_id";
        with_pool!(self, pool => {
            Ok(sqlx::query_as(SQL).bind(from).bind(until).fetch_all(pool).await?)
        })
    }

    /// Everyone's manager and department, as one statement sees them.
    pub async fn positions(&self) -> StoreResult<Vec<PositionRow>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as("SELECT id, manager_id, department FROM people")
                .fetch_all(pool)
                .await?)
        })
    }

    /// When the earliest held 1:1 started (`None`: none was held).
    pub async fn first_held_start(&self) -> StoreResult<Option<DateTime<Utc>>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT starts_at FROM meetings WHERE status = 'completed' \
                 ORDER BY starts_at LIMIT 1",
            )
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Which of `months` are closed already.
    pub async fn closed_rating_months(&self, months: &[NaiveDate]) -> StoreResult<Vec<NaiveDate>> {
        if months.is_empty() {
            return Ok(Vec::new());
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT month FROM rating_months WHERE month IN (");
            let mut list = qb.separated(", ");
            for m in months {
                list.push_bind(*m);
            }
            qb.push(")");
            Ok(qb.build_query_scalar().fetch_all(pool).await?)
        })
    }

    /// The shown figures of groups of `kind` (and `key`, if given) in the closed months
    /// `from..=to` (first days), by group, measure and month.
    pub async fn rating_group_figures(
        &self,
        kind: &str,
        key: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<RatingGroupRow>> {
        let (kind, key) = (kind.to_owned(), key.map(str::to_owned));
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(
                "SELECT month, measure, group_kind, group_key, raters, ratings, total \
                 FROM rating_groups WHERE group_kind = ",
            );
            qb.push_bind(kind.as_str());
            if let Some(k) = key.as_deref() {
                qb.push(" AND group_key = ").push_bind(k);
            }
            qb.push(" AND month >= ")
                .push_bind(from)
                .push(" AND month <= ")
                .push_bind(to)
                .push(" ORDER BY group_kind, group_key, measure, month");
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }
}
