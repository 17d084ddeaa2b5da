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

/// One rater's ratings of a month (meetings held that started in it), with where they stand.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RaterRow {
    pub person_id: Uuid,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    pub ratings: i64,
    pub total: i64,
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

    /// Each rater's ratings of `measure` for the held 1:1s that started in `[from, until)`.
    pub async fn month_raters(
        &mut self,
        measure: Measure,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<RaterRow>> {
        let (column, only) = match measure {
            Measure::Useful => ("r.useful", ""),
            Measure::ExpectationsClear => (
                "r.expectations_clear",
                " AND r.expectations_clear IS NOT NULL AND r.person_id = m.report_id",
            ),
        };
        let sql = format!(
            "SELECT r.person_id, p.department, p.manager_id, COUNT(*) AS ratings, \
             CAST(SUM({column}) AS BIGINT) AS total FROM meeting_ratings r \
             JOIN meetings m ON m.id = r.meeting_id JOIN people p ON p.id = r.person_id \
             WHERE m.status = 'completed' AND m.starts_at >= $1 AND m.starts_at < $2{only} \
             GROUP BY r.person_id, p.department, p.manager_id"
        );
        Ok(on_tx!(self, conn => {
            sqlx::query_as(&sql)
                .bind(from)
                .bind(until)
                .fetch_all(&mut *conn)
                .await?
        }))
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
