//! The attention list (early warning): what needs a manager's or HR's attention now, each entry
//! with its reason and the ids it is about. See [`oneonone_domain::attention`] for the rules.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::attention::{self, MonthClarity, Reason};
use oneonone_domain::policy::{self, Actor, Denied};
use std::collections::BTreeMap;

use oneonone_persistence::attention::{
    After, Carried, GoalAtRisk, NeverMet, Overdue, RunningSeries, Whose,
};
use oneonone_persistence::ratings::Measure;
use uuid::Uuid;

use crate::{Database, Result};

/// A team's clarity, one closed month against the one before.
#[derive(Debug, Clone, PartialEq)]
pub struct ClarityDrop {
    pub month: NaiveDate,
    pub mean: f64,
    pub raters: u32,
    pub previous_month: NaiveDate,
    pub previous_mean: f64,
    pub previous_raters: u32,
}

/// One entry of the list: why, and what about. Never any text of the 1:1 itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub reason: Reason,
    /// The manager of the pair (or the team's).
    pub manager_id: Uuid,
    /// The other person of the pair; `None` for a team.
    pub person_id: Option<Uuid>,
    pub series_id: Option<Uuid>,
    pub meeting_id: Option<Uuid>,
    pub agenda_item_id: Option<Uuid>,
    pub action_item_id: Option<Uuid>,
    pub goal_id: Option<Uuid>,
    /// The kind of 1:1 (`overdue_one_on_one`).
    pub kind: Option<String>,
    pub last_held_at: Option<DateTime<Utc>>,
    pub days_since: Option<i64>,
    pub cadence_days: Option<i64>,
    pub times_carried: Option<i64>,
    pub assignee_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub goal_status: Option<String>,
    pub clarity: Option<ClarityDrop>,
    /// The reason in words, from the numbers above.
    pub why: String,
    /// What the entry is about, for a stable order: the subject's id.
    pub subject: Uuid,
}

impl Entry {
    fn new(reason: Reason, manager_id: Uuid, subject: Uuid, why: String) -> Self {
        Self {
            reason,
            manager_id,
            person_id: None,
            series_id: None,
            meeting_id: None,
            agenda_item_id: None,
            action_item_id: None,
            goal_id: None,
            kind: None,
            last_held_at: None,
            days_since: None,
            cadence_days: None,
            times_carried: None,
            assignee_id: None,
            due_date: None,
            goal_status: None,
            clarity: None,
            why,
            subject,
        }
    }

    /// The order of the list, and its cursor.
    pub fn key(&self) -> (Reason, Uuid, Uuid) {
        (self.reason, self.manager_id, self.subject)
    }
}

/// Whose list `actor` reads when asking for `slice` (`None`: no slice named). HR admins and
/// `reports:read` tokens read any slice; anyone else reads their own pairs and team only.
pub fn whose(
    actor: &Actor,
    slice: Option<oneonone_domain::checkin::Population>,
) -> std::result::Result<Whose, Denied> {
    use oneonone_domain::checkin::Population;
    match policy::read_reports(actor)? {
        policy::ReportScope::Everything => Ok(Whose::Slice(slice.unwrap_or(Population::Everyone))),
        policy::ReportScope::Own(me) => match slice {
            None => Ok(Whose::Manager(me)),
            Some(_) => Err(Denied(
                "a manager's attention list is about their own 1:1s and team; slices are for HR",
            )),
        },
    }
}

fn whole_days(d: chrono::Duration) -> i64 {
    d.num_days()
}

/// Facts are read this many at a time (at least): most reasons' facts are all entries, and
/// a page is 1 to 201 entries.
const CHUNK: usize = 100;

/// Where a page starts: after this entry's key (reason, manager, subject).
pub type PageAfter = Option<(Reason, Uuid, Uuid)>;

