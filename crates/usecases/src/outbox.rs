//! Turning the event log into jobs: each outgoing channel reads the log with a cursor of its
//! own. One fan-out is a change of its own: it takes the cursor's lock, reads what came after
//! it, queues the jobs the channel makes of those events and moves the cursor, in one
//! transaction; so an event becomes each target's job exactly once, whichever replica does it
//! and whenever one dies.

use oneonone_persistence::Tx;
use oneonone_persistence::events::Event;
use oneonone_persistence::jobs::NewJob;

use crate::Result;

/// What one fan-out did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Events read from the log.
    pub events: usize,
    /// Jobs queued.
    pub jobs: u64,
    /// Whether another replica held the cursor (nothing done).
    pub busy: bool,
}

/// Read up to `limit` events after the cursor `name`, queue the jobs `jobs_for` makes of them,
/// and move the cursor past them.
pub async fn fan_out<F>(tx: &mut Tx<'_>, name: &str, limit: i64, jobs_for: F) -> Result<FanOut>
where
    F: AsyncFnOnce(&mut Tx<'_>, &[Event]) -> Result<Vec<NewJob>>,
{
    let Some(cursor) = tx.lock_log_cursor(name).await? else {
        return Ok(FanOut {
            busy: true,
            ..FanOut::default()
        });
    };
    let events = tx.log_after(cursor, limit).await?;
    let Some(last) = events.last().map(Event::log_position) else {
        return Ok(FanOut::default());
    };
    let jobs = jobs_for(tx, &events).await?;
    let queued = tx.enqueue_jobs(&jobs).await?;
    tx.set_log_cursor(name, last).await?;
    Ok(FanOut {
        events: events.len(),
        jobs: queued,
        busy: false,
    })
}
