//! Goals: an objective with measurable key results, or a SMART goal with one target. Progress is
//! derived from the measures, never typed in twice; a goal may align to a parent goal (company
//! → team → person), never in a loop.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::ValidationErrors;
use crate::text::Text;

/// What a goal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoalKind {
    /// An objective with one or more key results (OKR).
    Objective,
    /// A specific, measurable, time-bound target: exactly one measure.
    Smart,
}

crate::string_enum!(GoalKind {
    Objective => "objective",
    Smart => "smart",
});

/// Where a goal stands, as its owner or their manager last said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoalStatus {
    OnTrack,
    AtRisk,
    OffTrack,
    Done,
    Dropped,
}

crate::string_enum!(GoalStatus {
    OnTrack => "on_track",
    AtRisk => "at_risk",
    OffTrack => "off_track",
    Done => "done",
    Dropped => "dropped",
});

impl GoalStatus {
    /// Still being worked on.
    pub fn active(self) -> bool {
        matches!(
            self,
            GoalStatus::OnTrack | GoalStatus::AtRisk | GoalStatus::OffTrack
        )
    }

    /// The order a 1:1 shows active goals in: those needing attention first.
    pub fn attention_rank(self) -> u8 {
        match self {
            GoalStatus::OffTrack => 0,
            GoalStatus::AtRisk => 1,
            GoalStatus::OnTrack => 2,
            GoalStatus::Done => 3,
            GoalStatus::Dropped => 4,
        }
    }
}

/// Who sees a goal besides its owner, their manager chain and HR admins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoalVisibility {
    /// The owner, their manager chain and HR admins.
    Private,
    /// Everyone in the organisation.
    Public,
}

crate::string_enum!(GoalVisibility {
    Private => "private",
    Public => "public",
});

/// How a key result (or a SMART goal's target) is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// From `start` toward `target` (up or down), now at `current`, in `unit`.
    Numeric {
        start: f64,
        target: f64,
        current: f64,
        unit: String,
    },
    /// Done or not.
    Milestone { done: bool },
}

/// The longest unit ("%", "customers", "ms p99").
pub const UNIT_MAX_CHARS: usize = 24;

impl Measure {
    /// A numeric measure: finite values, a target other than the start, a one-line unit.
    pub fn numeric(
        start: f64,
        target: f64,
        current: f64,
        unit: &str,
        field: &str,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if !(start.is_finite() && target.is_finite() && current.is_finite()) {
            errors.push(field, "values must be finite numbers");
        } else if start == target {
            errors.push(field, "the target must differ from the start");
        }
        let unit = match Text::parse_line(unit, UNIT_MAX_CHARS) {
            Ok(u) => u.into_string(),
            Err(e) => {
                errors.push(format!("{field}.unit"), e.to_string());
                String::new()
            }
        };
        errors.into_result()?;
        Ok(Measure::Numeric {
            start,
            target,
            current,
            unit,
        })
    }

    /// How far along, from 0 to 1: the share of the way from start to target (clamped: going
    /// past the target is done, going backwards is nothing), or 0/1 for a milestone.
    pub fn progress(&self) -> f64 {
        match self {
            Measure::Numeric {
                start,
                target,
                current,
                ..
            } => ((current - start) / (target - start)).clamp(0.0, 1.0),
            Measure::Milestone { done } => f64::from(u8::from(*done)),
        }
    }

    /// The measure at a new reading: a number for a numeric measure, done or not for a
    /// milestone; the other kind of reading is refused.
    pub fn at(&self, reading: Reading, field: &str) -> Result<Measure, ValidationErrors> {
        match (self, reading) {
            (
                Measure::Numeric {
                    start,
                    target,
                    unit,
                    ..
                },
                Reading::Value(v),
            ) => {
                if !v.is_finite() {
                    return Err(ValidationErrors::single(field, "must be a finite number"));
                }
                Ok(Measure::Numeric {
                    start: *start,
                    target: *target,
                    current: v,
                    unit: unit.clone(),
                })
            }
            (Measure::Milestone { .. }, Reading::Done(done)) => Ok(Measure::Milestone { done }),
            (Measure::Numeric { .. }, Reading::Done(_)) => Err(ValidationErrors::single(
                field,
                "this key result is measured by a number: send `value`",
            )),
            (Measure::Milestone { .. }, Reading::Value(_)) => Err(ValidationErrors::single(
                field,
                "this key result is a milestone: send `done`",
            )),
        }
    }
}

/// A new reading of a measure, in a progress update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    Value(f64),
    Done(bool),
}

/// A key result of an objective, or the target of a SMART goal.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyResult {
    pub id: Uuid,
    pub title: String,
    pub measure: Measure,
}

