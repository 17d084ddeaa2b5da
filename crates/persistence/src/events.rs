//! The event log: what changed, to which record, by whom, when, and who may know.
//!
//! Every use case appends its events with [`Tx::append_events`] in the transaction of its
//! change, so an event exists exactly when its change does. Events carry metadata only: never
//! the text of an agenda item, a note or anything private.
//!
//! **Positions that never go backwards.** A reader that has seen an event at position N must
//! never later find a new event below N. On SQLite that holds by itself: one writer assigns
//! positions and commits them in order. On PostgreSQL transactions take sequence numbers in one
//! order and may commit in another, so an event's place in the log is `(txid, position)`, where
//! `txid` is the id of the transaction that appended it (assigned at its first write, increasing),
//! and readers only read events of transactions older than the oldest one still running
//! (`pg_snapshot_xmin(pg_current_snapshot())`). Any transaction that commits later either was
//! running then (so its id is at least that bound, above everything read) or had no id yet (so
//! it gets a larger one). The price: a long-running writing transaction holds the log back until
//! it ends.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Database, StoreError, StoreResult, Tx, now, with_pool};

/// A place in the log; readers continue after it. `(0, 0)` is before everything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LogPosition {
    pub txid: i64,
    pub position: i64,
}

/// Who can know about an event: the directory (everyone), the two people of a 1:1 (and HR
/// admins and `meetings:read` tokens for metadata), or one author alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audience {
    /// The pair of a 1:1 record, when the event is about one.
    pub pair: Option<(Uuid, Uuid)>,
    /// Meeting content (agenda, notes, action items, ratings): the pair alone, never HR or
    /// tokens.
    pub content: bool,
    /// A private record: its author alone, whoever else reads the log.
    pub private_to: Option<Uuid>,
}

/// An event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `person.created`, `meeting.completed`, `agenda_item.added`, …
    pub kind: &'static str,
    /// `person`, `meeting_series`, `meeting`, `agenda_item`, `note`, `action_item`, `rating`, …
    pub subject_type: &'static str,
    pub subject_id: Uuid,
    pub audience: Audience,
    /// Metadata (ids, statuses, the names of changed fields), never free text.
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, subject_type: &'static str, subject_id: Uuid) -> Self {
        Self {
            kind,
            subject_type,
            subject_id,
            audience: Audience::default(),
            data: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn pair(mut self, manager_id: Uuid, report_id: Uuid) -> Self {
        self.audience.pair = Some((manager_id, report_id));
        self
    }

    pub fn content(mut self) -> Self {
        self.audience.content = true;
        self
    }

    pub fn private_to(mut self, author: Option<Uuid>) -> Self {
        self.audience.private_to = author;
        self
    }

    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = data;
        self
    }
}

/// Who did it: a person, an API token, or the system (seed, schedules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventActor {
    pub person_id: Option<Uuid>,
    pub token_id: Option<Uuid>,
}

/// An event as read back.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Event {
    pub txid: i64,
    pub position: i64,
    pub id: Uuid,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_token: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub private_to: Option<Uuid>,
    pub content: bool,
    pub data: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct WindowRow {
    #[sqlx(flatten)]
    event: Event,
    visible: bool,
}

impl Event {
    pub fn log_position(&self) -> LogPosition {
        LogPosition {
            txid: self.txid,
            position: self.position,
        }
    }
}

/// Which events a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// A reader that is no person (an API token): directory events and, with `meetings`, the
    /// metadata of every 1:1; never content or private records.
    Metadata { meetings: bool },
    /// A person: the directory, their own 1:1 records (content included), their own private
    /// records; with `all_meetings` (HR admins) the metadata of every 1:1 too.
    Person { id: Uuid, all_meetings: bool },
    /// Everything (background jobs that decide per recipient themselves).
    System,
}

/// What a read of the log asks for.
#[derive(Debug, Clone)]
pub struct LogQuery {
    pub after: LogPosition,
    pub limit: u32,
    pub reader: Reader,
    /// Only these subject types (empty: all).
    pub subject_types: Vec<String>,
}

const COLUMNS: &str = "txid, position, id, kind, subject_type, subject_id, actor_id, actor_token, \
    manager_id, report_id, private_to, content, data, occurred_at";

/// An event ready to be written: every column but the position.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    id: Uuid,
    kind: &'static str,
    subject_type: &'static str,
    subject_id: Uuid,
    actor: EventActor,
    manager_id: Option<Uuid>,
    report_id: Option<Uuid>,
    private_to: Option<Uuid>,
    content: bool,
    data: String,
    occurred_at: DateTime<Utc>,
}

