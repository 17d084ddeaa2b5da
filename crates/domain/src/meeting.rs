//! Meeting series and meetings: kinds, statuses and the moves between them.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::cadence::{Cadence, Occurrence};

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

/// When a report's manager changes, their manager–report series goes to the new manager (with
/// its upcoming meetings; held ones keep the manager who held them, so no history is lost): from
/// whom to whom. A report left without a manager keeps the old series until HR assigns one.
pub fn series_hand_over(from: Option<Uuid>, to: Option<Uuid>) -> Option<(Uuid, Uuid)> {
    match (from, to) {
        (Some(from), Some(to)) if from != to => Some((from, to)),
        _ => None,
    }
}

/// Where a series' meetings stand at a moment: the start of its latest meeting (of any status)
/// and how many scheduled ones lie ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScheduleState {
    pub last_start: Option<DateTime<Utc>>,
    pub upcoming: usize,
}

impl MeetingSeries {
    /// The occurrences to schedule from `at` on so that [`UPCOMING_OCCURRENCES`] scheduled
    /// meetings lie ahead: the next ones after everything the series has (a slot once taken,
    /// even by a meeting moved or cancelled since, is not filled again). A paused series
    /// schedules nothing; one that has ended, nothing past its end.
    pub fn occurrences_to_schedule(
        &self,
        at: DateTime<Utc>,
        state: ScheduleState,
    ) -> Vec<Occurrence> {
        let missing = UPCOMING_OCCURRENCES.saturating_sub(state.upcoming);
        if self.paused || missing == 0 {
            return Vec::new();
        }
        let from = match state.last_start {
            Some(last) if last >= at => last + chrono::Duration::seconds(1),
            _ => at,
        };
        self.cadence.occurrences_from(from, missing)
    }
}

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

    fn weekly_series() -> MeetingSeries {
        let cadence = crate::cadence::Cadence {
            frequency: crate::cadence::Frequency::Weekly {
                interval_weeks: 1,
                weekday: chrono::Weekday::Tue,
            },
            local_time: chrono::NaiveTime::from_hms_opt(10, 0, 0).expect("time"),
            time_zone: chrono_tz::Europe::Berlin,
            duration_minutes: 30,
            start_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 6).expect("date"),
            end_date: None,
        };
        MeetingSeries {
            id: Uuid::nil(),
            kind: MeetingKind::ManagerReport,
            manager_id: Uuid::nil(),
            report_id: Uuid::nil(),
            cadence,
            paused: false,
            agenda_template_id: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_series_tops_up_to_its_upcoming_meetings_after_what_it_has() {
        let series = weekly_series();
        let at = "2026-03-01T00:00:00Z".parse::<DateTime<Utc>>().expect("at");
        let fresh = series.occurrences_to_schedule(at, ScheduleState::default());
        assert_eq!(fresh.len(), UPCOMING_OCCURRENCES);
        assert!(fresh.iter().all(|o| o.starts_at >= at));
        // Three ahead already, the last of them on the third Tuesday: five more, after it.
        let last = fresh[2].starts_at;
        let more = series.occurrences_to_schedule(
            at,
            ScheduleState {
                last_start: Some(last),
                upcoming: 3,
            },
        );
        assert_eq!(more.len(), 5);
        assert_eq!(more[0].starts_at, fresh[3].starts_at);
        // Full: nothing; paused: nothing.
        let full = ScheduleState {
            last_start: Some(last),
            upcoming: UPCOMING_OCCURRENCES,
        };
        assert!(series.occurrences_to_schedule(at, full).is_empty());
        let paused = MeetingSeries {
            paused: true,
            ..series.clone()
        };
        assert!(
            paused
                .occurrences_to_schedule(at, ScheduleState::default())
                .is_empty()
        );
        // History only in the past: from `at` on.
        let past = ScheduleState {
            last_start: Some(at - chrono::Duration::days(30)),
            upcoming: 0,
        };
        assert_eq!(series.occurrences_to_schedule(at, past), fresh);
    }

    #[test]
    fn series_go_to_a_new_manager_only() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(series_hand_over(Some(a), Some(b)), Some((a, b)));
        assert_eq!(series_hand_over(Some(a), Some(a)), None);
        assert_eq!(series_hand_over(Some(a), None), None);
        assert_eq!(series_hand_over(None, Some(b)), None);
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
