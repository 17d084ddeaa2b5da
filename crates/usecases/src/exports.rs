//! Exports for HR systems: meeting and action-item metadata in bulk, streamed, with the log
//! position they are current to, so a nightly job takes only what changed since.

use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::exports::{
    ActionItemExportRow, ExportQuery, MeetingExportRow, ProgramExportRow,
};
use oneonone_persistence::{LogPosition, Session, StoreResult};
use tokio::sync::mpsc;

use crate::{Database, Result};

/// Rows in flight between the query and the response: the export's whole memory.
const BUFFER: usize = 1024;

/// An export under way: where in the log it is current to, and its rows as they are read.
pub struct Export<R> {
    /// Every change at or before this position is in the rows; pass it as `changed_since` next
    /// time (it is also a `/changes` cursor).
    pub current_to: LogPosition,
    /// The rows, in order; an `Err` ends the export unfinished.
    pub rows: mpsc::Receiver<StoreResult<R>>,
}

/// Whether `actor` may export, and whether their export shows `external_id`s.
pub fn authorize(actor: &Actor) -> Result<bool> {
    policy::export(actor)?;
    Ok(policy::see_hr_fields(actor))
}

/// Start an export on its own connection: the log position is read first, so a change after
/// it may show in the rows and again next time, but none before it is missing.
async fn start<R, F>(db: &Database, q: ExportQuery, run: F) -> Result<Export<R>>
where
    R: Send + 'static,
    F: for<'s> FnOnce(
            &'s mut Session,
            &'s ExportQuery,
            &'s mpsc::Sender<StoreResult<R>>,
        ) -> futures_util::future::BoxFuture<'s, StoreResult<()>>
        + Send
        + 'static,
{
    let current_to = db.log_head().await?;
    let mut session = db.session().await?;
    let (tx, rx) = mpsc::channel(BUFFER);
    tokio::spawn(async move {
        if let Err(e) = run(&mut session, &q, &tx).await {
            tracing::warn!(error = %e, "an export failed midway");
            let _ = tx.send(Err(e)).await;
        }
    });
    Ok(Export {
        current_to,
        rows: rx,
    })
}

/// Every meeting of `q`, in id order (tombstones of removed ones last).
pub async fn meetings(db: &Database, q: ExportQuery) -> Result<Export<MeetingExportRow>> {
    start(db, q, |s, q, tx| Box::pin(s.export_meetings(q, tx))).await
}

/// Every action item of `q`, in id order.
pub async fn action_items(db: &Database, q: ExportQuery) -> Result<Export<ActionItemExportRow>> {
    start(db, q, |s, q, tx| Box::pin(s.export_action_items(q, tx))).await
}

/// Every current manager of `q`'s slice, week by week (`(monday, from, until)` days, the
/// window's whole days that have ended), in manager id order.
pub async fn program(
    db: &Database,
    q: ExportQuery,
    weeks: Vec<(chrono::NaiveDate, chrono::NaiveDate, chrono::NaiveDate)>,
) -> Result<Export<ProgramExportRow>> {
    start(db, q, move |s, q, tx| {
        Box::pin(async move { s.export_program(q, &weeks, tx).await })
    })
    .await
}
