//! The attention list: early warnings about 1:1 pairs and teams, each with its reason and the
//! ids it is about, never any text. What the list names, and when (the words, made
//! exact here so the spec and the tests can say the same):
//!
//! - `overdue_one_on_one`: a recurring 1:1 (not paused, not ended) whose pair has held none in
//!   more than [`CADENCE_MULTIPLE`] × its cadence (a week's interval, or 31 days for a monthly
//!   one); a series that never held one counts from the day it was set up;
//! - `never_met`: an active direct report who never held a 1:1 with their current manager;
//! - `carried_over`: a shared talking point still open after being carried over
//!   [`CARRIED_THRESHOLD`] times or more (private points are never named, nor counted);
//! - `overdue_action_item`: an open action item past its due date;
//! - `goal_not_discussed`: a goal at risk or off track that the pair's last held 1:1 did not
//!   discuss (no shared talking point about it checked off there), or that no 1:1 ever did;
//! - `clarity_falling`: everyone below a manager, whose mean "I know what is expected of me"
//!   fell by [`CLARITY_DROP`] or more from one closed month to the next, as each month's rating
//!   groups show it (a group exactly a union of cells of at least the minimum group size of
//!   raters, see [`crate::program::rating_groups`]; else it is not shown). A month closes
//!   [`RATING_WINDOW_DAYS`] after it ends, when no rating of its meetings can change any more,
//!   so a shown figure never moves.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, Utc};

use crate::cadence::Frequency;

/// A pair is overdue after this many times its cadence without a held 1:1.
pub const CADENCE_MULTIPLE: i64 = 2;

/// A shared talking point carried over this many times is named.
pub const CARRIED_THRESHOLD: i32 = 3;

/// A team's monthly clarity is "falling" when its mean dropped by this much (on the 1–5 scale).
pub const CLARITY_DROP: f64 = 0.5;

/// A rating may be given or changed until this many days after its meeting started.
pub const RATING_WINDOW_DAYS: u64 = 14;

/// Why an entry is on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    OverdueOneOnOne,
    NeverMet,
    CarriedOver,
    OverdueActionItem,
    GoalNotDiscussed,
    ClarityFalling,
}

crate::string_enum!(Reason {
    OverdueOneOnOne => "overdue_one_on_one",
    NeverMet => "never_met",
    CarriedOver => "carried_over",
    OverdueActionItem => "overdue_action_item",
    GoalNotDiscussed => "goal_not_discussed",
    ClarityFalling => "clarity_falling",
});

/// The days one period of a cadence spans (a month counts as 31).
pub fn cadence_days(frequency: &Frequency) -> i64 {
    match frequency {
        Frequency::Weekly { interval_weeks, .. } => 7 * i64::from(*interval_weeks),
        Frequency::MonthlyByWeekday { .. } | Frequency::MonthlyByDay { .. } => 31,
    }
}

/// [`cadence_days`] of a stored series: its frequency's name and, weekly, its interval.
pub fn period_days(frequency: &str, interval_weeks: Option<i64>) -> i64 {
    match frequency {
        "weekly" => 7 * interval_weeks.unwrap_or(1).max(1),
        _ => 31,
    }
}

/// Whether a pair whose last held 1:1 was at `last` (or, never held, whose series began at
/// `since`) is overdue at `now` for a cadence of `days` days.
pub fn overdue(
    days: i64,
    last: Option<DateTime<Utc>>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    now > overdue_from(days, last, since)
}

