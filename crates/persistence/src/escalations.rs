//! Escalation and PIP records, each read with what preceded it: the latest documented
//! expectation-setting conversation in its lookback window (see `domain::escalation`).

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::Population;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::goals::push_in_subtree;
use crate::{Database, StoreError, StoreResult, Tx, on_tx, with_pool};

/// An escalation as stored.
#[derive(Debug, Clone)]
pub struct NewEscalation {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub recorded_by: Uuid,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

/// An escalation as read, with the latest documented conversation before it, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EscalationRecord {
    pub id: Uuid,
    pub person_id: Uuid,
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub external_ref: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The latest held 1:1 with a shared record in the window, and when it started.
    pub meeting_id: Option<Uuid>,
    pub meeting_at: Option<DateTime<Utc>>,
    /// The latest check-in submitted in the window, and when.
    pub checkin_id: Option<Uuid>,
    pub checkin_at: Option<DateTime<Utc>>,
}

/// Which escalations a list or a report takes.
#[derive(Debug, Clone, Default)]
pub struct EscalationFilter {
    /// Days, the first in and the first out.
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub person: Option<Uuid>,
    /// The people of a department or a manager's subtree (deactivated ones included: an
    /// escalation often ends in a departure).
    pub slice: Option<Population>,
}

/// The escalation's columns and the correlated reads of what preceded it: a held 1:1 in which
/// its person was the report (manager, secondary manager or skip-level kind) with a shared
/// talking point or an action item, and a submitted check-in, each the latest in the window.
const READ: &str = "SELECT e.id, e.person_id, e.kind, e.occurred_on, e.external_ref, \
    e.recorded_by, e.created_at, m.id AS meeting_id, m.starts_at AS meeting_at, \
    c.id AS checkin_id, c.submitted_at AS checkin_at FROM escalations e \
    LEFT JOIN meetings m ON m.id = (SELECT m2.id FROM meetings m2 WHERE m2.report_id = e.person_id \
      AND m2.status = 'completed' \
      AND m2.kind IN ('manager_report', 'secondary_manager', 'skip_level') \
      AND m2.starts_at >= e.window_start AND m2.starts_at < e.window_end \
      AND (EXISTS (SELECT 1 FROM agenda_items a WHERE a.meeting_id = m2.id AND a.private = FALSE) \
        OR EXISTS (SELECT 1 FROM action_items x WHERE x.meeting_id = m2.id)) \
      ORDER BY m2.starts_at DESC LIMIT 1) \
    LEFT JOIN checkins c ON c.id = (SELECT c2.id FROM checkins c2 WHERE c2.person_id = e.person_id \
      AND c2.submitted_at IS NOT NULL \
      AND c2.submitted_at >= e.window_start AND c2.submitted_at < e.window_end \
      ORDER BY c2.submitted_at DESC LIMIT 1)";

crate::read_both! {
    /// One escalation with what preceded it.
    pub async fn get_escalation(id: Uuid) -> StoreResult<EscalationRecord>, ex => {
        sqlx::query_as(&format!("{READ} WHERE e.id = $1"))
            .bind(id)
            .fetch_optional(ex)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

impl Database {
    /// Escalations of `filter`, newest recorded first, before `before` (at most `limit`; all of
    /// them without one).
    pub async fn list_escalations(
        &self,
        filter: &EscalationFilter,
        before: Option<Uuid>,
        limit: Option<i64>,
    ) -> StoreResult<Vec<EscalationRecord>> {
        let filter = filter.clone();
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(READ);
            qb.push(" WHERE e.id < ").push_bind(before.unwrap_or(Uuid::max()));
            if let Some(from) = filter.from {
                qb.push(" AND e.occurred_on >= ").push_bind(from);
            }
            if let Some(until) = filter.until {
                qb.push(" AND e.occurred_on < ").push_bind(until);
            }
            if let Some(person) = filter.person {
                qb.push(" AND e.person_id = ").push_bind(person);
            }
            match &filter.slice {
                None | Some(Population::Everyone) => {}
                Some(Population::Department(d)) => {
                    qb.push(" AND e.person_id IN (SELECT id FROM people WHERE department = ")
                        .push_bind(d.clone())
                        .push(")");
                }
                Some(Population::Subtree(root)) => {
                    qb.push(" AND e.person_id <> ").push_bind(*root).push(" AND");
                    push_in_subtree(&mut qb, "e.person_id", *root);
                }
            }
            qb.push(" ORDER BY e.id DESC");
            if let Some(limit) = limit {
                qb.push(" LIMIT ").push_bind(limit);
            }
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }
}

impl Tx<'_> {
    pub async fn insert_escalation(&mut self, e: &NewEscalation) -> StoreResult<()> {
        let e = e.clone();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO escalations (id, person_id, kind, occurred_on, external_ref, \
                 recorded_by, window_start, window_end, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(e.id)
            .bind(e.person_id)
            .bind(&e.kind)
            .bind(e.occurred_on)
            .bind(&e.external_ref)
            .bind(e.recorded_by)
            .bind(e.window_start)
            .bind(e.window_end)
            .bind(e.created_at)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Remove an escalation recorded in error; whether it existed.
    pub async fn delete_escalation(&mut self, id: Uuid) -> StoreResult<bool> {
        let done = on_tx!(self, conn => {
            sqlx::query("DELETE FROM escalations WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        Ok(done > 0)
    }
}