// SQLite's one writer commits a batch of changes at once (`writer`): the events of its changes
// that succeeded wait here, on the writer thread, and are written together just before the
// batch commits (one statement for the batch instead of one per change).
thread_local! {
    static PENDING: std::cell::RefCell<Vec<EventRow>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Hand a successful change's events to its batch (SQLite, on the writer thread).
pub(crate) fn pend(rows: Vec<EventRow>) {
    if !rows.is_empty() {
        PENDING.with(|p| p.borrow_mut().extend(rows));
    }
}

/// Write this thread's waiting events and commit the batch, in one command. The events go as
/// one JSON array (one statement whatever their number, prepared once).
pub(crate) async fn flush_pending_and_commit(conn: &mut sqlx::SqliteConnection) -> StoreResult<()> {
    let rows = PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()));
    if rows.is_empty() {
        sqlx::query("COMMIT").execute(&mut *conn).await?;
        return Ok(());
    }
    let hex = |id: Option<Uuid>| id.map(|i| i.simple().to_string());
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!([
                hex(Some(r.id)),
                r.kind,
                r.subject_type,
                hex(Some(r.subject_id)),
                hex(r.actor.person_id),
                hex(r.actor.token_id),
                hex(r.manager_id),
                hex(r.report_id),
                hex(r.private_to),
                r.content,
                r.data,
                // As sqlx writes a timestamp to SQLite.
                r.occurred_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
            ])
        })
        .collect();
    sqlx::query(
        "INSERT INTO events (id, kind, subject_type, subject_id, actor_id, actor_token, \
         manager_id, report_id, private_to, content, data, occurred_at) \
         SELECT unhex(value ->> 0), value ->> 1, value ->> 2, unhex(value ->> 3), \
         unhex(value ->> 4), unhex(value ->> 5), unhex(value ->> 6), unhex(value ->> 7), \
         unhex(value ->> 8), value ->> 9, value ->> 10, value ->> 11 \
         FROM json_each($1) ORDER BY key; COMMIT",
    )
    .bind(serde_json::Value::Array(json).to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// PostgreSQL: one statement, whatever the number of events: each column is one array
/// parameter, from `$first` on (`bind_arrays` binds them), in the order given.
pub(crate) fn insert_arrays_sql(first: usize) -> String {
    let types = [
        "uuid",
        "text",
        "text",
        "uuid",
        "uuid",
        "uuid",
        "uuid",
        "uuid",
        "uuid",
        "bool",
        "text",
        "timestamptz",
    ];
    let params: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, t)| format!("${}::{t}[]", first + i))
        .collect();
    format!(
        "INSERT INTO events (id, kind, subject_type, subject_id, actor_id, actor_token, \
         manager_id, report_id, private_to, content, data, occurred_at) \
         SELECT id, kind, subject_type, subject_id, actor_id, actor_token, manager_id, \
         report_id, private_to, content, data, occurred_at \
         FROM UNNEST({}) WITH ORDINALITY AS e(id, kind, subject_type, subject_id, actor_id, \
         actor_token, manager_id, report_id, private_to, content, data, occurred_at, n) \
         ORDER BY n",
        params.join(", ")
    )
}

/// The arrays of [`insert_arrays_sql`].
pub(crate) fn bind_arrays(
    args: &mut sqlx::postgres::PgArguments,
    rows: &[EventRow],
) -> StoreResult<()> {
    use sqlx::Arguments;
    fn column<T>(rows: &[EventRow], f: impl Fn(&EventRow) -> T) -> Vec<T> {
        rows.iter().map(f).collect()
    }
    let e = StoreError::encode;
    args.add(column(rows, |r| r.id)).map_err(e)?;
    args.add(column(rows, |r| r.kind)).map_err(e)?;
    args.add(column(rows, |r| r.subject_type)).map_err(e)?;
    args.add(column(rows, |r| r.subject_id)).map_err(e)?;
    args.add(column(rows, |r| r.actor.person_id)).map_err(e)?;
    args.add(column(rows, |r| r.actor.token_id)).map_err(e)?;
    args.add(column(rows, |r| r.manager_id)).map_err(e)?;
    args.add(column(rows, |r| r.report_id)).map_err(e)?;
    args.add(column(rows, |r| r.private_to)).map_err(e)?;
    args.add(column(rows, |r| r.content)).map_err(e)?;
    let data: Vec<&str> = rows.iter().map(|r| r.data.as_str()).collect();
    args.add(data).map_err(e)?;
    args.add(column(rows, |r| r.occurred_at)).map_err(e)?;
    Ok(())
}

