//! eNPS surveys: "How likely are you to recommend working here?" (0–10), answered once by each
//! person of an audience, and read only as aggregates of groups at or above a minimum size.
//!
//! # Unlinkable answers
//! Who answered (`participation`) and what was answered (`answers`) are stored apart. An answer
//! holds no person, no time and no order; the only thing it says about its author is the
//! **cell** it belongs to, and every cell holds at least `min_group_size` answers.
//!
//! # The differencing guard
//! Results are published once the survey has closed, from a fixed set of answers (no "before
//! and after one late answer"). At close, the answers are cut into cells ([`cut`]):
//! - within each department, bottom-up along the reporting lines (as they were at launch), the
//!   answers of a manager's reports that are not yet in a cell become a cell as soon as they
//!   number at least `k`; otherwise they go up to the manager's manager;
//! - what reaches the top of a department becomes its own cell if it holds `k`, or joins the
//!   department's topmost cell; a department with fewer than `k` answers in all joins the
//!   other small departments in one cell (and if even that is short, the smallest cell).
//!
//! A group (the organisation, a department, a manager's subtree) is shown only if it is
//! **exactly a union of cells**. Every shown figure is then a sum over cells of at least `k`
//! answers, so no sum or difference of shown figures, however combined, isolates fewer than `k`
//! answers. A subtree whose people spill into a cell with outsiders, or a department topped up
//! with another's leftovers, is suppressed instead.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ValidationErrors;
use crate::checkin::Population;
use crate::text::Text;

/// The guide's question.
pub const DEFAULT_QUESTION: &str = "How likely are you to recommend working here?";
/// The optional second question, answered 1 (strongly disagree) to 5 (strongly agree).
pub const EXPECTATIONS_QUESTION: &str = "I know what is expected of me at work.";
/// The smallest group shown, unless a survey says more.
pub const DEFAULT_MIN_GROUP_SIZE: u32 = 5;
/// No survey may show groups smaller than this.
pub const MIN_GROUP_SIZE_FLOOR: u32 = 3;
/// A survey may not ask for larger groups than this.
pub const MIN_GROUP_SIZE_CEILING: u32 = 100;
pub const NAME_MAX_CHARS: usize = 200;
pub const QUESTION_MAX_CHARS: usize = 500;
pub const COMMENT_MAX_CHARS: usize = 2000;

/// An eNPS survey.
#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: Uuid,
    pub name: String,
    pub question: String,
    /// Whether the survey also asks [`EXPECTATIONS_QUESTION`] (then every answer gives it).
    pub ask_expectations: bool,
    /// Whether an answer may carry a comment.
    pub allow_comment: bool,
    pub audience: Population,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The survey taken before a program launch, that later results compare with.
    pub baseline: bool,
    pub min_group_size: u32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    /// When the answers were cut into cells and the results computed; after the close.
    pub finalized_at: Option<DateTime<Utc>>,
}

/// Where a survey stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Scheduled,
    Open,
    Closed,
}

crate::string_enum!(Phase {
    Scheduled => "scheduled",
    Open => "open",
    Closed => "closed",
});

impl Survey {
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        if self.finalized_at.is_some() || now >= self.closes_at {
            Phase::Closed
        } else if now < self.opens_at {
            Phase::Scheduled
        } else {
            Phase::Open
        }
    }
}

/// One person's answer, as they send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub score: u8,
    pub expectations: Option<u8>,
    pub comment: Option<String>,
}

impl Answer {
    /// Check an answer against what `survey` asks: a score 0–10, the second question 1–5 when
    /// (and only when) it is asked, a comment only where comments are allowed.
    pub fn parse(
        survey: &Survey,
        score: i64,
        expectations: Option<i64>,
        comment: Option<&str>,
    ) -> Result<Answer, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let score = match u8::try_from(score) {
            Ok(s) if s <= 10 => s,
            _ => {
                errors.push("score", "must be a whole number from 0 to 10");
                0
            }
        };
        let expectations = match (survey.ask_expectations, expectations) {
            (true, Some(v)) => match u8::try_from(v) {
                Ok(v) if (1..=5).contains(&v) => Some(v),
                _ => {
                    errors.push("expectations", "must be a whole number from 1 to 5");
                    None
                }
            },
            (true, None) => {
                errors.push("expectations", "this survey asks it: answer 1 to 5");
                None
            }
            (false, Some(_)) => {
                errors.push("expectations", "this survey does not ask it");
                None
            }
            (false, None) => None,
        };
        let comment = match comment.map(str::trim).filter(|c| !c.is_empty()) {
            None => None,
            Some(_) if !survey.allow_comment => {
                errors.push("comment", "this survey takes no comments");
                None
            }
            Some(c) => errors
                .check("comment", Text::parse(c, COMMENT_MAX_CHARS))
                .map(Text::into_string),
        };
        errors.into_result()?;
        Ok(Answer {
            score,
            expectations,
            comment,
        })
    }
}