/// Up to `limit` entries of the attention list of `whose` at `now`, in its order (reason,
/// manager, subject), after `after`, of the reason `only` if given; team figures are shown for
/// at least `min_group` distinct raters.
///
/// Each reason's facts are read in the list's order, a chunk at a time, until the page is
/// full: a page costs what it shows (and, for reasons the database cannot decide alone, what it
/// skips), not the whole list. Clarity comes last and is read whole (one row per team).
pub async fn page(
    db: &Database,
    whose: &Whose,
    now: DateTime<Utc>,
    min_group: u32,
    only: Option<Reason>,
    after: PageAfter,
    limit: usize,
) -> Result<Vec<Entry>> {
    let today = now.date_naive();
    let mut out = Vec::new();
    for &reason in Reason::ALL {
        if only.is_some_and(|r| r != reason) || after.is_some_and(|a| reason < a.0) {
            continue;
        }
        if out.len() >= limit {
            break;
        }
        let mut cursor: After = after.filter(|a| a.0 == reason).map(|a| (a.1, a.2));
        if reason == Reason::ClarityFalling {
            out.extend(
                clarity(db, whose, now, min_group)
                    .await?
                    .into_iter()
                    .filter(|e| cursor.is_none_or(|c| (e.manager_id, e.subject) > c)),
            );
            continue;
        }
        while out.len() < limit {
            let want = (limit - out.len()).max(CHUNK);
            let n = i64::try_from(want).unwrap_or(i64::MAX);
            let (read, last) = match reason {
                Reason::OverdueOneOnOne => take(
                    &mut out,
                    db.attention_series(whose, now, cursor, n).await?,
                    |r| (r.manager_id, r.series_id),
                    |r| overdue_series(r, now),
                ),
                Reason::NeverMet => take(
                    &mut out,
                    db.attention_never_met(whose, cursor, n).await?,
                    |r| (r.manager_id, r.person_id),
                    |r| Some(never_met(r)),
                ),
                Reason::CarriedOver => take(
                    &mut out,
                    db.attention_carried(whose, cursor, n).await?,
                    |r| (r.manager_id, r.agenda_item_id),
                    |r| Some(carried(r, now)),
                ),
                Reason::OverdueActionItem => take(
                    &mut out,
                    db.attention_overdue_items(whose, today, cursor, n).await?,
                    |r| (r.manager_id, r.action_item_id),
                    |r| Some(overdue_item(r, today)),
                ),
                Reason::GoalNotDiscussed => take(
                    &mut out,
                    db.attention_goals(whose, cursor, n).await?,
                    |r| (r.manager_id, r.goal_id),
                    |r| undiscussed(r, now),
                ),
                Reason::ClarityFalling => (0, None),
            };
            if read < want {
                break;
            }
            cursor = last;
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// Add the entries a chunk of facts makes to `out`: how many facts it held, and the key of the
/// last (where the next chunk starts).
fn take<T>(
    out: &mut Vec<Entry>,
    rows: Vec<T>,
    key: impl Fn(&T) -> (Uuid, Uuid),
    entry: impl FnMut(T) -> Option<Entry>,
) -> (usize, After) {
    let last = rows.last().map(key);
    let read = rows.len();
    out.extend(rows.into_iter().filter_map(entry));
    (read, last)
}

fn overdue_series(s: RunningSeries, now: DateTime<Utc>) -> Option<Entry> {
    let days = attention::period_days(&s.frequency, s.interval_weeks);
    let since = attention::series_since(s.created_at, s.start_date);
    if !attention::overdue(days, s.last_held_at, since, now) {
        return None;
    }
    let gap = whole_days(now - s.last_held_at.unwrap_or(since));
    let why = match s.last_held_at {
        Some(_) => format!(
            "no {} 1:1 held in {gap} days; the cadence is every {days} days",
            s.kind.replace('_', " ")
        ),
        None => format!(
            "no {} 1:1 held in the {gap} days since the series began; the cadence is every {days} days",
            s.kind.replace('_', " ")
        ),
    };
    let mut e = Entry::new(Reason::OverdueOneOnOne, s.manager_id, s.series_id, why);
    e.person_id = Some(s.report_id);
    e.series_id = Some(s.series_id);
    e.kind = Some(s.kind);
    e.last_held_at = s.last_held_at;
    e.days_since = Some(gap);
    e.cadence_days = Some(days);
    Some(e)
}

fn never_met(n: NeverMet) -> Entry {
    let why = match n.series_id {
        Some(_) => "a direct report who never held a 1:1 with their manager".to_owned(),
        None => {
            "a direct report who never held a 1:1 with their manager, and no recurring 1:1 is set up"
                .to_owned()
        }
    };
    let mut e = Entry::new(Reason::NeverMet, n.manager_id, n.person_id, why);
    e.person_id = Some(n.person_id);
    e.series_id = n.series_id;
    e
}

fn carried(c: Carried, now: DateTime<Utc>) -> Entry {
    let why = format!(
        "a shared talking point carried over {} times, first added {} days ago",
        c.times_carried,
        whole_days(now - c.first_added_at)
    );
    let mut e = Entry::new(Reason::CarriedOver, c.manager_id, c.agenda_item_id, why);
    e.person_id = Some(c.report_id);
    e.series_id = c.series_id;
    e.meeting_id = Some(c.meeting_id);
    e.agenda_item_id = Some(c.agenda_item_id);
    e.times_carried = Some(c.times_carried);
    e
}

fn overdue_item(x: Overdue, today: NaiveDate) -> Entry {
    let late = (today - x.due_date).num_days();
    let why = format!("an open action item {late} days past its due date");
    let mut e = Entry::new(
        Reason::OverdueActionItem,
        x.manager_id,
        x.action_item_id,
        why,
    );
    e.person_id = Some(x.report_id);
    e.series_id = x.series_id;
    e.meeting_id = Some(x.meeting_id);
    e.action_item_id = Some(x.action_item_id);
    e.assignee_id = Some(x.assignee_id);
    e.due_date = Some(x.due_date);
    e
}

fn undiscussed(g: GoalAtRisk, now: DateTime<Utc>) -> Option<Entry> {
    let discussed = g.last_meeting_id.is_some() && g.last_discussed_meeting_id == g.last_meeting_id;
    if discussed {
        return None;
    }
    let status = g.status.replace('_', " ");
    let why = match g.last_held_at {
        Some(at) => format!(
            "a goal {status}, not discussed in the pair's last 1:1 ({} days ago)",
            whole_days(now - at)
        ),
        None => format!("a goal {status}, and the pair has held no 1:1 yet"),
    };
    let mut e = Entry::new(Reason::GoalNotDiscussed, g.manager_id, g.goal_id, why);
    e.person_id = Some(g.owner_id);
    e.goal_id = Some(g.goal_id);
    e.meeting_id = g.last_meeting_id;
    e.last_held_at = g.last_held_at;
    e.goal_status = Some(g.status);
    Some(e)
}

/// Teams of `whose` whose clarity fell: everyone below a lead, as each closed month shows the
/// group (never a group that is not a union of cells of the minimum size, so no subtraction of
/// figures isolates fewer), in the list's order.
async fn clarity(
    db: &Database,
    whose: &Whose,
    now: DateTime<Utc>,
    min_group: u32,
) -> Result<Vec<Entry>> {
    let months = attention::closed_months(now.date_naive());
    let leads = db.attention_leads(whose).await?;
    let mut out = Vec::new();
    let (earlier, later) = (months[0].0, months[1].0);
    crate::ratings::close_months(db, &[earlier, later], now, min_group).await?;
    let rows = db
        .rating_group_figures("subtree", None, earlier, later)
        .await?;
    let mut by_lead: BTreeMap<Uuid, [Option<MonthClarity>; 2]> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.measure == Measure::ExpectationsClear.as_str())
    {
        let Ok(lead) = r.group_key.parse::<Uuid>() else {
            continue;
        };
        let slot = usize::from(r.month == later);
        by_lead.entry(lead).or_default()[slot] = Some(MonthClarity {
            raters: u32::try_from(r.raters).unwrap_or(0),
            mean: if r.ratings > 0 {
                f64::from(r.total) / f64::from(r.ratings)
            } else {
                0.0
            },
        });
    }
    for (lead, [before, after]) in by_lead {
        if leads.as_ref().is_some_and(|l| !l.contains(&lead)) {
            continue;
        }
        let (Some(before), Some(after)) = (before, after) else {
            continue;
        };
        if !attention::clarity_falling(before, after, min_group) {
            continue;
        }
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let drop = ClarityDrop {
            month: later,
            mean: round(after.mean),
            raters: after.raters,
            previous_month: earlier,
            previous_mean: round(before.mean),
            previous_raters: before.raters,
        };
        let why = format!(
            "the mean \"I know what is expected of me\" below this manager fell from {:.2} in {} to {:.2} in {}",
            drop.previous_mean,
            drop.previous_month.format("%B %Y"),
            drop.mean,
            drop.month.format("%B %Y")
        );
        let mut entry = Entry::new(Reason::ClarityFalling, lead, lead, why);
        entry.clarity = Some(drop);
        out.push(entry);
    }

    out.sort_by_key(Entry::key);
    Ok(out)
}
