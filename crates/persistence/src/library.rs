//! The conversation-starter library and agenda templates.

use chrono::{DateTime, Utc};
use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::library::{STARTERS, TEMPLATES};
use uuid::Uuid;

pub use oneonone_domain::library::{Starter, Template};

use crate::{Database, StoreError, StoreResult, now, with_pool};

const SEEDED: &str = "library_seeded";

#[derive(sqlx::FromRow)]
struct StarterRow {
    id: Uuid,
    category: String,
    question: String,
    active: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn bad(what: &str) -> StoreError {
    StoreError::Other(sqlx::Error::Decode(
        format!("stored {what} is invalid").into(),
    ))
}

impl StarterRow {
    fn into_starter(self) -> StoreResult<Starter> {
        Ok(Starter {
            id: self.id,
            category: self.category.parse().map_err(|_| bad("category"))?,
            question: self.question,
            active: self.active,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TemplateRow {
    id: Uuid,
    owner_id: Option<Uuid>,
    kind: String,
    name: String,
    items: String,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TemplateRow {
    pub(crate) fn into_template(self) -> StoreResult<Template> {
        let raw: Vec<(String, String)> =
            serde_json::from_str(&self.items).map_err(|_| bad("items"))?;
        let items = raw
            .into_iter()
            .map(|(c, t)| c.parse().map(|c| (c, t)).map_err(|_| bad("category")))
            .collect::<StoreResult<_>>()?;
        Ok(Template {
            id: self.id,
            owner_id: self.owner_id,
            kind: self.kind,
            name: self.name,
            items,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn items_json(items: &[(AgendaCategory, String)]) -> String {
    let raw: Vec<(&str, &str)> = items
        .iter()
        .map(|(c, t)| (c.as_str(), t.as_str()))
        .collect();
    serde_json::to_string(&raw).unwrap_or_else(|_| "[]".into())
}

const STARTER_COLUMNS: &str = "id, category, question, active, version, created_at, updated_at";
pub(crate) const TEMPLATE_COLUMNS: &str =
    "id, owner_id, kind, name, items, version, created_at, updated_at";

/// Record that a pair put a starter on a meeting's agenda, on `$ex` (inside the transaction that
/// adds the agenda item).
macro_rules! record_starter_use {
    ($ex:expr, $starter_id:expr, $category:expr, $meeting_id:expr, $pair:expr, $item_id:expr, $ts:expr) => {
        sqlx::query(
            "INSERT INTO starter_uses (starter_id, meeting_id, manager_id, report_id, \
             agenda_item_id, category, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($starter_id)
        .bind($meeting_id)
        .bind($pair.0)
        .bind($pair.1)
        .bind($item_id)
        .bind($category.as_str())
        .bind($ts)
        .execute($ex)
        .await?
    };
}
pub(crate) use record_starter_use;

/// Read one agenda template on `$ex` (inside a transaction); `?` on a missing one.
macro_rules! fetch_template {
    ($ex:expr, $id:expr) => {{
        let row: Option<$crate::library::TemplateRow> = sqlx::query_as(&format!(
            "SELECT {} FROM agenda_templates WHERE id = $1 AND deleted_at IS NULL",
            $crate::library::TEMPLATE_COLUMNS
        ))
        .bind($id)
        .fetch_optional($ex)
        .await?;
        row.ok_or($crate::StoreError::NotFound)?.into_template()?
    }};
}
pub(crate) use fetch_template;

impl Database {
    /// Fill the library the first time the server starts on a database (once: HR's later edits,
    /// deletions included, are never undone).
    pub async fn seed_library(&self) -> StoreResult<()> {
        let ts = now();
        self.transact(move |tx| {
            Box::pin(async move {
                crate::on_tx!(tx, conn => {
            let done: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(SEEDED)
                .fetch_optional(&mut *conn)
                .await?;
            if done.is_none() {
                for (category, question) in STARTERS {
                    sqlx::query(&format!(
                        "INSERT INTO conversation_starters ({STARTER_COLUMNS}) VALUES ($1, $2, $3, $4, 1, $5, $5)"
                    ))
                    .bind(Uuid::now_v7())
                    .bind(category.as_str())
                    .bind(question)
                    .bind(true)
                    .bind(ts)
                    .execute(&mut *conn)
                    .await?;
                }
                for (kind, name, items) in TEMPLATES {
                    let items: Vec<(AgendaCategory, String)> =
                        items.iter().map(|(c, t)| (*c, (*t).to_owned())).collect();
                    sqlx::query(&format!(
                        "INSERT INTO agenda_templates ({TEMPLATE_COLUMNS}) VALUES ($1, NULL, $2, $3, $4, 1, $5, $5)"
                    ))
                    .bind(Uuid::now_v7())
                    .bind(kind)
                    .bind(name)
                    .bind(items_json(&items))
                    .bind(ts)
                    .execute(&mut *conn)
                    .await?;
                }
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
                    .bind(SEEDED)
                    .bind(ts.to_rfc3339())
                    .execute(&mut *conn)
                    .await?;
            }
                });
                StoreResult::Ok(())
            })
        })
        .await
    }

    pub async fn list_starters(
        &self,
        category: Option<AgendaCategory>,
        include_inactive: bool,
    ) -> StoreResult<Vec<Starter>> {
        with_pool!(self, pool => {
            let rows: Vec<StarterRow> = sqlx::query_as(&format!(
                "SELECT {STARTER_COLUMNS} FROM conversation_starters \
                 WHERE ($1 OR active = $2) AND ($3 IS NULL OR category = $3) ORDER BY category, id"
            ))
            .bind(include_inactive)
            .bind(true)
            .bind(category.map(|c| c.as_str()))
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(StarterRow::into_starter).collect()
        })
    }

    /// Active starters this pair has not used since `since`, least used by them first.
    pub async fn suggested_starters(
        &self,
        manager: Uuid,
        report: Uuid,
        viewer: Uuid,
        since: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<Starter>> {
        // Only uses `viewer` may know of count: a starter used for someone else's private
        // talking point leaves no trace in what `viewer` is offered (neither missing nor moving).
        const KNOWN: &str = "EXISTS (SELECT 1 FROM agenda_items a WHERE a.id = u.agenda_item_id \
             AND (a.private = $6 OR a.author_id = $7))";
        with_pool!(self, pool => {
            let rows: Vec<StarterRow> = sqlx::query_as(&format!(
                "SELECT {STARTER_COLUMNS} FROM conversation_starters s WHERE s.active = $1 \
                 AND NOT EXISTS (SELECT 1 FROM starter_uses u WHERE u.starter_id = s.id \
                   AND u.manager_id = $2 AND u.report_id = $3 AND u.used_at >= $4 AND {KNOWN}) \
                 ORDER BY (SELECT COUNT(*) FROM starter_uses u WHERE u.category = s.category \
                   AND u.manager_id = $2 AND u.report_id = $3 AND {KNOWN}), s.id LIMIT $5"
            ))
            .bind(true)
            .bind(manager)
            .bind(report)
            .bind(since)
            .bind(limit)
            .bind(false)
            .bind(viewer)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(StarterRow::into_starter).collect()
        })
    }

    /// The shared templates and, with `owner`, that person's own (all, for `None` owner and
    /// `everyone`: HR admins see every template), never deleted ones.
    pub async fn list_templates(
        &self,
        owner: Option<Uuid>,
        everyone: bool,
    ) -> StoreResult<Vec<Template>> {
        with_pool!(self, pool => {
            let rows: Vec<TemplateRow> = sqlx::query_as(&format!(
                "SELECT {TEMPLATE_COLUMNS} FROM agenda_templates WHERE deleted_at IS NULL \
                 AND ($1 OR owner_id IS NULL OR owner_id = $2) ORDER BY id"
            ))
            .bind(everyone)
            .bind(owner)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(TemplateRow::into_template).collect()
        })
    }
}

impl crate::Tx<'_> {
    /// A new template, the shared library's (`owner` `None`) or a person's own.
    pub async fn create_template(
        &mut self,
        owner: Option<Uuid>,
        name: &str,
        items: &[(AgendaCategory, String)],
    ) -> StoreResult<Template> {
        let ts = now();
        let id = Uuid::now_v7();
        crate::on_tx!(self, conn => {
            sqlx::query(&format!(
                "INSERT INTO agenda_templates ({TEMPLATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)"
            ))
            .bind(id)
            .bind(owner)
            .bind("custom")
            .bind(name)
            .bind(items_json(items))
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        });
        Ok(Template {
            id,
            owner_id: owner,
            kind: "custom".into(),
            name: name.to_owned(),
            items: items.to_vec(),
            version: 1,
            created_at: ts,
            updated_at: ts,
        })
    }

    /// Delete a template still at `expected_version`; the series that started every meeting with
    /// it stop doing so. Returns those series (their ids and pairs).
    pub async fn delete_template(
        &mut self,
        id: Uuid,
        expected_version: i64,
    ) -> StoreResult<Vec<(Uuid, Uuid, Uuid)>> {
        let ts = now();
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE agenda_templates SET deleted_at = $1, updated_at = $1, version = version + 1 \
                 WHERE id = $2 AND version = $3 AND deleted_at IS NULL",
            )
            .bind(ts)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
            let detached: Vec<(Uuid, Uuid, Uuid)> = sqlx::query_as(
                "UPDATE meeting_series SET agenda_template_id = NULL, updated_at = $1, \
                 version = version + 1 WHERE agenda_template_id = $2 \
                 RETURNING id, manager_id, report_id",
            )
            .bind(ts)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
            Ok(detached)
        })
    }

    pub async fn create_starter(
        &mut self,
        category: AgendaCategory,
        question: &str,
    ) -> StoreResult<Starter> {
        let id = Uuid::now_v7();
        let ts = now();
        let question = question.to_owned();
        StoreResult::Ok(crate::on_tx!(self, conn => {
            sqlx::query(&format!(
                "INSERT INTO conversation_starters ({STARTER_COLUMNS}) VALUES ($1, $2, $3, $4, 1, $5, $5)"
            ))
            .bind(id)
            .bind(category.as_str())
            .bind(question)
            .bind(true)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
        }))?;
        self.get_starter(id).await
    }
    pub async fn update_starter(
        &mut self,
        id: Uuid,
        expected_version: i64,
        category: AgendaCategory,
        question: &str,
        active: bool,
    ) -> StoreResult<Starter> {
        let ts = now();
        let question = question.to_owned();
        StoreResult::Ok(crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE conversation_starters SET category = $1, question = $2, active = $3, \
                 updated_at = $4, version = version + 1 WHERE id = $5 AND version = $6",
            )
            .bind(category.as_str())
            .bind(question)
            .bind(active)
            .bind(ts)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        }))?;
        self.get_starter(id).await
    }
    pub async fn update_template(
        &mut self,
        id: Uuid,
        expected_version: i64,
        name: &str,
        items: &[(AgendaCategory, String)],
    ) -> StoreResult<Template> {
        let ts = now();
        let (name, items) = (name.to_owned(), items_json(items));
        StoreResult::Ok(crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE agenda_templates SET name = $1, items = $2, updated_at = $3, \
                 version = version + 1 WHERE id = $4 AND version = $5",
            )
            .bind(name)
            .bind(items)
            .bind(ts)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        }))?;
        self.get_template(id).await
    }
}

crate::read_both! {
    pub async fn get_starter(id: Uuid) -> StoreResult<Starter>, ex => {
            let row: Option<StarterRow> = sqlx::query_as(&format!(
                "SELECT {STARTER_COLUMNS} FROM conversation_starters WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(ex)
            .await?;
            row.ok_or(StoreError::NotFound)?.into_starter()
        }
}

crate::read_both! {
    pub async fn get_template(id: Uuid) -> StoreResult<Template>, ex => {
            let row: Option<TemplateRow> = sqlx::query_as(&format!(
                "SELECT {TEMPLATE_COLUMNS} FROM agenda_templates WHERE id = $1 AND deleted_at IS NULL"
            ))
            .bind(id)
            .fetch_optional(ex)
            .await?;
            row.ok_or(StoreError::NotFound)?.into_template()
        }
}
