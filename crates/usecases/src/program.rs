//! The program report: adoption beside content signals and outcomes for a window and a slice,
//! by the definitions of [`oneonone_domain::program`]. Read as things stand; figures built
//! from ratings or eNPS answers are shown only as the eNPS results show them (groups of at
//! least the minimum size that no subtraction can break down).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::checkin::Population;
use oneonone_domain::enps::Figures;
use oneonone_domain::policy::{self, Actor, Denied};
use oneonone_domain::program::{self, ReportLine, Segment, pct};
use oneonone_persistence::program::{
    KindStatus, ProgramFacts, ProgramQuery, ReportLineRow, TopicRow,
};
use oneonone_persistence::program_days::{self, LineFigures};
use oneonone_persistence::ratings::Measure;
use uuid::Uuid;

use crate::{Database, Result};

/// Meetings of one kind (or of all kinds) in the window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meetings {
    pub kind: Option<String>,
    pub scheduled: u64,
    pub held: u64,
    pub skipped: u64,
    pub cancelled: u64,
    /// Started, and still not marked held, skipped or cancelled.
    pub not_recorded: u64,
    pub adherence_pct: Option<f64>,
    pub frequency_median_days: Option<f64>,
}

/// Direct reports met in the `days` before the window's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub days: i64,
    pub met: u64,
    pub pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Adoption {
    /// Current managers in the slice (active, with at least one active direct report).
    pub managers: u64,
    /// Of them, those who held a `manager_report` 1:1 in the window.
    pub managers_holding: u64,
    pub managers_holding_pct: Option<f64>,
    pub regular: u64,
    pub partial: u64,
    pub absent: u64,
    pub direct_reports: u64,
    pub coverage: Vec<Coverage>,
    pub meetings: Meetings,
    pub by_kind: Vec<Meetings>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Topic {
    pub category: String,
    pub talking_points: u64,
    pub starters_used: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub shared_talking_points: u64,
    pub employee_led_pct: Option<f64>,
    pub carried_over_3_plus: u64,
    pub starters_used: u64,
    pub topics: Vec<Topic>,
    pub action_items_due: u64,
    pub action_items_done_by_due: u64,
    pub follow_through_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Goals {
    pub active: u64,
    pub on_track: u64,
    pub at_risk: u64,
    pub off_track: u64,
    pub at_risk_or_off_track_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Checkins {
    pub checkins: u64,
    pub submitted: u64,
    pub reviewed: u64,
    pub completion_pct: Option<f64>,
}

/// The latest eNPS survey closed in the window, as its results show the slice's group.
#[derive(Debug, Clone, PartialEq)]
pub struct Enps {
    pub survey_id: Uuid,
    pub name: String,
    pub closed_at: DateTime<Utc>,
    /// The group's results are shown (else every figure below is `None`).
    pub shown: bool,
    pub enps: Option<i32>,
    pub respondents: Option<u32>,
    pub response_rate_pct: Option<f64>,
}

/// A rating measure over the window's closed months, as the slice's group was shown in each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingFigure {
    /// The closed months in which the group was shown (first days).
    pub months_shown: Vec<NaiveDate>,
    pub ratings: u64,
    pub mean: Option<f64>,
}

/// 1:1 ratings: only whole months that have closed count, each as its group was shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    /// The closed months that lie wholly in the window.
    pub closed_months: Vec<NaiveDate>,
    pub useful: RatingFigure,
    pub expectations_clear: RatingFigure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcomes {
    pub ratings: Ratings,
    pub goals: Goals,
    pub checkins: Checkins,
    pub enps: Option<Enps>,
}

/// Every figure of a window.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramFigures {
    pub adoption: Adoption,
    /// `None`: withheld (a manager's slice with fewer pairs that met than the minimum group
    /// size; HR always sees counts).
    pub content: Option<Content>,
    pub outcomes: Outcomes,
}

/// Whose program report `actor` reads for `slice` (`None`: none named): HR admins and
/// `reports:read` tokens any; a manager their own subtree or a subtree within it. `Ok(false)`
/// in the second place: content signals are withheld below the minimum group size.
pub async fn scope(
    db: &Database,
    actor: &Actor,
    slice: Option<Population>,
) -> Result<(Population, bool)> {
    match policy::read_reports(actor)? {
        policy::ReportScope::Everything => Ok((slice.unwrap_or(Population::Everyone), true)),
        policy::ReportScope::Own(me) => match slice {
            None => Ok((Population::Subtree(me), false)),
            Some(Population::Subtree(root))
                if root == me || db.managers_of(root).await?.contains(&me) =>
            {
                Ok((Population::Subtree(root), false))
            }
            Some(_) => Err(Denied(
                "a manager reads the program report of their own subtree and the subtrees within it",
            )
            .into()),
        },
    }
}

/// Where the meeting figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The figures kept up to date with every change (a few rows a day of the window).
    Kept,
    /// A recomputation from the meetings themselves (what the kept figures must equal).
    Records,
}