/// Where a person stood in the organisation when the survey was launched: all an answer's
/// cell is made from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Position {
    pub department: Option<String>,
    pub manager: Option<Uuid>,
}

/// A group results can be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupKey {
    Organisation,
    Department(Option<String>),
    /// Everyone below this manager, at any depth (not the manager).
    Subtree(Uuid),
}

impl GroupKey {
    /// `(kind, key)` as stored.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            GroupKey::Organisation => ("organisation", String::new()),
            GroupKey::Department(d) => ("department", d.clone().unwrap_or_default()),
            GroupKey::Subtree(m) => ("subtree", m.to_string()),
        }
    }

    pub fn from_parts(kind: &str, key: &str) -> Option<GroupKey> {
        match kind {
            "organisation" => Some(GroupKey::Organisation),
            "department" => Some(GroupKey::Department(
                Some(key.to_owned()).filter(|k| !k.is_empty()),
            )),
            "subtree" => key.parse().ok().map(GroupKey::Subtree),
            _ => None,
        }
    }
}

/// The reporting lines as they were at launch: each person's manager.
pub type Lines = HashMap<Uuid, Uuid>;

/// The managers above a position, nearest first (at most 64: a loop in the data stops there).
fn chain(lines: &Lines, manager: Option<Uuid>) -> Vec<Uuid> {
    let mut out = Vec::new();
    let mut next = manager;
    while let Some(m) = next {
        if out.len() >= 64 || out.contains(&m) {
            break;
        }
        out.push(m);
        next = lines.get(&m).copied();
    }
    out
}

fn groups_of(lines: &Lines, p: &Position) -> Vec<GroupKey> {
    let mut out = vec![
        GroupKey::Organisation,
        GroupKey::Department(p.department.clone()),
    ];
    out.extend(chain(lines, p.manager).into_iter().map(GroupKey::Subtree));
    out
}

/// One group after the cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCut {
    pub key: GroupKey,
    /// The group's manager's manager (for subtrees): where it sits in a breakdown.
    pub parent: Option<Uuid>,
    /// Its depth in the reporting lines (0 for a subtree of someone with no manager).
    pub depth: u32,
    /// People of the audience in it.
    pub audience: u32,
    /// Answers in it.
    pub respondents: u32,
    /// Exactly a union of cells, with at least `k` answers: its figures may be shown.
    pub reportable: bool,
    /// The cells it is made of (empty unless reportable).
    pub cells: Vec<u32>,
}

/// The answers cut into cells, and every group with whether it may be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The cell of each answer, in the order they were given to [`cut`].
    pub cell_of: Vec<u32>,
    /// How many answers each cell holds.
    pub cell_sizes: Vec<u32>,
    pub groups: Vec<GroupCut>,
}

struct Cell {
    members: Vec<usize>,
    /// Of the manager it formed at; -1 for a department's (or the small departments') top.
    depth: i64,
}

