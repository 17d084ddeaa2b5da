//! Cadence arithmetic for recurring 1:1s: when the next occurrences fall, in UTC, for a series
//! defined in local time and an IANA time zone.
//!
//! A 10:00 Berlin 1:1 stays at 10:00 Berlin time across daylight-saving changes, so its UTC
//! instant moves by an hour twice a year. Two local times need a rule:
//! - a local time that does not exist (the spring-forward gap, e.g. 02:30 on the last Sunday of
//!   March in Berlin) moves forward by the length of the gap (to 03:30);
//! - a local time that exists twice (the autumn fall-back) takes the first, earlier instant.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

use crate::error::ValidationErrors;

pub const MIN_DURATION_MINUTES: u16 = 15;
pub const MAX_DURATION_MINUTES: u16 = 120;
pub const DEFAULT_DURATION_MINUTES: u16 = 30;
pub const MAX_INTERVAL_WEEKS: u8 = 8;

/// How often a series repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every `interval_weeks` weeks (1 = weekly, 2 = biweekly) on `weekday`.
    Weekly {
        interval_weeks: u8,
        weekday: Weekday,
    },
    /// Monthly on the `nth` (1–4, or -1 for the last) `weekday` of the month.
    MonthlyByWeekday { nth: i8, weekday: Weekday },
    /// Monthly on day `day` (1–31; in shorter months, the last day).
    MonthlyByDay { day: u8 },
}

/// A validated cadence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    pub frequency: Frequency,
    pub local_time: NaiveTime,
    pub time_zone: Tz,
    pub duration_minutes: u16,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

/// One occurrence of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The local calendar date of the meeting.
    pub local_date: NaiveDate,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// Parse an IANA time zone name (`Europe/Berlin`).
pub fn parse_time_zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("`{name}` is not an IANA time zone such as Europe/Berlin"))
}

