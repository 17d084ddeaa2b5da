//! Meeting series and meetings: kinds, statuses and the moves between them.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::cadence::Cadence;

/// What kind of 1:1 a series or meeting is; reported separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingKind {
    ManagerReport,
    SkipLevel,
    Peer,
    CrossFunctional,
    SecondaryManager,
}

/// Where a meeting stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    Scheduled,
    Completed,
    Skipped,
    Cancelled,
}

/// A `snake_case` string enum with `as_str`, `Display` and `FromStr`.
#[macro_export]
macro_rules! string_enum {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(format!("unknown {} `{other}`", stringify!($ty))),
                }
            }
        }
    };
}

string_enum!(MeetingKind {
    ManagerReport => "manager_report",
    SkipLevel => "skip_level",
    Peer => "peer",
    CrossFunctional => "cross_functional",
    SecondaryManager => "secondary_manager",
});

string_enum!(MeetingStatus {
    Scheduled => "scheduled",
    Completed => "completed",
    Skipped => "skipped",
    Cancelled => "cancelled",
});

/// A recurring 1:1 between two people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSeries {
    pub id: Uuid,
    pub kind: MeetingKind,
    /// The manager; for peer and cross-functional 1:1s, the organiser.
    pub manager_id: Uuid,
    /// The report; for peer and cross-functional 1:1s, the other person.
    pub report_id: Uuid,
    pub cadence: Cadence,
    pub paused: bool,
    /// Each meeting of the series starts with this template's talking points.
    pub agenda_template_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One meeting: an occurrence of a series, or a one-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: Uuid,
    pub series_id: Option<Uuid>,
    /// The series slot this occurrence fills (its local date), kept when it is rescheduled.
    pub occurrence_date: Option<NaiveDate>,
    pub kind: MeetingKind,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: MeetingStatus,
    pub held_at: Option<DateTime<Utc>>,
    pub actual_duration_minutes: Option<i32>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Meeting {
    pub fn participants(&self) -> [Uuid; 2] {
        [self.manager_id, self.report_id]
    }
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} meeting cannot be {to}")]
pub struct InvalidTransition {
    pub from: MeetingStatus,
    pub to: MeetingStatus,
}

/// Only a scheduled meeting moves: to completed, skipped or cancelled. Doing the same thing
/// twice is allowed (a retried request), anything else is refused.
pub fn transition(from: MeetingStatus, to: MeetingStatus) -> Result<(), InvalidTransition> {
    if from == to || (from == MeetingStatus::Scheduled && to != MeetingStatus::Scheduled) {
        Ok(())
    } else {
        Err(InvalidTransition { from, to })
    }
}

/// How many upcoming occurrences of a series exist as meetings, so clients can prepare agendas.
pub const UPCOMING_OCCURRENCES: usize = 8;

/// A participant's rating of a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub person_id: Uuid,
    pub useful: i32,
    pub expectations_clear: Option<i32>,
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for k in MeetingKind::ALL {
            assert_eq!(k.as_str().parse::<MeetingKind>(), Ok(*k));
        }
        for s in MeetingStatus::ALL {
            assert_eq!(s.as_str().parse::<MeetingStatus>(), Ok(*s));
        }
        assert!("weekly".parse::<MeetingKind>().is_err());
    }

    #[test]
    fn only_scheduled_meetings_move() {
        use MeetingStatus::*;
        assert!(transition(Scheduled, Completed).is_ok());
        assert!(transition(Scheduled, Skipped).is_ok());
        assert!(transition(Completed, Completed).is_ok());
        assert!(transition(Completed, Cancelled).is_err());
        assert!(transition(Cancelled, Completed).is_err());
        assert!(transition(Skipped, Scheduled).is_err());
    }
}