/// When a recurring 1:1 began to count: set up (`created_at`) or starting (`start_date`,
/// midnight UTC), whichever is later.
pub fn series_since(created_at: DateTime<Utc>, start_date: NaiveDate) -> DateTime<Utc> {
    created_at.max(start_date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The instant after which such a pair is overdue (until a 1:1 is held): kept with each
/// series, so that the list reads the overdue ones without looking at their meetings.
pub fn overdue_from(days: i64, last: Option<DateTime<Utc>>, since: DateTime<Utc>) -> DateTime<Utc> {
    last.unwrap_or(since) + Duration::days(CADENCE_MULTIPLE * days)
}

/// Whether a rating of a meeting that started at `starts_at` may still be given or changed.
pub fn rating_open(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= starts_at + Duration::days(RATING_WINDOW_DAYS as i64)
}

/// The two latest closed months at `today` (UTC), as (first day, first day after) each: the
/// earlier one first. A month is closed once [`RATING_WINDOW_DAYS`] have passed since it ended.
pub fn closed_months(today: NaiveDate) -> [(NaiveDate, NaiveDate); 2] {
    let settled = today
        .checked_sub_days(Days::new(RATING_WINDOW_DAYS))
        .unwrap_or(today);
    // The month `settled` falls in is still open (or closes today at the earliest).
    let open = settled.with_day(1).unwrap_or(settled);
    let month = |end: NaiveDate| (end.checked_sub_months(Months::new(1)).unwrap_or(end), end);
    let later = month(open);
    [month(later.0), later]
}

/// Whether the month starting on `first` (its first day) is closed at `today`.
pub fn month_closed(first: NaiveDate, today: NaiveDate) -> bool {
    first
        .checked_add_months(Months::new(1))
        .and_then(|end| end.checked_add_days(Days::new(RATING_WINDOW_DAYS)))
        .is_some_and(|closes| closes <= today)
}

/// The closed months (their first days) that lie wholly in the days `from..=to`, oldest first.
pub fn closed_months_within(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut first = from.with_day(1).unwrap_or(from);
    if first < from {
        first = first.checked_add_months(Months::new(1)).unwrap_or(from);
    }
    while let Some(next) = first.checked_add_months(Months::new(1)) {
        if next.pred_opt().is_none_or(|last| last > to) || !month_closed(first, today) {
            break;
        }
        out.push(first);
        first = next;
    }
    out
}

/// A closed month's clarity figure for a team: its mean, shown only for at least `min_group`
/// distinct raters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthClarity {
    pub raters: u32,
    pub mean: f64,
}

/// Whether a team's clarity fell from `earlier` to `later` (both shown, the drop at least
/// [`CLARITY_DROP`]).
pub fn clarity_falling(earlier: MonthClarity, later: MonthClarity, min_group: u32) -> bool {
    earlier.raters >= min_group
        && later.raters >= min_group
        && earlier.mean - later.mean >= CLARITY_DROP - 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Weekday};

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn closed_months_wait_for_late_ratings() {
        // 14 days into December, November is still open to ratings.
        assert_eq!(
            closed_months(day(2026, 12, 14)),
            [
                (day(2026, 9, 1), day(2026, 10, 1)),
                (day(2026, 10, 1), day(2026, 11, 1))
            ]
        );
        assert_eq!(
            closed_months(day(2026, 12, 15)),
            [
                (day(2026, 10, 1), day(2026, 11, 1)),
                (day(2026, 11, 1), day(2026, 12, 1))
            ]
        );
        // Across a year.
        assert_eq!(
            closed_months(day(2027, 1, 20)),
            [
                (day(2026, 11, 1), day(2026, 12, 1)),
                (day(2026, 12, 1), day(2027, 1, 1))
            ]
        );
    }

    #[test]
    fn months_close_two_weeks_after_they_end_and_count_only_whole() {
        assert!(month_closed(day(2026, 10, 1), day(2026, 11, 15)));
        assert!(!month_closed(day(2026, 10, 1), day(2026, 11, 14)));
        assert_eq!(
            closed_months_within(day(2026, 8, 15), day(2026, 12, 31), day(2026, 12, 6)),
            [day(2026, 9, 1), day(2026, 10, 1)]
        );
        assert_eq!(
            closed_months_within(day(2026, 9, 1), day(2026, 10, 30), day(2026, 12, 6)),
            [day(2026, 9, 1)]
        );
        assert!(
            closed_months_within(day(2026, 11, 1), day(2026, 11, 30), day(2026, 12, 6)).is_empty()
        );
    }

    #[test]
    fn overdue_after_twice_the_cadence() {
        let weekly = Frequency::Weekly {
            interval_weeks: 1,
            weekday: Weekday::Mon,
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let days = cadence_days(&weekly);
        assert!(!overdue(days, Some(now - Duration::days(14)), now, now));
        assert!(overdue(days, Some(now - Duration::days(15)), now, now));
        assert!(overdue(days, None, now - Duration::days(15), now));
        assert_eq!(cadence_days(&Frequency::MonthlyByDay { day: 3 }), 31);
    }

    #[test]
    fn clarity_needs_groups_and_a_real_drop() {
        let m = |raters, mean| MonthClarity { raters, mean };
        assert!(clarity_falling(m(5, 4.0), m(5, 3.5), 5));
        assert!(!clarity_falling(m(5, 4.0), m(5, 3.6), 5));
        assert!(!clarity_falling(m(4, 4.0), m(5, 2.0), 5));
        assert!(!clarity_falling(m(5, 4.0), m(4, 2.0), 5));
    }

    #[test]
    fn ratings_close_two_weeks_after_the_meeting() {
        let at = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        assert!(rating_open(at, at + Duration::days(14)));
        assert!(!rating_open(
            at,
            at + Duration::days(14) + Duration::seconds(1)
        ));
    }
}
