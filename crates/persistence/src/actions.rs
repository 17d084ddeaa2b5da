//! Action items.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::action::{ActionItem, ActionStatus};
use oneonone_domain::meeting::Meeting;
use sqlx::QueryBuilder;
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, now, with_pool};

const COLUMNS: &str = "a.id, a.meeting_id, a.series_id, a.assignee_id, a.created_by, a.manager_id, \
     a.report_id, a.title, a.due_date, a.status, a.completed_at, a.version, a.created_at, a.updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct Row {
    pub(crate) id: Uuid,
    pub(crate) meeting_id: Uuid,
    pub(crate) series_id: Option<Uuid>,
    pub(crate) assignee_id: Uuid,
    pub(crate) created_by: Uuid,
    pub(crate) manager_id: Uuid,
    pub(crate) report_id: Uuid,
    pub(crate) title: String,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) status: String,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl Row {
    pub(crate) fn into_item(self) -> StoreResult<ActionItem> {
        Ok(ActionItem {
            id: self.id,
            meeting_id: self.meeting_id,
            series_id: self.series_id,
            assignee_id: self.assignee_id,
            created_by: self.created_by,
            manager_id: self.manager_id,
            report_id: self.report_id,
            title: self.title,
            due_date: self.due_date,
            status: self.status.parse().map_err(|_| {
                StoreError::Other(sqlx::Error::Decode("stored status is invalid".into()))
            })?,
            completed_at: self.completed_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Filters of the action-item list. `participant` limits to 1:1s this person is in.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub participant: Uuid,
    pub assignee: Option<Uuid>,
    pub status: Option<ActionStatus>,
    /// Only items due before this date (overdue ones, with `status = open`).
    pub due_before: Option<NaiveDate>,
    /// Only items due on or after this date.
    pub due_from: Option<NaiveDate>,
    /// Only items due on or before this date.
    pub due_to: Option<NaiveDate>,
    /// Only items agreed in this meeting.
    pub meeting_id: Option<Uuid>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// Where the action items a meeting shows come from, as two `FROM … WHERE` clauses over `a`
/// for a `UNION ALL` (meeting `$meeting`, the open status `$open`): those agreed in it, and
/// those still open from any earlier 1:1 of the same two people (of any series, or none).
pub(crate) fn meeting_action_sources(meeting: &str, open: &str) -> [String; 2] {
    [
        format!("FROM action_items a WHERE a.meeting_id = {meeting}"),
        format!(
            "FROM meetings cur \
             JOIN action_items a ON a.status = {open} AND a.meeting_id <> cur.id AND ( \
               (a.manager_id = cur.manager_id AND a.report_id = cur.report_id) \
               OR (a.manager_id = cur.report_id AND a.report_id = cur.manager_id)) \
             JOIN meetings m ON m.id = a.meeting_id AND m.starts_at < cur.starts_at \
             WHERE cur.id = {meeting}"
        ),
    ]
}

/// Action items in the order they were agreed.
pub(crate) fn sort_actions(items: &mut [ActionItem]) {
    items.sort_by_key(|a| (a.created_at, a.id));
}

crate::read_both! {
    /// The action items a meeting shows ([`meeting_action_sources`]), in the order agreed.
    pub async fn meeting_action_items(meeting: &Meeting) -> StoreResult<Vec<ActionItem>>, ex => {
        let [own, open] = meeting_action_sources("$1", "$2");
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} {own} UNION ALL SELECT {COLUMNS} {open}"
        ))
        .bind(meeting.id)
        .bind(ActionStatus::Open.as_str())
        .fetch_all(ex)
        .await?;
        let mut items = rows.into_iter().map(Row::into_item).collect::<StoreResult<Vec<_>>>()?;
        sort_actions(&mut items);
        Ok(items)
    }
}

impl Database {
    /// A page of action items across all 1:1s of `filter.participant`, in creation order.
    pub async fn list_action_items(&self, f: &ActionFilter) -> StoreResult<Vec<ActionItem>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {COLUMNS} FROM action_items a WHERE (a.manager_id = "));
            qb.push_bind(f.participant).push(" OR a.report_id = ").push_bind(f.participant).push(")");
            if let Some(a) = f.assignee {
                qb.push(" AND a.assignee_id = ").push_bind(a);
            }
            if let Some(s) = f.status {
                qb.push(" AND a.status = ").push_bind(s.as_str());
            }
            if let Some(d) = f.due_before {
                qb.push(" AND a.due_date < ").push_bind(d);
            }
            if let Some(d) = f.due_from {
                qb.push(" AND a.due_date >= ").push_bind(d);
            }
            if let Some(d) = f.due_to {
                qb.push(" AND a.due_date <= ").push_bind(d);
            }
            if let Some(m) = f.meeting_id {
                qb.push(" AND a.meeting_id = ").push_bind(m);
            }
            if let Some(after) = f.after {
                qb.push(" AND a.id > ").push_bind(after);
            }
            qb.push(" ORDER BY a.id LIMIT ").push_bind(f.limit);
            let rows: Vec<Row> = qb.build_query_as().fetch_all(pool).await?;
            rows.into_iter().map(Row::into_item).collect()
        })
    }
}