/// Cut `answers` (the positions of those who answered) into cells of at least `k`, and decide
/// which groups of `audience` (everyone asked) may be shown. See the module's documentation.
pub fn cut(k: usize, lines: &Lines, audience: &[Position], answers: &[Position]) -> Cut {
    let k = k.max(1);
    let mut depths: HashMap<Uuid, i64> = HashMap::new();
    let mut depth = |m: Uuid| -> i64 {
        *depths.entry(m).or_insert_with(|| {
            i64::try_from(chain(lines, lines.get(&m).copied()).len()).unwrap_or(64)
        })
    };
    let mut by_department: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    for (i, a) in answers.iter().enumerate() {
        by_department
            .entry(a.department.clone())
            .or_default()
            .push(i);
    }
    let mut cells: Vec<Cell> = Vec::new();
    let mut pool: Vec<usize> = Vec::new();
    for members in by_department.into_values() {
        let first_cell = cells.len();
        let mut top: Vec<usize> = Vec::new();
        // Deepest managers first; a manager's short list goes to their own manager.
        let mut waiting: BTreeMap<(Reverse<i64>, Uuid), Vec<usize>> = BTreeMap::new();
        for i in members {
            match answers[i].manager {
                Some(m) => waiting.entry((Reverse(depth(m)), m)).or_default().push(i),
                None => top.push(i),
            }
        }
        while let Some(((Reverse(d), m), list)) = waiting.pop_first() {
            if list.len() >= k {
                cells.push(Cell {
                    members: list,
                    depth: d,
                });
            } else {
                // Up one level; a loop in the data (no lower depth above) ends at the top.
                match lines.get(&m).copied().map(|up| (up, depth(up))) {
                    Some((up, du)) if du < d => {
                        waiting.entry((Reverse(du), up)).or_default().extend(list)
                    }
                    _ => top.extend(list),
                }
            }
        }
        if top.len() >= k {
            cells.push(Cell {
                members: top,
                depth: -1,
            });
        } else if !top.is_empty() {
            // Join the department's topmost cell, if it has one.
            match cells[first_cell..]
                .iter_mut()
                .min_by_key(|c| (c.depth, Reverse(c.members.len())))
            {
                Some(c) => c.members.extend(top),
                None => pool.extend(top),
            }
        }
    }
    if pool.len() >= k || (cells.is_empty() && !pool.is_empty()) {
        cells.push(Cell {
            members: pool,
            depth: -1,
        });
    } else if let Some(c) = cells.iter_mut().min_by_key(|c| c.members.len()) {
        c.members.extend(pool);
    }

    let mut cell_of = vec![0u32; answers.len()];
    let cell_sizes: Vec<u32> = cells
        .iter()
        .map(|c| u32::try_from(c.members.len()).unwrap_or(u32::MAX))
        .collect();
    for (id, c) in cells.iter().enumerate() {
        for &i in &c.members {
            cell_of[i] = u32::try_from(id).unwrap_or(u32::MAX);
        }
    }

    // Per group: its audience, its answers per cell.
    #[derive(Default)]
    struct Tally {
        audience: u32,
        respondents: u32,
        per_cell: BTreeMap<u32, u32>,
    }
    let mut tallies: BTreeMap<GroupKey, Tally> = BTreeMap::new();
    for p in audience {
        for g in groups_of(lines, p) {
            tallies.entry(g).or_default().audience += 1;
        }
    }
    for (i, p) in answers.iter().enumerate() {
        for g in groups_of(lines, p) {
            let t = tallies.entry(g).or_default();
            t.respondents += 1;
            *t.per_cell.entry(cell_of[i]).or_default() += 1;
        }
    }
    let groups = tallies
        .into_iter()
        .map(|(key, t)| {
            let exact = t
                .per_cell
                .iter()
                .all(|(c, n)| cell_sizes.get(*c as usize) == Some(n));
            let reportable = exact && t.respondents as usize >= k;
            let (parent, depth) = match &key {
                GroupKey::Subtree(m) => (
                    lines.get(m).copied(),
                    u32::try_from(depth(*m)).unwrap_or(u32::MAX),
                ),
                _ => (None, 0),
            };
            GroupCut {
                key,
                parent,
                depth,
                audience: t.audience,
                respondents: t.respondents,
                reportable,
                cells: if reportable {
                    t.per_cell.into_keys().collect()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    Cut {
        cell_of,
        cell_sizes,
        groups,
    }
}

/// The figures of a shown group.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// How many answered each score 0–10.
    pub distribution: [u32; 11],
    /// How many answered each of 1–5 to the second question (all zero if not asked).
    pub expectations: [u32; 5],
}

impl Figures {
    pub fn respondents(&self) -> u32 {
        self.distribution.iter().sum()
    }

    /// Promoters (9–10), passives (7–8), detractors (0–6).
    pub fn split(&self) -> (u32, u32, u32) {
        let d = &self.distribution;
        (d[9] + d[10], d[7] + d[8], d[..7].iter().sum())
    }

    /// % promoters − % detractors, rounded to the nearest whole number (halves away from 0).
    pub fn enps(&self) -> Option<i32> {
        let n = i64::from(self.respondents());
        if n == 0 {
            return None;
        }
        let (p, _, d) = self.split();
        let diff = 100 * (i64::from(p) - i64::from(d));
        let rounded = (2 * diff + diff.signum() * n) / (2 * n);
        i32::try_from(rounded).ok()
    }

    /// The second question's mean, if anyone answered it.
    pub fn expectations_mean(&self) -> Option<f64> {
        let n: u32 = self.expectations.iter().sum();
        if n == 0 {
            return None;
        }
        let sum: u32 = self
            .expectations
            .iter()
            .enumerate()
            .map(|(i, c)| (i as u32 + 1) * c)
            .sum();
        Some((f64::from(sum) / f64::from(n) * 100.0).round() / 100.0)
    }
}

/// A share as a whole percentage (rounded down), 0 for an empty whole.
pub fn percent(part: u32, whole: u32) -> u32 {
    (u64::from(part) * 100)
        .checked_div(u64::from(whole))
        .and_then(|p| u32::try_from(p).ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn pos(dept: &str, manager: Option<u128>) -> Position {
        Position {
            department: Some(dept.into()),
            manager: manager.map(id),
        }
    }

    fn group<'a>(c: &'a Cut, key: &GroupKey) -> &'a GroupCut {
        c.groups
            .iter()
            .find(|g| &g.key == key)
            .unwrap_or_else(|| panic!("no group {key:?}"))
    }

    /// Every shown figure is a sum over whole cells, each of at least `k`: the invariant.
    fn check_invariant(c: &Cut, k: u32) {
        for (i, size) in c.cell_sizes.iter().enumerate() {
            assert!(
                *size >= k || c.cell_sizes.len() == 1,
                "cell {i} holds {size} < {k}"
            );
        }
        for g in c.groups.iter().filter(|g| g.reportable) {
            let sum: u32 = g.cells.iter().map(|&x| c.cell_sizes[x as usize]).sum();
            assert_eq!(sum, g.respondents, "{:?} is not a union of cells", g.key);
        }
        // No two shown groups differ by fewer than k answers.
        let shown: Vec<&GroupCut> = c.groups.iter().filter(|g| g.reportable).collect();
        for a in &shown {
            for b in &shown {
                let (sa, sb): (HashSet<u32>, HashSet<u32>) = (
                    a.cells.iter().copied().collect(),
                    b.cells.iter().copied().collect(),
                );
                let only_a: u32 = sa.difference(&sb).map(|&x| c.cell_sizes[x as usize]).sum();
                assert!(
                    only_a == 0 || only_a >= k,
                    "{:?} minus {:?} isolates {only_a} answers",
                    a.key,
                    b.key
                );
            }
        }
    }

    #[test]
    fn a_department_minus_a_small_team_is_not_shown() {
        // Engineering: the head (1, reporting to the CEO 0), ten reports of the head, one of
        // whom (2) manages a team of two.
        let mut lines = Lines::new();
        lines.insert(id(1), id(0));
        let mut people = vec![pos("Engineering", Some(0))];
        for r in 2..12 {
            lines.insert(id(r), id(1));
            people.push(pos("Engineering", Some(1)));
        }
        for r in 20..22 {
            lines.insert(id(r), id(2));
            people.push(pos("Engineering", Some(2)));
        }
        let c = cut(5, &lines, &people, &people);
        check_invariant(&c, 5);
        let eng = group(&c, &GroupKey::Department(Some("Engineering".into())));
        assert!(eng.reportable);
        assert_eq!(eng.respondents, 13);
        assert!(!group(&c, &GroupKey::Subtree(id(2))).reportable);
        // The head's subtree (12) would differ from the department by the head alone.
        assert!(!group(&c, &GroupKey::Subtree(id(1))).reportable);
    }

    #[test]
    fn a_subtree_is_hidden_when_its_parent_adds_too_few() {
        // The CEO (0) manages 10 and five others; 10 manages 11 and 12; 11 manages six.
        let mut lines = Lines::new();
        let mut people = Vec::new();
        for (r, m) in [
            (10, 0),
            (11, 10),
            (12, 10),
            (40, 0),
            (41, 0),
            (42, 0),
            (43, 0),
            (44, 0),
        ] {
            lines.insert(id(r), id(m));
            people.push(pos("Sales", Some(m)));
        }
        for r in 30..36 {
            lines.insert(id(r), id(11));
            people.push(pos("Sales", Some(11)));
        }
        let c = cut(5, &lines, &people, &people);
        check_invariant(&c, 5);
        assert!(group(&c, &GroupKey::Subtree(id(11))).reportable);
        // 10's subtree is 11's plus two: it would give those two away.
        assert!(!group(&c, &GroupKey::Subtree(id(10))).reportable);
        assert!(group(&c, &GroupKey::Subtree(id(0))).reportable);

        // Without the CEO's other reports, what reaches the top joins 11's cell: 10's subtree
        // is shown and 11's is not. Never both.
        let small: Vec<Position> = people
            .iter()
            .filter(|p| p.manager != Some(id(0)))
            .cloned()
            .collect();
        let c = cut(5, &lines, &small, &small);
        check_invariant(&c, 5);
        assert!(
            !(group(&c, &GroupKey::Subtree(id(11))).reportable
                && group(&c, &GroupKey::Subtree(id(10))).reportable)
        );
        let sales = group(&c, &GroupKey::Department(Some("Sales".into())));
        assert!(sales.reportable);
        assert_eq!(sales.respondents, 8);
    }

    #[test]
    fn small_departments_pool_and_cannot_be_subtracted_from_the_total() {
        let lines = Lines::new();
        let mut people = Vec::new();
        for _ in 0..9 {
            people.push(pos("Engineering", None));
        }
        for _ in 0..2 {
            people.push(pos("Legal", None));
        }
        let c = cut(5, &lines, &people, &people);
        check_invariant(&c, 5);
        assert!(group(&c, &GroupKey::Organisation).reportable);
        assert!(!group(&c, &GroupKey::Department(Some("Legal".into()))).reportable);
        // Engineering took Legal's two: showing it would give Legal away by subtraction.
        assert!(!group(&c, &GroupKey::Department(Some("Engineering".into()))).reportable);
    }

    #[test]
    fn below_the_minimum_nothing_is_shown() {
        let people = vec![pos("Engineering", None); 4];
        let c = cut(5, &Lines::new(), &people, &people);
        assert!(c.groups.iter().all(|g| !g.reportable));
        assert_eq!(c.cell_sizes, vec![4]);
    }

    #[test]
    fn the_invariant_holds_on_a_crosscut_organisation() {
        // 400 people, eight reports per manager, departments cutting across the tree; a
        // pseudo-random three answers in five.
        let mut lines = Lines::new();
        let mut audience = Vec::new();
        let mut answers = Vec::new();
        let mut seed: u64 = 42;
        for i in 0..400u128 {
            let manager = (i > 0).then(|| (i - 1) / 8);
            if let Some(m) = manager {
                lines.insert(id(i), id(m));
            }
            let p = Position {
                department: Some(format!("D{}", i % 7)),
                manager: manager.map(id),
            };
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (seed >> 33) % 5 < 3 {
                answers.push(p.clone());
            }
            audience.push(p);
        }
        for k in [3, 5, 8] {
            let c = cut(k, &lines, &audience, &answers);
            check_invariant(&c, k as u32);
            assert!(group(&c, &GroupKey::Organisation).reportable);
            assert!(c.groups.iter().filter(|g| g.reportable).count() > 5);
        }
    }

    #[test]
    fn enps_rounds_half_away_from_zero() {
        let mut f = Figures {
            distribution: [0; 11],
            expectations: [0; 5],
        };
        assert_eq!(f.enps(), None);
        f.distribution[10] = 1;
        f.distribution[8] = 1;
        assert_eq!(f.enps(), Some(50));
        f.distribution[0] = 1;
        f.distribution[7] = 5;
        // 1 promoter, 1 detractor of 8: 0.
        assert_eq!(f.enps(), Some(0));
        f.distribution[3] = 1;
        // 1 − 2 of 9: −11.1 → −11.
        assert_eq!(f.enps(), Some(-11));
        let half = Figures {
            distribution: [0, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0],
            expectations: [0; 5],
        };
        // 1 of 8 = 12.5 → 13.
        assert_eq!(half.enps(), Some(13));
    }
}