/// A goal's progress from 0 to 1: the mean of its key results' progress.
pub fn progress(key_results: &[KeyResult]) -> f64 {
    if key_results.is_empty() {
        return 0.0;
    }
    let sum: f64 = key_results.iter().map(|k| k.measure.progress()).sum();
    sum / key_results.len() as f64
}

/// Progress as a whole percentage, rounded down (99.9 % is not done).
pub fn progress_percent(key_results: &[KeyResult]) -> u8 {
    // Clamped to 0..=100 by construction, so the cast cannot truncate.
    (progress(key_results) * 100.0).floor().clamp(0.0, 100.0) as u8
}

/// The most key results an objective has (a short list is the point of OKRs).
pub const MAX_KEY_RESULTS: usize = 10;
pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 5_000;

/// A goal's fields as a client sends them, checked together.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalDraft {
    pub title: String,
    pub description: Option<String>,
    pub kind: GoalKind,
    pub start_date: NaiveDate,
    pub due_date: NaiveDate,
    pub visibility: GoalVisibility,
    /// Titles and measures of the key results (of the target, for a SMART goal).
    pub key_results: Vec<(String, Measure)>,
}

impl GoalDraft {
    /// Check the fields together, naming each field that is wrong.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        if let Err(e) = Text::parse_line(&self.title, TITLE_MAX_CHARS) {
            errors.push("title", e.to_string());
        }
        if let Some(d) = &self.description
            && let Err(e) = Text::parse(d, DESCRIPTION_MAX_CHARS)
        {
            errors.push("description", e.to_string());
        }
        if self.due_date < self.start_date {
            errors.push("due_date", "must not be before start_date");
        }
        let n = self.key_results.len();
        match self.kind {
            GoalKind::Smart if n != 1 => {
                errors.push("key_results", "a SMART goal has exactly one target");
            }
            GoalKind::Objective if !(1..=MAX_KEY_RESULTS).contains(&n) => {
                errors.push(
                    "key_results",
                    format!("an objective has 1 to {MAX_KEY_RESULTS} key results"),
                );
            }
            _ => {}
        }
        for (i, (title, _)) in self.key_results.iter().enumerate() {
            if let Err(e) = Text::parse_line(title, TITLE_MAX_CHARS) {
                errors.push(format!("key_results[{i}].title"), e.to_string());
            }
        }
        errors.into_result()
    }
}

/// A goal as stored: its definition, its key results (in order) and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// The goal it aligns to (company → team → person).
    pub parent_id: Option<Uuid>,
    pub kind: GoalKind,
    pub title: String,
    pub description: Option<String>,
    pub start_date: NaiveDate,
    pub due_date: NaiveDate,
    pub visibility: GoalVisibility,
    pub status: GoalStatus,
    pub key_results: Vec<KeyResult>,
    /// The last 1:1 a talking point about it was discussed in.
    pub last_discussed_meeting_id: Option<Uuid>,
    pub last_discussed_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Goal {
    /// Progress as a whole percentage ([`progress_percent`]).
    pub fn progress_percent(&self) -> u8 {
        progress_percent(&self.key_results)
    }
}

/// A key result's reading after a progress update.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeyResultReading {
    pub key_result_id: Uuid,
    /// The new value of a numeric key result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Whether a milestone is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<bool>,
    /// The key result's progress after the update.
    pub progress_percent: u8,
}

impl KeyResultReading {
    /// The reading of `kr` as it stands.
    pub fn of(kr: &KeyResult) -> Self {
        let (value, done) = match kr.measure {
            Measure::Numeric { current, .. } => (Some(current), None),
            Measure::Milestone { done } => (None, Some(done)),
        };
        Self {
            key_result_id: kr.id,
            value,
            done,
            progress_percent: progress_percent(std::slice::from_ref(kr)),
        }
    }
}

