//! The program report's measures (DOMAIN.md, "Measures"), as pure functions of the facts a
//! report reads, so the definitions are stated once and unit-tested here:
//!
//! - **window**: whole days (UTC) that have ended, `from` to `to` inclusive, stopping at the
//!   start of today at the latest; everything "as of the window's end" is as of that instant;
//! - **managers holding 1:1s**: current managers who held a `manager_report` 1:1 in the window
//!   with one of their current direct reports;
//! - **coverage** over N days: the share of direct reports with at least one held
//!   `manager_report` 1:1 with their current manager in the N days up to the report's end;
//! - **manager segments**: *regular* when every direct report was met within 1.5× the pair's
//!   cadence before the report's end (the cadence of their recurring `manager_report` 1:1; a
//!   month, 31 days, when none is set up), *partial* when some were, *absent* when none were;
//! - **frequency**: the median of the whole days between consecutive held 1:1s of a pair (of
//!   one kind), over the gaps that end in the window;
//! - **adherence**: held ÷ scheduled, where scheduled counts every meeting that started in the
//!   window, whatever became of it;
//! - **follow-through**: action items done on or before their due date ÷ action items due in
//!   the window;
//! - **employee-led share**: shared talking points added by the report ÷ all shared talking
//!   points, on the 1:1s held in the window.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::enps::{GroupKey, Lines, Position};

/// Coverage windows, in days.
pub const COVERAGE_DAYS: [i64; 3] = [30, 60, 90];

/// The cadence assumed for a pair without a recurring `manager_report` 1:1.
pub const DEFAULT_CADENCE_DAYS: i64 = 31;

/// A share in percent with one decimal; `None` for an empty whole.
pub fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    })
}

/// The median of values given with how often each occurs (`(value, count)`); `None` when
/// there are none. The same as [`median`] of the values written out.
pub fn median_of_counts(values: &mut [(i64, u64)]) -> Option<f64> {
    values.sort_unstable();
    let total: u64 = values.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The values at (0-based) positions `lo` and `hi` of the sorted list.
    let (lo, hi) = ((total - 1) / 2, total / 2);
    let at = |position: u64| {
        let mut seen = 0;
        for (value, n) in values.iter() {
            seen += n;
            if position < seen {
                return *value;
            }
        }
        0
    };
    Some((at(lo) + at(hi)) as f64 / 2.0)
}

/// Whole days between two held 1:1s (their UTC dates).
pub fn gap_days(earlier: DateTime<Utc>, later: DateTime<Utc>) -> i64 {
    (later.date_naive() - earlier.date_naive()).num_days()
}

/// The whole days before a report's end within which a direct report counts as met for the
/// segments: 1.5× the pair's cadence (a month when none is set up), rounded down — 10 for a
/// weekly 1:1, 21 for a fortnightly one, 46 for a monthly one.
pub fn segment_days(cadence_days: Option<i64>) -> i64 {
    cadence_days.unwrap_or(DEFAULT_CADENCE_DAYS) * 3 / 2
}

/// The day from which the kept facts that hold at any end count (`managers`, `reports`).
pub fn epoch() -> NaiveDate {
    NaiveDate::default()
}

/// Kept line facts (kind [`LINES`]), per manager and summed per group. All but [`HOLDING`]
/// are read as a running sum up to a window's end day `E` (a report ending at the start of
/// `E`): `managers` and `reports` (on [`epoch`]); `covered` with `days` = N (a line met in the
/// N days before `E`); `regular` and `partial` (the manager's segment at `E`). [`HOLDING`] has
/// a row for each distinct day the manager held a `manager_report` 1:1 with a current report,
/// with `days` since the previous such day (0 for the first): a window `[S, E)` counts the
/// rows of its days whose previous day falls before `S` — each manager who held one once.
pub const LINES: &str = "lines";
pub const MANAGERS: &str = "managers";
pub const REPORTS: &str = "reports";
pub const COVERED: &str = "covered";
pub const REGULAR: &str = "regular";
pub const PARTIAL: &str = "partial";
pub const HOLDING: &str = "holding";

/// A current manager's direct report as the kept facts see them: the days (UTC) of their held
/// `manager_report` 1:1s with this manager, and the pair's cadence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    pub held: Vec<NaiveDate>,
    pub cadence_days: Option<i64>,
}

/// The end days `E` at which a line with these (sorted, distinct) held days counts as met
/// within `within` days: `[d + 1, d + within]` for each held day `d`, merged; as half-open
/// ranges `[from, until)`.
fn met_ranges(held: &[NaiveDate], within: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for d in held {
        let (from, until) = (*d + Duration::days(1), *d + Duration::days(within + 1));
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(until),
            _ => out.push((from, until)),
        }
    }
    out
}