/// The figures of `slice` for the days `from..=to`, as things stand at `now`. The window
/// holds whole days (UTC) that have ended: it stops at the start of today at the latest.
#[allow(clippy::too_many_arguments)]
pub async fn figures(
    db: &Database,
    slice: &Population,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    content_always: bool,
    min_group: u32,
    source: Source,
) -> Result<ProgramFigures> {
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let start = midnight(from);
    let until = to
        .checked_add_days(chrono::Days::new(1))
        .map_or(now, midnight);
    let end = until.min(midnight(now.date_naive())).max(start);
    let mut facts = db
        .program_facts(&ProgramQuery {
            slice: slice.clone(),
            from: start,
            end,
            meetings: source == Source::Records,
            pairs: !content_always,
        })
        .await?;
    let (kind, key) = match slice {
        Population::Everyone => ("organisation", String::new()),
        Population::Department(d) => ("department", d.clone()),
        Population::Subtree(root) => ("subtree", program_days::subtree_key(*root)),
    };
    let lines = match source {
        Source::Kept => {
            db.program_lines_at(kind, &key, start.date_naive(), end.date_naive())
                .await?
        }
        Source::Records => lines_of(&facts.lines, start, end),
    };
    if source == Source::Kept {
        let mut topics: Vec<TopicRow> = Vec::new();
        for row in db
            .program_window(kind, &key, start.date_naive(), end.date_naive())
            .await?
        {
            if row.kind == program_days::CHECKINS {
                let k = &mut facts.checkins;
                match row.fact.as_str() {
                    program_days::CHECKINS => k.checkins += row.n,
                    program_days::SUBMITTED => k.submitted += row.n,
                    _ => k.reviewed += row.n,
                }
            } else if row.kind == program_days::GOALS {
                // Read as things stand, below.
            } else if row.fact == program_days::GAP {
                facts.gaps.push((row.kind, row.days, row.n));
            } else if row.fact == program_days::DUE {
                facts.due += row.n;
            } else if row.fact == program_days::DONE_BY_DUE {
                facts.done_by_due += row.n;
            } else if let Some((fact, category)) = row.fact.split_once(':') {
                let at = match topics.iter().position(|t| t.category == category) {
                    Some(at) => at,
                    None => {
                        topics.push(TopicRow {
                            category: category.to_owned(),
                            talking_points: 0,
                            by_report: 0,
                            carried_3_plus: 0,
                            from_starters: 0,
                        });
                        topics.len() - 1
                    }
                };
                let t = &mut topics[at];
                match fact {
                    "points" => t.talking_points += row.n,
                    "by_report" => t.by_report += row.n,
                    "carried" => t.carried_3_plus += row.n,
                    _ => t.from_starters += row.n,
                }
            } else {
                facts.meetings.push(KindStatus {
                    kind: row.kind,
                    status: row.fact,
                    meetings: row.n,
                });
            }
        }
        topics.sort_by(|a, b| a.category.cmp(&b.category));
        facts.topics = topics;
        let epoch = program::epoch();
        facts.goals = db
            .program_days(kind, &key, epoch, epoch + chrono::Days::new(1))
            .await?
            .into_iter()
            .filter(|row| row.kind == program_days::GOALS)
            .map(|row| (row.fact, row.n))
            .collect();
    }
    // A survey's results stand the moment it closes: today's count too.
    let enps = enps_of(db, slice, start, until.min(now).max(start)).await?;
    let ratings = ratings_of(db, slice, from, to, now, min_group).await?;
    Ok(compute(
        facts,
        lines,
        content_always,
        min_group,
        enps,
        ratings,
    ))
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The report lines' figures for the window `[start, end)`, from the lines read from the
/// records (what the kept line facts must give).
fn lines_of(rows: &[ReportLineRow], start: DateTime<Utc>, end: DateTime<Utc>) -> LineFigures {
    let mut teams: HashMap<Uuid, Vec<ReportLine>> = HashMap::new();
    for l in rows {
        teams.entry(l.manager_id).or_default().push(ReportLine {
            last_held: l.last_held,
            cadence_days: l
                .frequency
                .as_deref()
                .map(|f| oneonone_domain::attention::period_days(f, l.interval_weeks)),
        });
    }
    let lines: Vec<&ReportLine> = teams.values().flatten().collect();
    let covered = program::COVERAGE_DAYS
        .iter()
        .map(|&days| {
            let met = lines.iter().filter(|l| l.met_within(days, end)).count();
            (days, met as i64)
        })
        .collect();
    let (mut regular, mut partial) = (0, 0);
    for team in teams.values() {
        match program::segment(team, end) {
            Some(Segment::Regular) => regular += 1,
            Some(Segment::Partial) => partial += 1,
            _ => {}
        }
    }
    let holding = teams
        .values()
        .filter(|team| team.iter().any(|l| l.met_since(start, end)))
        .count() as i64;
    LineFigures {
        managers: teams.len() as i64,
        reports: lines.len() as i64,
        covered,
        regular,
        partial,
        holding,
    }
}

/// The figures from their facts.
fn compute(
    facts: ProgramFacts,
    lines: LineFigures,
    content_always: bool,
    min_group: u32,
    enps: Option<Enps>,
    ratings: Ratings,
) -> ProgramFigures {
    // Meetings, by kind and in all.
    let mut gaps: BTreeMap<String, Vec<(i64, u64)>> = BTreeMap::new();
    for (kind, days, n) in &facts.gaps {
        gaps.entry(kind.clone())
            .or_default()
            .push((*days, count(*n)));
    }
    let mut kinds: BTreeMap<String, Meetings> = BTreeMap::new();
    for row in &facts.meetings {
        let m = kinds.entry(row.kind.clone()).or_insert_with(|| Meetings {
            kind: Some(row.kind.clone()),
            ..Meetings::default()
        });
        let n = count(row.meetings);
        m.scheduled += n;
        match row.status.as_str() {
            "completed" => m.held += n,
            "skipped" => m.skipped += n,
            "cancelled" => m.cancelled += n,
            _ => m.not_recorded += n,
        }
    }
    for kind in gaps.keys() {
        kinds.entry(kind.clone()).or_insert_with(|| Meetings {
            kind: Some(kind.clone()),
            ..Meetings::default()
        });
    }
    let mut all = Meetings::default();
    let mut all_gaps: Vec<(i64, u64)> = Vec::new();
    for (kind, m) in kinds.iter_mut() {
        m.adherence_pct = pct(m.held, m.scheduled);
        let mut g = gaps.remove(kind).unwrap_or_default();
        m.frequency_median_days = program::median_of_counts(&mut g);
        all_gaps.extend(g);
        all.scheduled += m.scheduled;
        all.held += m.held;
        all.skipped += m.skipped;
        all.cancelled += m.cancelled;
        all.not_recorded += m.not_recorded;
    }
    all.adherence_pct = pct(all.held, all.scheduled);
    all.frequency_median_days = program::median_of_counts(&mut all_gaps);

    // Managers, their direct reports, coverage and segments.
    let direct_reports = count(lines.reports);
    let coverage = lines
        .covered
        .iter()
        .map(|&(days, met)| Coverage {
            days,
            met: count(met),
            pct: pct(count(met), direct_reports),
        })
        .collect();
    let managers = count(lines.managers);
    let (regular, partial) = (count(lines.regular), count(lines.partial));
    let absent = managers.saturating_sub(regular + partial);
    let holding = count(lines.holding);

    // Content signals.
    let content = (content_always || facts.pairs_held >= i64::from(min_group)).then(|| {
        let shared: u64 = facts.topics.iter().map(|t| count(t.talking_points)).sum();
        let by_report: u64 = facts.topics.iter().map(|t| count(t.by_report)).sum();
        let starters: u64 = facts.topics.iter().map(|t| count(t.from_starters)).sum();
        let (due, done) = (count(facts.due), count(facts.done_by_due));
        Content {
            shared_talking_points: shared,
            employee_led_pct: pct(by_report, shared),
            carried_over_3_plus: facts.topics.iter().map(|t| count(t.carried_3_plus)).sum(),
            starters_used: starters,
            topics: facts
                .topics
                .iter()
                .map(|t| Topic {
                    category: t.category.clone(),
                    talking_points: count(t.talking_points),
                    starters_used: count(t.from_starters),
                })
                .collect(),
            action_items_due: due,
            action_items_done_by_due: done,
            follow_through_pct: pct(done, due),
        }
    });

    // Outcomes.
    let status = |s: &str| {
        facts
            .goals
            .iter()
            .filter(|(st, _)| st == s)
            .map(|(_, n)| count(*n))
            .sum::<u64>()
    };
    let (on_track, at_risk, off_track) =
        (status("on_track"), status("at_risk"), status("off_track"));
    let active = on_track + at_risk + off_track;
    let k = &facts.checkins;
    ProgramFigures {
        adoption: Adoption {
            managers,
            managers_holding: holding,
            managers_holding_pct: pct(holding, managers),
            regular,
            partial,
            absent,
            direct_reports,
            coverage,
            meetings: all,
            by_kind: kinds.into_values().collect(),
        },
        content,
        outcomes: Outcomes {
            ratings,
            goals: Goals {
                active,
                on_track,
                at_risk,
                off_track,
                at_risk_or_off_track_pct: pct(at_risk + off_track, active),
            },
            checkins: Checkins {
                checkins: count(k.checkins),
                submitted: count(k.submitted),
                reviewed: count(k.reviewed),
                completion_pct: pct(count(k.submitted), count(k.checkins)),
            },
            enps,
        },
    }
}

/// The latest eNPS survey closed in `[from, end)`, with the slice's group as its results show
/// it: the organisation, the department, or everyone below the subtree's root.
async fn enps_of(
    db: &Database,
    slice: &Population,
    from: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Option<Enps>> {
    let (kind, key) = group_of(slice);
    let trend = db.survey_trend(kind.to_owned(), key, end).await?;
    let Some(row) = trend.into_iter().rev().find(|r| r.closes_at >= from) else {
        return Ok(None);
    };
    let shown = row.reportable == Some(true);
    let figures = shown
        .then_some(row.scores.as_deref())
        .flatten()
        .and_then(|s| serde_json::from_str::<[u32; 11]>(s).ok())
        .map(|distribution| Figures {
            distribution,
            expectations: [0; 5],
        });
    let respondents = figures.as_ref().map(Figures::respondents);
    Ok(Some(Enps {
        survey_id: row.survey_id,
        name: row.name,
        closed_at: row.closes_at,
        shown,
        enps: figures.as_ref().and_then(Figures::enps),
        respondents,
        response_rate_pct: respondents.and_then(|r| {
            row.audience
                .and_then(|a| u64::try_from(a).ok())
                .and_then(|a| pct(u64::from(r), a))
        }),
    }))
}

/// The group of eNPS results and ratings that stands for a slice: the organisation, the
/// department, or everyone below the subtree's root.
fn group_of(slice: &Population) -> (&'static str, String) {
    match slice {
        Population::Everyone => ("organisation", String::new()),
        Population::Department(d) => ("department", d.clone()),
        Population::Subtree(root) => ("subtree", root.to_string()),
    }
}

/// The slice's ratings over the closed months wholly in `from..=to` (closing them first if no
/// report has yet).
async fn ratings_of(
    db: &Database,
    slice: &Population,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    min_group: u32,
) -> Result<Ratings> {
    let months = oneonone_domain::attention::closed_months_within(from, to, now.date_naive());
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        return Ok(Ratings::default());
    };
    crate::ratings::close_months(db, &months, now, min_group).await?;
    let (kind, key) = group_of(slice);
    let rows = db
        .rating_group_figures(kind, Some(&key), first, last)
        .await?;
    let figure = |measure: Measure| {
        let mut f = RatingFigure::default();
        let mut total = 0u64;
        for r in rows.iter().filter(|r| r.measure == measure.as_str()) {
            f.months_shown.push(r.month);
            f.ratings += u64::try_from(r.ratings).unwrap_or(0);
            total += u64::try_from(r.total).unwrap_or(0);
        }
        f.mean = oneonone_domain::program::RatingGroup::mean(f.ratings, total);
        f
    };
    Ok(Ratings {
        useful: figure(Measure::Useful),
        expectations_clear: figure(Measure::ExpectationsClear),
        closed_months: months,
    })
}