impl Tx<'_> {
    /// Append events to the log, in this transaction: they commit with it or not at all
    /// (they are written at its commit).
    pub async fn append_events(
        &mut self,
        actor: EventActor,
        events: &[NewEvent],
    ) -> StoreResult<()> {
        let ts = now();
        self.events.extend(events.iter().map(|e| {
            let (manager_id, report_id) = e.audience.pair.unzip();
            EventRow {
                id: Uuid::now_v7(),
                kind: e.kind,
                subject_type: e.subject_type,
                subject_id: e.subject_id,
                actor,
                manager_id,
                report_id,
                private_to: e.audience.private_to,
                content: e.audience.content,
                data: e.data.to_string(),
                occurred_at: ts,
            }
        }));
        Ok(())
    }
}

impl Database {
    /// Events after `q.after` that `q.reader` may see, in log order, at most `q.limit`; and the
    /// position the reader has now read up to (past events it may not see, too, so a reader
    /// that sees little does not scan the same rows again and again).
    pub async fn read_log(&self, q: &LogQuery) -> StoreResult<(Vec<Event>, LogPosition)> {
        // The visibility rules as SQL, on columns written by `append_events`.
        let (who, see_meetings, system) = match q.reader {
            Reader::Metadata { meetings } => (None, meetings, false),
            Reader::Person { id, all_meetings } => (Some(id), all_meetings, false),
            Reader::System => (None, true, true),
        };
        let types = q.subject_types.join(",");
        let visible = "($4 OR ( \
                 (private_to IS NULL OR private_to = $5) \
                 AND ( (manager_id IS NULL AND content = FALSE) \
                       OR manager_id = $5 OR report_id = $5 \
                       OR ($6 AND manager_id IS NOT NULL AND content = FALSE AND private_to IS NULL) ) )) \
             AND ($7 = '' OR instr(',' || $7 || ',', ',' || subject_type || ',') > 0)";
        // The window of the log this read considers, and in the same statement (so from one
        // snapshot) which of its rows the reader may see: the reader has then read the whole
        // window, or up to its last visible row when the page is full.
        let scanned = q.limit.saturating_mul(4).max(64);
        let sql = format!(
            "SELECT {COLUMNS}, COALESCE(({visible}), FALSE) AS visible FROM events \
             WHERE {} LIMIT $3",
            crate::jobs::after_in_order(self.backend())
        );
        let sql = match self.backend() {
            crate::Backend::Sqlite => sql,
            // PostgreSQL has no instr(); strpos takes the same arguments.
            crate::Backend::Postgres => sql.replace("instr(", "strpos("),
        };
        let window: Vec<WindowRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(q.after.txid)
                .bind(q.after.position)
                .bind(i64::from(scanned))
                .bind(system)
                .bind(who)
                .bind(see_meetings)
                .bind(types.clone())
                .fetch_all(pool)
                .await?
        });
        let end_of_window = window.last().map(|r| r.event.log_position());
        let limit = usize::try_from(q.limit).unwrap_or(usize::MAX);
        let rows: Vec<Event> = window
            .into_iter()
            .filter(|r| r.visible)
            .map(|r| r.event)
            .take(limit)
            .collect();
        let read_to = if rows.len() >= limit {
            rows.last().map(Event::log_position).unwrap_or(q.after)
        } else {
            end_of_window.unwrap_or(q.after).max(q.after)
        };
        Ok((rows, read_to))
    }

    /// How many committed events of this kind the log holds (for tests and audits: no reader's
    /// horizon applies).
    pub async fn count_events(&self, kind: &str) -> StoreResult<i64> {
        let kind = kind.to_owned();
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = $1")
                .bind(&kind)
                .fetch_one(pool)
                .await?)
        })
    }

    /// The events of one record, oldest first (for tests and audits).
    pub async fn events_of(&self, subject_type: &str, subject_id: Uuid) -> StoreResult<Vec<Event>> {
        let subject_type = subject_type.to_owned();
        with_pool!(self, pool => {
            let rows: Vec<Event> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM events WHERE subject_type = $1 AND subject_id = $2 \
                 ORDER BY txid, position"
            ))
            .bind(&subject_type)
            .bind(subject_id)
            .fetch_all(pool)
            .await?;
            Ok(rows)
        })
    }
}