/// One entry of a goal's history: who, when, the status and progress after it, the readings
/// it changed and why. The first entry is the goal being set.
#[derive(Debug, Clone, PartialEq)]
pub struct GoalUpdate {
    pub id: Uuid,
    pub goal_id: Uuid,
    pub author_id: Uuid,
    pub status: GoalStatus,
    pub progress_percent: u8,
    pub readings: Vec<KeyResultReading>,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The longest comment on a progress update.
pub const COMMENT_MAX_CHARS: usize = 2_000;

/// Would aligning `goal` under `parent` close a loop? `ancestors` is the alignment chain above
/// the new parent, starting with the parent itself (the same rule as reporting lines).
pub fn alignment_closes_cycle(goal: Uuid, ancestors: &[Uuid]) -> bool {
    crate::org::closes_cycle(goal, ancestors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(start: f64, target: f64, current: f64) -> Measure {
        Measure::numeric(start, target, current, "%", "m").expect("valid")
    }

    fn fields(errors: &ValidationErrors) -> Vec<&str> {
        errors.0.iter().map(|e| e.field.as_str()).collect()
    }

    fn kr(measure: Measure) -> KeyResult {
        KeyResult {
            id: Uuid::now_v7(),
            title: "kr".into(),
            measure,
        }
    }

    #[test]
    fn progress_is_the_share_of_the_way_either_direction_clamped() {
        assert_eq!(numeric(0.0, 200.0, 50.0).progress(), 0.25);
        // Down is progress too: latency from 800 ms to 200 ms, now 500.
        assert_eq!(numeric(800.0, 200.0, 500.0).progress(), 0.5);
        assert_eq!(numeric(0.0, 10.0, 14.0).progress(), 1.0);
        assert_eq!(numeric(0.0, 10.0, -3.0).progress(), 0.0);
        assert_eq!(Measure::Milestone { done: true }.progress(), 1.0);
        assert_eq!(Measure::Milestone { done: false }.progress(), 0.0);
    }

    #[test]
    fn a_goal_is_the_mean_of_its_key_results_rounded_down() {
        let krs = [
            kr(numeric(0.0, 3.0, 2.0)),
            kr(Measure::Milestone { done: true }),
            kr(Measure::Milestone { done: false }),
        ];
        // (2/3 + 1 + 0) / 3 = 0.5555…
        assert_eq!(progress_percent(&krs), 55);
        assert_eq!(progress_percent(&[]), 0);
        let almost = [kr(numeric(0.0, 1000.0, 999.0))];
        assert_eq!(progress_percent(&almost), 99);
    }

    #[test]
    fn measures_refuse_what_cannot_be_measured() {
        assert!(Measure::numeric(5.0, 5.0, 5.0, "%", "m").is_err());
        assert!(Measure::numeric(0.0, f64::NAN, 0.0, "%", "m").is_err());
        assert!(Measure::numeric(0.0, 1.0, f64::INFINITY, "%", "m").is_err());
        assert!(Measure::numeric(0.0, 1.0, 0.0, "per\nline", "m").is_err());
        let m = numeric(0.0, 10.0, 1.0);
        assert_eq!(
            m.at(Reading::Value(4.0), "v").expect("a number").progress(),
            0.4
        );
        assert!(m.at(Reading::Done(true), "v").is_err());
        assert!(m.at(Reading::Value(f64::NAN), "v").is_err());
        let milestone = Measure::Milestone { done: false };
        assert!(milestone.at(Reading::Value(1.0), "v").is_err());
        assert_eq!(
            milestone.at(Reading::Done(true), "v"),
            Ok(Measure::Milestone { done: true })
        );
    }

    #[test]
    fn drafts_name_every_wrong_field() {
        let day = |d| NaiveDate::from_ymd_opt(2027, 1, d).expect("a date");
        let ok = GoalDraft {
            title: "Ship the mobile app".into(),
            description: None,
            kind: GoalKind::Smart,
            start_date: day(1),
            due_date: day(31),
            visibility: GoalVisibility::Public,
            key_results: vec![("Store rating".into(), numeric(0.0, 4.5, 0.0))],
        };
        assert!(ok.validate().is_ok());
        let bad = GoalDraft {
            title: String::new(),
            due_date: day(1),
            start_date: day(2),
            key_results: vec![],
            ..ok.clone()
        };
        let errors = bad.validate().expect_err("invalid");
        assert_eq!(fields(&errors), ["title", "due_date", "key_results"]);
        let objective = GoalDraft {
            kind: GoalKind::Objective,
            key_results: vec![("".into(), Measure::Milestone { done: false })],
            ..ok
        };
        let errors = objective.validate().expect_err("an empty key result title");
        assert_eq!(fields(&errors), ["key_results[0].title"]);
    }

    #[test]
    fn alignment_never_loops_and_attention_orders_statuses() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        // c under b under a: putting a under c closes a loop; c under a does not.
        assert!(alignment_closes_cycle(a, &[c, b, a]));
        assert!(!alignment_closes_cycle(c, &[a]));
        let mut statuses = GoalStatus::ALL.to_vec();
        statuses.sort_by_key(|s| s.attention_rank());
        assert_eq!(statuses[0], GoalStatus::OffTrack);
        assert_eq!(statuses[1], GoalStatus::AtRisk);
        assert!(GoalStatus::AtRisk.active() && !GoalStatus::Done.active());
    }
}