impl crate::Tx<'_> {
    pub async fn create_action_item(
        &mut self,
        meeting: &Meeting,
        assignee: Uuid,
        created_by: Uuid,
        title: &str,
        due_date: Option<NaiveDate>,
    ) -> StoreResult<ActionItem> {
        let ts = now();
        let item = ActionItem {
            id: Uuid::now_v7(),
            meeting_id: meeting.id,
            series_id: meeting.series_id,
            assignee_id: assignee,
            created_by,
            manager_id: meeting.manager_id,
            report_id: meeting.report_id,
            title: title.to_owned(),
            due_date,
            status: ActionStatus::Open,
            completed_at: None,
            version: 1,
            created_at: ts,
            updated_at: ts,
        };
        // One statement, which can wait for the change's next statement or its commit.
        crate::write_later!(self,
            "INSERT INTO action_items (id, meeting_id, series_id, assignee_id, created_by, \
             manager_id, report_id, title, due_date, status, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11)";
            item.id,
            item.meeting_id,
            item.series_id,
            item.assignee_id,
            item.created_by,
            item.manager_id,
            item.report_id,
            item.title.clone(),
            item.due_date,
            item.status.as_str(),
            ts,
        )?;
        let due = crate::program_days::action_facts(item.manager_id, item.due_date, false, None);
        if !due.is_empty() {
            self.settle_actions(Vec::new(), due).await?;
        }
        Ok(item)
    }
}

impl crate::Tx<'_> {
    /// Change an action item if it is still at `expected_version`.
    pub async fn update_action_item(
        &mut self,
        current: &ActionItem,
        title: &str,
        due_date: Option<NaiveDate>,
        status: ActionStatus,
        assignee: Uuid,
    ) -> StoreResult<ActionItem> {
        let ts = now();
        let completed_at = match status {
            ActionStatus::Open => None,
            _ if current.status == status => current.completed_at,
            _ => Some(ts),
        };
        let (id, version, title) = (current.id, current.version, title.to_owned());
        StoreResult::Ok(crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE action_items SET title = $1, due_date = $2, status = $3, completed_at = $4, \
                 assignee_id = $5, updated_at = $6, version = version + 1 WHERE id = $7 AND version = $8",
            )
            .bind(title)
            .bind(due_date)
            .bind(status.as_str())
            .bind(completed_at)
            .bind(assignee)
            .bind(ts)
            .bind(id)
            .bind(version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        }))?;
        let after = self.get_action_item(current.id).await?;
        let facts = |x: &ActionItem| {
            crate::program_days::action_facts(
                x.manager_id,
                x.due_date,
                x.status == ActionStatus::Done,
                x.completed_at,
            )
        };
        let (was, is) = (facts(current), facts(&after));
        if was != is {
            self.settle_actions(was, is).await?;
        }
        Ok(after)
    }
}

crate::read_both! {
    pub async fn get_action_item(id: Uuid) -> StoreResult<ActionItem>, ex => {
            let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM action_items a WHERE a.id = $1"))
                .bind(id)
                .fetch_optional(ex)
                .await?;
            row.ok_or(StoreError::NotFound)?.into_item()
        }
}
