//! Escalations: HR's record that a performance problem reached HR, or that a
//! performance-improvement plan started — the outcome a 1:1 program exists to prevent (seed 000).
//!
//! The record holds no free text: a person, a day, a kind and, optionally, the HR system's
//! reference. What matters is what came before it: was the problem talked about, on the record,
//! while there was still time?

use chrono::{Days, NaiveDate};

/// What reached HR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EscalationKind {
    /// A performance problem raised with HR.
    Escalation,
    /// A performance-improvement plan started.
    Pip,
}

crate::string_enum!(EscalationKind {
    Escalation => "escalation",
    Pip => "pip",
});

/// How far back a documented conversation counts as having set expectations.
pub const LOOKBACK_DAYS: u64 = 90;

/// The longest reference to the HR system's own record.
pub const MAX_EXTERNAL_REF: usize = 100;

/// The days whose conversations count for an escalation on `day`: the [`LOOKBACK_DAYS`] before
/// it and the day itself (a day has no time, so a conversation that morning counts), as the
/// first day in and the first day out.
pub fn lookback(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        day.checked_sub_days(Days::new(LOOKBACK_DAYS))
            .unwrap_or(NaiveDate::MIN),
        day.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX),
    )
}

/// A documented expectation-setting conversation with the person: a held 1:1 in which they were
/// the report (with their manager, a secondary manager or a skip level) whose record has a
/// shared talking point or an action item, or a check-in they submitted. Private talking points
/// and notes are not a record anyone else can point to, so they do not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    OneOnOne,
    CheckIn,
}

crate::string_enum!(Evidence {
    OneOnOne => "one_on_one",
    CheckIn => "check_in",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookback_holds_ninety_days_and_the_day_itself() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
        let (from, until) = lookback(day);
        assert_eq!(from, NaiveDate::from_ymd_opt(2026, 8, 27).expect("date"));
        assert_eq!(until, NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"));
        assert_eq!("pip".parse::<EscalationKind>(), Ok(EscalationKind::Pip));
        assert!("warning".parse::<EscalationKind>().is_err());
    }
}
