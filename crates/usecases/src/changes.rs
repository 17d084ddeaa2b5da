//! Following the change log: every change since a cursor that the reader may know about.

use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::Database;
use oneonone_persistence::events::{Event, LogPosition, LogQuery, Reader};

use crate::Result;

/// Records of the directory: people and the library.
pub const DIRECTORY_TYPES: [&str; 3] = ["person", "conversation_starter", "agenda_template"];
/// Records of 1:1s.
pub const MEETING_TYPES: [&str; 4] = ["meeting_series", "meeting", "agenda_item", "action_item"];
/// Records of performance management: goals, check-ins and eNPS surveys (never answers).
pub const GOAL_TYPES: [&str; 3] = ["goal", "checkin", "enps_survey"];

/// A page of the log.
#[derive(Debug, Clone)]
pub struct Page {
    pub events: Vec<Event>,
    /// Where the next read starts; the reader has seen everything before it.
    pub cursor: LogPosition,
    /// Whether more events may follow at once (a full page).
    pub more: bool,
}

/// The changes after `after` that `actor` may know about, at most `limit`, of these record
/// types (all when empty; names from [`DIRECTORY_TYPES`] and [`MEETING_TYPES`]).
pub async fn follow(
    db: &Database,
    actor: &Actor,
    after: LogPosition,
    limit: u32,
    types: &[String],
) -> Result<Page> {
    let view = policy::follow_changes(actor)?;
    let reader = match view.person {
        Some(id) => Reader::Person {
            id,
            all_meetings: view.all_meetings,
        },
        None => Reader::Metadata {
            meetings: view.all_meetings,
        },
    };
    let allowed: Vec<&str> = DIRECTORY_TYPES
        .iter()
        .filter(|_| view.directory)
        .chain(MEETING_TYPES.iter())
        .chain(GOAL_TYPES.iter().filter(|_| view.goals))
        .copied()
        .collect();
    let mut wanted: Vec<String> = if types.is_empty() {
        allowed.iter().map(|t| (*t).to_owned()).collect()
    } else {
        types
            .iter()
            .filter(|t| allowed.contains(&t.as_str()))
            .cloned()
            .collect()
    };
    if wanted.is_empty() {
        // Nothing the reader asked for is theirs to see: an empty page, cursor unmoved.
        wanted.push("-".into());
    }
    let (events, cursor) = db
        .read_log(&LogQuery {
            after,
            limit,
            reader,
            subject_types: wanted,
        })
        .await?;
    let more = events.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(Page {
        events,
        cursor,
        more,
    })
}
