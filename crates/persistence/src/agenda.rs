//! Agenda items and notes of meetings.

use chrono::{DateTime, Utc};
use oneonone_domain::agenda::{AgendaCategory, AgendaItem, AgendaText};
use oneonone_domain::meeting::Meeting;
use uuid::Uuid;

pub use oneonone_domain::agenda::Note;

use crate::library::{Starter, record_starter_use};
use crate::{StoreError, StoreResult, now};

const ITEM_COLUMNS: &str = "id, meeting_id, author_id, title, details, category, private, \
     position, checked, checked_at, first_added_at, times_carried, goal_id, version, created_at, \
     updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    pub(crate) id: Uuid,
    pub(crate) meeting_id: Uuid,
    pub(crate) author_id: Uuid,
    pub(crate) title: String,
    pub(crate) details: Option<String>,
    pub(crate) category: String,
    pub(crate) private: bool,
    pub(crate) position: Option<i32>,
    pub(crate) checked: bool,
    pub(crate) checked_at: Option<DateTime<Utc>>,
    pub(crate) first_added_at: DateTime<Utc>,
    pub(crate) times_carried: i32,
    pub(crate) goal_id: Option<Uuid>,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl ItemRow {
    pub(crate) fn into_item(self) -> StoreResult<AgendaItem> {
        Ok(AgendaItem {
            id: self.id,
            meeting_id: self.meeting_id,
            author_id: self.author_id,
            title: self.title,
            details: self.details,
            category: self.category.parse().map_err(|_| {
                StoreError::Other(sqlx::Error::Decode("stored category is invalid".into()))
            })?,
            private: self.private,
            position: self.position,
            checked: self.checked,
            checked_at: self.checked_at,
            first_added_at: self.first_added_at,
            times_carried: self.times_carried,
            goal_id: self.goal_id,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The owner key of the shared note.
pub const SHARED_NOTE: &str = "shared";

/// The changes an agenda item can take.
#[derive(Debug, Clone)]
pub struct ItemUpdate {
    pub text: AgendaText,
    pub category: AgendaCategory,
    pub private: bool,
    pub checked: bool,
}

/// Put a template's talking points on a meeting's agenda (shared, by `$author`, remembering
/// the template), on `$ex` inside a transaction.
macro_rules! insert_template_items {
    ($ex:expr, $meeting_id:expr, $author:expr, $template:expr, $ts:expr) => {{
        let template: &$crate::library::Template = $template;
        let ts: DateTime<Utc> = $ts;
        for (category, title) in &template.items {
            sqlx::query(
                "INSERT INTO agenda_items (id, meeting_id, author_id, title, category, private, \
                 checked, first_added_at, times_carried, version, created_at, updated_at, template_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 0, 1, $7, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind($meeting_id)
            .bind($author)
            .bind(title.as_str())
            .bind(category.as_str())
            .bind(false)
            .bind(ts)
            .bind(template.id)
            .execute(&mut *$ex)
            .await?;
        }
    }};
}
pub(crate) use insert_template_items;

#[derive(sqlx::FromRow)]
pub(crate) struct NoteRow {
    pub(crate) owner_key: String,
    pub(crate) body: String,
    pub(crate) updated_by: Uuid,
    pub(crate) version: i64,
    pub(crate) updated_at: DateTime<Utc>,
}

/// The shared note and `viewer`'s private note among `rows` (a meeting's notes).
pub(crate) fn split_notes(rows: Vec<NoteRow>, viewer: Uuid) -> (Option<Note>, Option<Note>) {
    let mine = viewer.to_string();
    let (mut shared, mut private) = (None, None);
    for row in rows {
        let note = Note {
            body: row.body,
            updated_by: row.updated_by,
            version: row.version,
            updated_at: row.updated_at,
        };
        if row.owner_key == SHARED_NOTE {
            shared = Some(note);
        } else if row.owner_key == mine {
            private = Some(note);
        }
    }
    (shared, private)
}

/// Agenda order: positioned items by position, then the unpositioned ones with the report's
/// first (the employee leads), each group by creation.
pub(crate) fn sort_agenda(items: &mut [AgendaItem], report_id: Uuid) {
    items.sort_by(|a, b| {
        (
            a.position.is_none(),
            a.position,
            a.author_id != report_id,
            a.created_at,
            a.id,
        )
            .cmp(&(
                b.position.is_none(),
                b.position,
                b.author_id != report_id,
                b.created_at,
                b.id,
            ))
    });
}

crate::read_both! {
    /// The shared note and `viewer`'s private note of a meeting, in one query.
    pub async fn notes_for(meeting_id: Uuid, viewer: Uuid) -> StoreResult<(Option<Note>, Option<Note>)>, ex => {
        let rows: Vec<NoteRow> = sqlx::query_as(
            "SELECT owner_key, body, updated_by, version, updated_at FROM meeting_notes \
             WHERE meeting_id = $1 AND owner_key IN ($2, $3)",
        )
        .bind(meeting_id)
        .bind(SHARED_NOTE)
        .bind(viewer.to_string())
        .fetch_all(ex)
        .await?;
        Ok(split_notes(rows, viewer))
    }
}

/// A new talking point's fields besides its text.
#[derive(Debug, Clone, Copy)]
pub struct ItemFields {
    pub category: AgendaCategory,
    pub private: bool,
    /// The goal it is about.
    pub goal_id: Option<Uuid>,
}

impl crate::Tx<'_> {
    /// Add an item. With `starter`, the use of that conversation starter is recorded with it
    /// (in the same transaction), for suggestions and topic reports.
    pub async fn add_agenda_item(
        &mut self,
        meeting: &Meeting,
        author_id: Uuid,
        text: &AgendaText,
        fields: ItemFields,
        starter: Option<&Starter>,
    ) -> StoreResult<AgendaItem> {
        let ItemFields {
            category,
            private,
            goal_id,
        } = fields;
        let ts = now();
        let item = AgendaItem {
            id: Uuid::now_v7(),
            meeting_id: meeting.id,
            author_id,
            title: text.title.as_str().to_owned(),
            details: text.details.as_ref().map(|d| d.as_str().to_owned()),
            category,
            private,
            position: None,
            checked: false,
            checked_at: None,
            first_added_at: ts,
            times_carried: 0,
            goal_id,
            version: 1,
            created_at: ts,
            updated_at: ts,
        };
        // The columns of ITEM_COLUMNS, written out to make a constant.
        const INSERT: &str = "INSERT INTO agenda_items (id, meeting_id, author_id, title, \
             details, category, private, position, checked, checked_at, first_added_at, \
             times_carried, goal_id, version, created_at, updated_at) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, NULL, $8, NULL, $9, 0, $10, 1, $9, $9)";
        debug_assert!(INSERT.contains(ITEM_COLUMNS));
        macro_rules! insert_item {
            ($ex:expr, $item:expr) => {
                sqlx::query(INSERT)
                    .bind($item.id)
                    .bind($item.meeting_id)
                    .bind($item.author_id)
                    .bind($item.title.as_str())
                    .bind($item.details.as_deref())
                    .bind($item.category.as_str())
                    .bind($item.private)
                    .bind(false)
                    .bind($item.created_at)
                    .bind($item.goal_id)
                    .execute($ex)
                    .await?
            };
        }
        // A held 1:1's talking points count for the program report's content signals.
        let held = if meeting.status == oneonone_domain::meeting::MeetingStatus::Completed {
            Some(self.meeting_facts(&[meeting.id]).await?)
        } else {
            None
        };
        let Some(starter) = starter else {
            // One statement, which can wait for the change's next statement or its commit.
            crate::write_later!(self, INSERT;
                item.id,
                item.meeting_id,
                item.author_id,
                item.title.clone(),
                item.details.clone(),
                item.category.as_str(),
                item.private,
                false,
                item.created_at,
                item.goal_id,
            )?;
            if let Some(before) = held {
                self.settle_content(before, item.meeting_id).await?;
            }
            return Ok(item);
        };
        let pair = (meeting.manager_id, meeting.report_id);
        let (starter_id, starter_category) = (starter.id, starter.category);
        let item = crate::on_tx!(self, conn => {
            insert_item!(&mut *conn, item);
            record_starter_use!(
                &mut *conn, starter_id, starter_category, item.meeting_id, pair, item.id, ts
            );
            item
        });
        if let Some(before) = held {
            self.settle_content(before, item.meeting_id).await?;
        }
        Ok(item)
    }
}

impl crate::Tx<'_> {
    /// Change an item if it is still at `expected_version`.
    pub async fn update_agenda_item(
        &mut self,
        current: &AgendaItem,
        expected_version: i64,
        update: &ItemUpdate,
    ) -> StoreResult<AgendaItem> {
        let ts = now();
        let checked_at = match (current.checked, update.checked) {
            (false, true) => Some(ts),
            (true, true) => current.checked_at,
            _ => None,
        };
        let (id, update) = (current.id, update.clone());
        let before = self.meeting_facts(&[current.meeting_id]).await?;
        StoreResult::Ok(crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE agenda_items SET title = $1, details = $2, category = $3, private = $4, \
                 checked = $5, checked_at = $6, updated_at = $7, version = version + 1 \
                 WHERE id = $8 AND version = $9",
            )
            .bind(update.text.title.as_str())
            .bind(update.text.details.as_ref().map(|d| d.as_str()))
            .bind(update.category.as_str())
            .bind(update.private)
            .bind(update.checked)
            .bind(checked_at)
            .bind(ts)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        }))?;
        self.settle_content(before, current.meeting_id).await?;
        self.get_agenda_item(current.meeting_id, current.id).await
    }
    pub async fn delete_agenda_item(&mut self, id: Uuid, expected_version: i64) -> StoreResult<()> {
        let meeting: Option<Uuid> = crate::on_tx!(read self, conn => {
            sqlx::query_scalar("SELECT meeting_id FROM agenda_items WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        });
        let before = self.meeting_facts(&Vec::from_iter(meeting)).await?;
        crate::on_tx!(self, conn => {
            let done = sqlx::query("DELETE FROM agenda_items WHERE id = $1 AND version = $2")
                .bind(id)
                .bind(expected_version)
                .execute(&mut *conn)
                .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        });
        if let Some(meeting) = meeting {
            self.settle_content(before, meeting).await?;
        }
        Ok(())
    }
    /// Put these items of a meeting in this order (positions 1, 2, …).
    pub async fn reorder_agenda(&mut self, meeting_id: Uuid, ordered: &[Uuid]) -> StoreResult<()> {
        let ts = now();
        let ordered = ordered.to_vec();
        crate::on_tx!(self, conn => {
            for (i, id) in ordered.iter().enumerate() {
                sqlx::query(
                    "UPDATE agenda_items SET position = $1, updated_at = $2, version = version + 1 \
                     WHERE id = $3 AND meeting_id = $4",
                )
                .bind(i32::try_from(i + 1).unwrap_or(i32::MAX))
                .bind(ts)
                .bind(*id)
                .bind(meeting_id)
                .execute(&mut *conn)
                .await?;
            }
            StoreResult::Ok(())
        })
    }
    /// Write a note. With `expected_version`, refuse ([`StoreError::Stale`]) when it changed.
    pub async fn put_note(
        &mut self,
        meeting_id: Uuid,
        owner_key: &str,
        body: &str,
        by: Uuid,
        expected_version: Option<i64>,
    ) -> StoreResult<Note> {
        let ts = now();
        let (owner_key, body) = (owner_key.to_owned(), body.to_owned());
        crate::on_tx!(self, conn => {
            let current: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM meeting_notes WHERE meeting_id = $1 AND owner_key = $2",
            )
            .bind(meeting_id)
            .bind(&owner_key)
            .fetch_optional(&mut *conn)
            .await?;
            if expected_version.is_some() && expected_version != current {
                return Err(StoreError::Stale);
            }
            match current {
                None => {
                    sqlx::query(
                        "INSERT INTO meeting_notes (meeting_id, owner_key, body, updated_by, version, \
                         created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5)",
                    )
                    .bind(meeting_id)
                    .bind(&owner_key)
                    .bind(&body)
                    .bind(by)
                    .bind(ts)
                    .execute(&mut *conn)
                    .await?;
                }
                Some(_) => {
                    sqlx::query(
                        "UPDATE meeting_notes SET body = $1, updated_by = $2, updated_at = $3, \
                         version = version + 1 WHERE meeting_id = $4 AND owner_key = $5",
                    )
                    .bind(&body)
                    .bind(by)
                    .bind(ts)
                    .bind(meeting_id)
                    .bind(&owner_key)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(Note {
                body,
                updated_by: by,
                version: current.map_or(1, |v| v + 1),
                updated_at: ts,
            })
        })
    }
    /// Add a template's talking points to a meeting's agenda, all or none, as `author`'s shared
    /// items.
    pub async fn apply_template(
        &mut self,
        meeting_id: Uuid,
        author: Uuid,
        template: &crate::library::Template,
    ) -> StoreResult<()> {
        let ts = now();
        let template = template.clone();
        let before = self.meeting_facts(&[meeting_id]).await?;
        crate::on_tx!(self, conn => {
            insert_template_items!(&mut *conn, meeting_id, author, &template, ts);
        });
        self.settle_content(before, meeting_id).await
    }
}

crate::read_both! {
    pub async fn get_agenda_item(meeting_id: Uuid, id: Uuid) -> StoreResult<AgendaItem>, ex => {
            let row: Option<ItemRow> = sqlx::query_as(&format!(
                "SELECT {ITEM_COLUMNS} FROM agenda_items WHERE id = $1 AND meeting_id = $2"
            ))
            .bind(id)
            .bind(meeting_id)
            .fetch_optional(ex)
            .await?;
            row.ok_or(StoreError::NotFound)?.into_item()
        }
}

crate::read_both! {
    /// The agenda of a meeting as `viewer` sees it: shared items and their own private ones.
    /// Reordered items first by position; then the report's items, then the others', each in
    /// the order they were added (the employee leads).
    pub async fn list_agenda(meeting_id: Uuid, viewer: Uuid, report_id: Uuid) -> StoreResult<Vec<AgendaItem>>, ex => {
            let rows: Vec<ItemRow> = sqlx::query_as(&format!(
                "SELECT {ITEM_COLUMNS} FROM agenda_items WHERE meeting_id = $1 \
                 AND (private = $2 OR author_id = $3)"
            ))
            .bind(meeting_id)
            .bind(false)
            .bind(viewer)
            .fetch_all(ex)
            .await?;
            let mut items = rows.into_iter().map(ItemRow::into_item).collect::<StoreResult<Vec<_>>>()?;
            sort_agenda(&mut items, report_id);
            Ok(items)
        }
}