/// The kept line facts of one manager with these current direct reports: `(day, fact, days)`
/// → count (see [`LINES`]). None without a direct report.
pub fn line_facts(
    lines: &[Line],
) -> std::collections::BTreeMap<(NaiveDate, &'static str, i64), i64> {
    let mut out = std::collections::BTreeMap::new();
    if lines.is_empty() {
        return out;
    }
    let mut add = |day: NaiveDate, fact: &'static str, days: i64, n: i64| {
        *out.entry((day, fact, days)).or_insert(0) += n;
    };
    add(epoch(), MANAGERS, 0, 1);
    add(epoch(), REPORTS, 0, lines.len() as i64);
    let held: Vec<Vec<NaiveDate>> = lines
        .iter()
        .map(|l| {
            let mut h = l.held.clone();
            h.sort_unstable();
            h.dedup();
            h
        })
        .collect();
    for within in COVERAGE_DAYS {
        for h in &held {
            for (from, until) in met_ranges(h, within) {
                add(from, COVERED, within, 1);
                add(until, COVERED, within, -1);
            }
        }
    }
    // Segments: how many lines are met at each end day, swept over the ranges' edges.
    let mut edges: std::collections::BTreeMap<NaiveDate, i64> = std::collections::BTreeMap::new();
    for (h, line) in held.iter().zip(lines) {
        for (from, until) in met_ranges(h, segment_days(line.cadence_days)) {
            *edges.entry(from).or_insert(0) += 1;
            *edges.entry(until).or_insert(0) -= 1;
        }
    }
    let total = lines.len() as i64;
    let segment_of = |met: i64| {
        if met >= total {
            Some(REGULAR)
        } else if met > 0 {
            Some(PARTIAL)
        } else {
            None
        }
    };
    let (mut met, mut state) = (0i64, None);
    for (day, change) in edges {
        met += change;
        let now = segment_of(met);
        if now != state {
            if let Some(was) = state {
                add(day, was, 0, -1);
            }
            if let Some(is) = now {
                add(day, is, 0, 1);
            }
            state = now;
        }
    }
    // Holding: each distinct day held with any of them, and the days since the previous.
    let mut days: Vec<NaiveDate> = held.into_iter().flatten().collect();
    days.sort_unstable();
    days.dedup();
    let mut previous: Option<NaiveDate> = None;
    for d in days {
        add(d, HOLDING, previous.map_or(0, |p| (d - p).num_days()), 1);
        previous = Some(d);
    }
    out.retain(|_, n| *n != 0);
    out
}

/// Line facts read for a window `[from, end)` (days): what a report shows of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineReading {
    pub managers: i64,
    pub reports: i64,
    /// Direct reports met in the N days before `end`, for each of [`COVERAGE_DAYS`].
    pub covered: [i64; 3],
    pub regular: i64,
    pub partial: i64,
    /// Managers who held a `manager_report` 1:1 with a current report in the window.
    pub holding: i64,
}