impl Cadence {
    pub fn new(
        frequency: Frequency,
        local_time: NaiveTime,
        time_zone: Tz,
        duration_minutes: u16,
        start_date: NaiveDate,
        end_date: Option<NaiveDate>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        match frequency {
            Frequency::Weekly { interval_weeks, .. }
                if interval_weeks == 0 || interval_weeks > MAX_INTERVAL_WEEKS =>
            {
                errors.push(
                    "cadence.interval_weeks",
                    format!("must be between 1 and {MAX_INTERVAL_WEEKS}"),
                );
            }
            Frequency::MonthlyByWeekday { nth, .. } if !(nth == -1 || (1..=4).contains(&nth)) => {
                errors.push("cadence.nth", "must be 1 to 4, or -1 for the last");
            }
            Frequency::MonthlyByDay { day } if !(1..=31).contains(&day) => {
                errors.push("cadence.day_of_month", "must be between 1 and 31");
            }
            _ => {}
        }
        if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&duration_minutes) {
            errors.push(
                "duration_minutes",
                format!("must be between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES}"),
            );
        }
        if end_date.is_some_and(|end| end < start_date) {
            errors.push("end_date", "must not be before start_date");
        }
        errors.into_result()?;
        Ok(Self {
            frequency,
            local_time,
            time_zone,
            duration_minutes,
            start_date,
            end_date,
        })
    }

    /// The UTC instant of `local_time` on `date` in the series' zone, by the rules above.
    pub fn instant_on(&self, date: NaiveDate) -> DateTime<Utc> {
        local_instant(self.time_zone, date.and_time(self.local_time))
    }

    /// Whether the series has an occurrence on this local date.
    pub fn occurs_on(&self, date: NaiveDate) -> bool {
        if date < self.start_date || self.end_date.is_some_and(|end| date > end) {
            return false;
        }
        match self.frequency {
            Frequency::Weekly {
                interval_weeks,
                weekday,
            } => {
                if date.weekday() != weekday {
                    return false;
                }
                let first = next_weekday_on_or_after(self.start_date, weekday);
                let weeks = (date - first).num_days() / 7;
                weeks % i64::from(interval_weeks) == 0
            }
            Frequency::MonthlyByWeekday { nth, weekday } => {
                nth_weekday_of_month(date.year(), date.month(), nth, weekday) == Some(date)
            }
            Frequency::MonthlyByDay { day } => {
                clamped_day_of_month(date.year(), date.month(), day) == Some(date)
            }
        }
    }

    /// The first `count` occurrences that start at or after `from`.
    pub fn occurrences_from(&self, from: DateTime<Utc>, count: usize) -> Vec<Occurrence> {
        let mut out = Vec::with_capacity(count);
        // Start a day early in local terms: `from` may be late on the previous local day.
        let local_from = from.with_timezone(&self.time_zone).date_naive();
        let mut date = self
            .start_date
            .max(local_from.pred_opt().unwrap_or(local_from));
        // Bounded: the sparsest cadence (monthly, or every 8 weeks) needs ~60 days per hit.
        let horizon = 62 * (count as i64 + 1);
        for _ in 0..horizon {
            if out.len() == count || self.end_date.is_some_and(|end| date > end) {
                break;
            }
            if self.occurs_on(date) {
                let starts_at = self.instant_on(date);
                if starts_at >= from {
                    out.push(Occurrence {
                        local_date: date,
                        starts_at,
                        ends_at: starts_at + Duration::minutes(i64::from(self.duration_minutes)),
                    });
                }
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        out
    }
}

/// A local wall-clock time in `tz` as a UTC instant: gaps move forward, overlaps take the
/// earlier instant.
pub fn local_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: find the first valid minute after it, then keep the same distance.
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) =
                    tz.from_local_datetime(&probe)
                {
                    let gap_end = t.with_timezone(&Utc);
                    let skipped = probe - local;
                    // The wall clock jumped by the gap's length; 02:30 becomes 03:30.
                    let gap = gap_length(tz, gap_end);
                    return gap_end - skipped + gap;
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// How far the clock jumped at the gap ending at `gap_end`.
fn gap_length(tz: Tz, gap_end: DateTime<Utc>) -> Duration {
    use chrono::Offset;
    let after = tz.offset_from_utc_datetime(&gap_end.naive_utc()).fix();
    let before = tz
        .offset_from_utc_datetime(&(gap_end - Duration::minutes(1)).naive_utc())
        .fix();
    Duration::seconds(i64::from(
        after.local_minus_utc() - before.local_minus_utc(),
    ))
}

fn next_weekday_on_or_after(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (7 + weekday.num_days_from_monday() as i64
        - date.weekday().num_days_from_monday() as i64)
        % 7;
    date + Duration::days(ahead)
}

fn nth_weekday_of_month(year: i32, month: u32, nth: i8, weekday: Weekday) -> Option<NaiveDate> {
    if nth == -1 {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let last = first_next.pred_opt()?;
        let back = (7 + last.weekday().num_days_from_monday() as i64
            - weekday.num_days_from_monday() as i64)
            % 7;
        return Some(last - Duration::days(back));
    }
    let n = u8::try_from(nth).ok()?;
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

fn clamped_day_of_month(year: i32, month: u32, day: u8) -> Option<NaiveDate> {
    (1..=u32::from(day))
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
}

/// A recommended cadence for a manager–report pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recommendation {
    pub interval_weeks: Option<u8>,
    pub monthly: bool,
    pub duration_minutes: u16,
    /// Which rule applied, for people.
    pub reason: &'static str,
}

/// The cadence the HR guide recommends from the manager's span of control:
/// - up to 10 direct reports: weekly, 30 minutes (the most popular format);
/// - 11 to 15: every two weeks; more than 15: monthly (the guide: over 10 reports, biweekly
///   or monthly);
/// - a report who manages people themselves, with a manager who is a department head (a
///   manager of managers): 60 minutes instead of 30.
pub fn recommend(manager_direct_reports: usize, report_manages_people: bool) -> Recommendation {
    let duration_minutes = if report_manages_people { 60 } else { 30 };
    match manager_direct_reports {
        0..=10 => Recommendation {
            interval_weeks: Some(1),
            monthly: false,
            duration_minutes,
            reason: "up to 10 direct reports: weekly",
        },
        11..=15 => Recommendation {
            interval_weeks: Some(2),
            monthly: false,
            duration_minutes,
            reason: "11 to 15 direct reports: every two weeks",
        },
        _ => Recommendation {
            interval_weeks: None,
            monthly: true,
            duration_minutes,
            reason: "more than 15 direct reports: monthly",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("instant")
    }

    fn weekly_berlin(interval: u8, at: NaiveTime) -> Cadence {
        Cadence::new(
            Frequency::Weekly {
                interval_weeks: interval,
                weekday: Weekday::Mon,
            },
            at,
            parse_time_zone("Europe/Berlin").expect("tz"),
            30,
            date(2026, 3, 16),
            None,
        )
        .expect("valid")
    }

    #[test]
    fn a_10_00_berlin_meeting_stays_at_10_00_across_dst() {
        let c = weekly_berlin(1, time(10, 0));
        let occ = c.occurrences_from(utc("2026-03-16T00:00:00Z"), 3);
        // CET (UTC+1) before 29 March 2026, CEST (UTC+2) after.
        assert_eq!(occ[0].starts_at, utc("2026-03-16T09:00:00Z"));
        assert_eq!(occ[1].starts_at, utc("2026-03-23T09:00:00Z"));
        assert_eq!(occ[2].starts_at, utc("2026-03-30T08:00:00Z"));
        assert_eq!(occ[2].ends_at, utc("2026-03-30T08:30:00Z"));
        // And back in autumn (25 October 2026).
        let autumn = c.occurrences_from(utc("2026-10-19T00:00:00Z"), 2);
        assert_eq!(autumn[0].starts_at, utc("2026-10-19T08:00:00Z"));
        assert_eq!(autumn[1].starts_at, utc("2026-10-26T09:00:00Z"));
    }

    #[test]
    fn gaps_move_forward_and_overlaps_take_the_earlier_instant() {
        let berlin = parse_time_zone("Europe/Berlin").expect("tz");
        // 02:30 does not exist on 29 March 2026: it becomes 03:30 CEST = 01:30Z.
        assert_eq!(
            local_instant(berlin, date(2026, 3, 29).and_time(time(2, 30))),
            utc("2026-03-29T01:30:00Z")
        );
        // 02:30 exists twice on 25 October 2026: the first is 02:30 CEST = 00:30Z.
        assert_eq!(
            local_instant(berlin, date(2026, 10, 25).and_time(time(2, 30))),
            utc("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn biweekly_skips_alternate_weeks() {
        let c = weekly_berlin(2, time(9, 0));
        let days: Vec<NaiveDate> = c
            .occurrences_from(utc("2026-03-16T00:00:00Z"), 3)
            .iter()
            .map(|o| o.local_date)
            .collect();
        assert_eq!(
            days,
            vec![date(2026, 3, 16), date(2026, 3, 30), date(2026, 4, 13)]
        );
        assert!(!c.occurs_on(date(2026, 3, 23)));
    }

    #[test]
    fn monthly_rules() {
        let tz = parse_time_zone("America/New_York").expect("tz");
        let last_friday = Cadence::new(
            Frequency::MonthlyByWeekday {
                nth: -1,
                weekday: Weekday::Fri,
            },
            time(16, 0),
            tz,
            60,
            date(2026, 1, 1),
            None,
        )
        .expect("valid");
        let days: Vec<NaiveDate> = last_friday
            .occurrences_from(utc("2026-01-01T00:00:00Z"), 3)
            .iter()
            .map(|o| o.local_date)
            .collect();
        assert_eq!(
            days,
            vec![date(2026, 1, 30), date(2026, 2, 27), date(2026, 3, 27)]
        );
        let day_31 = Cadence::new(
            Frequency::MonthlyByDay { day: 31 },
            time(9, 0),
            tz,
            30,
            date(2026, 1, 1),
            Some(date(2026, 4, 15)),
        )
        .expect("valid");
        let days: Vec<NaiveDate> = day_31
            .occurrences_from(utc("2026-01-01T00:00:00Z"), 10)
            .iter()
            .map(|o| o.local_date)
            .collect();
        // Shorter months fall on their last day; the end date stops the series.
        assert_eq!(
            days,
            vec![date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
        );
    }

    #[test]
    fn invalid_cadences_name_their_fields() {
        let tz = parse_time_zone("UTC").expect("tz");
        let err = Cadence::new(
            Frequency::Weekly {
                interval_weeks: 0,
                weekday: Weekday::Mon,
            },
            time(9, 0),
            tz,
            5,
            date(2026, 2, 1),
            Some(date(2026, 1, 1)),
        )
        .expect_err("invalid");
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["cadence.interval_weeks", "duration_minutes", "end_date"]
        );
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn recommendation_follows_span_of_control() {
        assert_eq!(recommend(4, false).interval_weeks, Some(1));
        assert_eq!(recommend(4, false).duration_minutes, 30);
        assert_eq!(recommend(12, false).interval_weeks, Some(2));
        assert!(recommend(20, false).monthly);
        assert_eq!(recommend(6, true).duration_minutes, 60);
    }
}