impl LineReading {
    /// Read `(day, fact, days, count)` line facts (one manager's, or summed over a group's)
    /// for the window `[from, end)`: running sums up to `end`, and the held days of the
    /// window whose previous one falls before `from`.
    pub fn of<'a>(
        facts: impl IntoIterator<Item = (NaiveDate, &'a str, i64, i64)>,
        from: NaiveDate,
        end: NaiveDate,
    ) -> LineReading {
        let mut out = LineReading::default();
        for (day, fact, days, n) in facts {
            if fact == HOLDING {
                if day >= from && day < end && (days == 0 || day - Duration::days(days) < from) {
                    out.holding += n;
                }
                continue;
            }
            if day > end {
                continue;
            }
            match fact {
                MANAGERS => out.managers += n,
                REPORTS => out.reports += n,
                REGULAR => out.regular += n,
                PARTIAL => out.partial += n,
                COVERED => {
                    if let Some(at) = COVERAGE_DAYS.iter().position(|d| *d == days) {
                        out.covered[at] += n;
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The segment these facts give one manager (`None`: not a manager at `end`).
    pub fn segment(&self) -> Option<Segment> {
        if self.managers <= 0 {
            None
        } else if self.regular > 0 {
            Some(Segment::Regular)
        } else if self.partial > 0 {
            Some(Segment::Partial)
        } else {
            Some(Segment::Absent)
        }
    }
}

/// A manager's standing with their direct reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Regular,
    Partial,
    Absent,
}

/// One direct report as the segments see them: their last held `manager_report` 1:1 with
/// their manager before the report's end, and the pair's cadence in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportLine {
    pub last_held: Option<DateTime<Utc>>,
    pub cadence_days: Option<i64>,
}

impl ReportLine {
    /// Met within 1.5× the cadence (whole days, rounded down) before `end`.
    pub fn met_within_cadence(&self, end: DateTime<Utc>) -> bool {
        self.met_within(segment_days(self.cadence_days), end)
    }

    /// Met in `[start, end)`.
    pub fn met_since(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.last_held.is_some_and(|at| at >= start && at < end)
    }

    /// Met in the `days` before `end`.
    pub fn met_within(&self, days: i64, end: DateTime<Utc>) -> bool {
        self.last_held
            .is_some_and(|at| at <= end && end - at <= Duration::days(days))
    }
}

/// The segment of a manager with these direct reports (`None` without any).
pub fn segment(reports: &[ReportLine], end: DateTime<Utc>) -> Option<Segment> {
    if reports.is_empty() {
        return None;
    }
    let met = reports.iter().filter(|r| r.met_within_cadence(end)).count();
    Some(if met == reports.len() {
        Segment::Regular
    } else if met == 0 {
        Segment::Absent
    } else {
        Segment::Partial
    })
}

/// The Monday of the ISO week `day` falls in.
pub fn week_of(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// The same length of time right before `[from, to]` (days, inclusive): the "before" of a
/// before-and-after comparison around a launch on `from`.
pub fn before(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let length = (to - from).num_days() + 1;
    (from - Duration::days(length), from - Duration::days(1))
}

/// One rater's ratings of a closed month, for one measure (usefulness, or expectations
/// clarity): where they stand in the organisation, how many ratings, their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaterScores {
    pub position: Position,
    pub ratings: u32,
    pub total: u32,
}

/// A group whose ratings may be shown: exactly a union of cells of at least the minimum group
/// size of raters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingGroup {
    pub key: GroupKey,
    pub raters: u32,
    pub ratings: u32,
    pub total: u32,
}

impl RatingGroup {
    /// The mean rating, two decimals.
    pub fn mean(ratings: u64, total: u64) -> Option<f64> {
        (ratings > 0).then(|| (total as f64 / ratings as f64 * 100.0).round() / 100.0)
    }
}

/// The groups of a closed month's raters that may be shown, with their figures: the raters are
/// cut into cells of at least `k` along the reporting `lines` exactly as eNPS answers are at a
/// survey's close ([`crate::enps::cut`]), and a group (the organisation, a department, everyone
/// below a manager) is kept only if it is a union of cells. Every figure kept is then a sum of
/// cells, so no sum or difference of figures (of one month, or of months added up) isolates
/// fewer than `k` raters.
pub fn rating_groups(k: usize, lines: &Lines, raters: &[RaterScores]) -> Vec<RatingGroup> {
    let positions: Vec<Position> = raters.iter().map(|r| r.position.clone()).collect();
    let cut = crate::enps::cut(k, lines, &positions, &positions);
    let mut cells = vec![(0u32, 0u32, 0u32); cut.cell_sizes.len()];
    for (r, c) in raters.iter().zip(&cut.cell_of) {
        if let Some(cell) = cells.get_mut(*c as usize) {
            cell.0 += 1;
            cell.1 += r.ratings;
            cell.2 += r.total;
        }
    }
    cut.groups
        .into_iter()
        .filter(|g| g.reportable)
        .map(|g| {
            let mut out = RatingGroup {
                key: g.key,
                raters: 0,
                ratings: 0,
                total: 0,
            };
            for c in &g.cells {
                if let Some((raters, ratings, total)) = cells.get(*c as usize) {
                    out.raters += raters;
                    out.ratings += ratings;
                    out.total += total;
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 9, 0, 0).unwrap()
    }

    #[test]
    fn medians_and_shares() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [14, 7, 21]), Some(14.0));
        assert_eq!(median(&mut [7, 14]), Some(10.5));
        assert_eq!(median_of_counts(&mut []), None);
        assert_eq!(
            median_of_counts(&mut [(21, 1), (7, 0), (14, 1)]),
            Some(17.5)
        );
        assert_eq!(median_of_counts(&mut [(14, 2), (7, 1)]), Some(14.0));
        assert_eq!(median_of_counts(&mut [(7, 2), (14, 2)]), Some(10.5));
        assert_eq!(pct(1, 3), Some(33.3));
        assert_eq!(pct(2, 3), Some(66.7));
        assert_eq!(pct(0, 0), None);
        assert_eq!(gap_days(at(2), at(9)), 7);
    }

    #[test]
    fn segments_follow_one_and_a_half_cadences() {
        let end = at(30);
        let weekly = |d| ReportLine {
            last_held: Some(at(d)),
            cadence_days: Some(7),
        };
        // 10.5 days for a weekly cadence: the 20th is within, the 19th is not.
        assert!(weekly(20).met_within_cadence(end));
        assert!(!weekly(19).met_within_cadence(end));
        let never = ReportLine {
            last_held: None,
            cadence_days: None,
        };
        // No series: a month and a half.
        let monthly = ReportLine {
            last_held: Some(at(1)),
            cadence_days: None,
        };
        assert!(monthly.met_within_cadence(end));
        assert_eq!(segment(&[weekly(25), monthly], end), Some(Segment::Regular));
        assert_eq!(segment(&[weekly(25), never], end), Some(Segment::Partial));
        assert_eq!(segment(&[weekly(2), never], end), Some(Segment::Absent));
        assert_eq!(segment(&[], end), None);
        // A 1:1 after the end does not count for it.
        assert!(!weekly(30).met_within(30, at(29)));
        assert!(weekly(1).met_within(30, at(30)) && !weekly(1).met_within(28, at(30)));
    }

    /// The kept line facts, summed as a report reads them, give what the definitions give
    /// for every end day and window over a pseudo-random mix of lines.
    #[test]
    fn line_facts_read_as_the_definitions() {
        let day0 = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let mut seed = 7u64;
        let mut next = |below: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) % below
        };
        for _ in 0..40 {
            let lines: Vec<Line> = (0..1 + next(4))
                .map(|_| Line {
                    held: (0..next(12))
                        .map(|_| day0 + Duration::days(next(200) as i64))
                        .collect(),
                    cadence_days: [None, Some(7), Some(14)][next(3) as usize],
                })
                .collect();
            let facts = line_facts(&lines);
            let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
            for offset in (0..260).step_by(3) {
                let e = day0 + Duration::days(offset);
                let end = midnight(e);
                let report_lines: Vec<ReportLine> = lines
                    .iter()
                    .map(|l| ReportLine {
                        last_held: l
                            .held
                            .iter()
                            .filter(|d| **d < e)
                            .max()
                            .map(|d| midnight(*d) + Duration::hours(17)),
                        cadence_days: l.cadence_days,
                    })
                    .collect();
                for length in [1, 7, 30, 90] {
                    let s = e - Duration::days(length);
                    let read = LineReading::of(
                        facts.iter().map(|((d, f, days), n)| (*d, *f, *days, *n)),
                        s,
                        e,
                    );
                    assert_eq!((read.managers, read.reports), (1, lines.len() as i64));
                    for (at, n) in COVERAGE_DAYS.iter().enumerate() {
                        let met = report_lines
                            .iter()
                            .filter(|l| l.met_within(*n, end))
                            .count();
                        assert_eq!(read.covered[at], met as i64, "covered {n} at {e}");
                    }
                    assert_eq!(read.segment(), segment(&report_lines, end), "at {e}");
                    let held = report_lines.iter().any(|l| l.met_since(midnight(s), end));
                    assert_eq!(read.holding, i64::from(held), "holding [{s}, {e})");
                }
            }
        }
        assert!(line_facts(&[]).is_empty());
    }

    #[test]
    fn weeks_and_the_time_before() {
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(week_of(d(12, 6)), d(11, 30));
        assert_eq!(week_of(d(11, 30)), d(11, 30));
        assert_eq!(before(d(12, 1), d(12, 31)), (d(10, 31), d(11, 30)));
    }

    #[test]
    fn rating_groups_are_unions_of_cells_of_five() {
        let lead = uuid::Uuid::from_u128(1);
        let sub = uuid::Uuid::from_u128(2);
        let lines: Lines = [(sub, lead)].into_iter().collect();
        let at = |m| Position {
            department: Some("Eng".into()),
            manager: Some(m),
        };
        // Five below the lead directly, four below the sub-lead (who reports to the lead).
        let mut raters: Vec<RaterScores> = (0..5)
            .map(|_| RaterScores {
                position: at(lead),
                ratings: 2,
                total: 8,
            })
            .collect();
        raters.extend((0..4).map(|_| RaterScores {
            position: at(sub),
            ratings: 1,
            total: 5,
        }));
        let groups = rating_groups(5, &lines, &raters);
        let find = |k: &GroupKey| groups.iter().find(|g| &g.key == k);
        // The sub-lead's four go up into the lead's cell: the lead's subtree is shown whole,
        // the sub-lead's is not (it would be the lead's minus five).
        let lead_group = find(&GroupKey::Subtree(lead)).expect("the lead's subtree");
        assert_eq!(
            (lead_group.raters, lead_group.ratings, lead_group.total),
            (9, 14, 60)
        );
        assert!(find(&GroupKey::Subtree(sub)).is_none());
        assert_eq!(find(&GroupKey::Organisation).map(|g| g.raters), Some(9));
        assert_eq!(RatingGroup::mean(14, 60), Some(4.29));
        // Four raters in all: nothing is shown.
        assert!(rating_groups(5, &lines, &raters[5..]).is_empty());
    }
}
