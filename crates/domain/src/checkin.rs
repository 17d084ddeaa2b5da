//! Check-ins: a periodic, documented review of a person's period with their manager — not a
//! 1:1. HR launches a cycle for a population; each person in it gets one check-in with their
//! manager, which moves `draft → submitted (by the person) → reviewed (by the manager) →
//! acknowledged (by the person)`.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::ValidationErrors;
use crate::text::Text;

/// How often a cycle comes round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CycleFrequency {
    Monthly,
    Quarterly,
}

crate::string_enum!(CycleFrequency {
    Monthly => "monthly",
    Quarterly => "quarterly",
});

/// Who a cycle is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Population {
    /// Every active person with a manager.
    Everyone,
    /// Everyone in this department.
    Department(String),
    /// Everyone below this manager, at any depth.
    Subtree(Uuid),
}

/// A check-in cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub id: Uuid,
    pub name: String,
    pub frequency: CycleFrequency,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub population: Population,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Where a check-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckinState {
    Draft,
    Submitted,
    Reviewed,
    Acknowledged,
}

crate::string_enum!(CheckinState {
    Draft => "draft",
    Submitted => "submitted",
    Reviewed => "reviewed",
    Acknowledged => "acknowledged",
});

impl CheckinState {
    /// Not yet acknowledged: still someone's to do.
    pub fn open(self) -> bool {
        self != CheckinState::Acknowledged
    }
}

/// What moves a check-in on, and who does it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The person submits their self-assessment.
    Submit,
    /// The manager reviews it.
    Review,
    /// The person acknowledges the review.
    Acknowledge,
}

/// Who a check-in is between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Person,
    Manager,
}

impl Step {
    /// The state a step leaves from, the state it leads to, and who takes it.
    pub fn rule(self) -> (CheckinState, CheckinState, Role) {
        match self {
            Step::Submit => (CheckinState::Draft, CheckinState::Submitted, Role::Person),
            Step::Review => (
                CheckinState::Submitted,
                CheckinState::Reviewed,
                Role::Manager,
            ),
            Step::Acknowledge => (
                CheckinState::Reviewed,
                CheckinState::Acknowledged,
                Role::Person,
            ),
        }
    }

    /// The state after this step from `from`; taking a step again once taken changes nothing
    /// (a retried request); anything else is refused.
    pub fn from(self, from: CheckinState) -> Result<CheckinState, String> {
        let (before, after, _) = self.rule();
        if from == before || from == after {
            Ok(after)
        } else {
            Err(format!(
                "a {} check-in cannot be {}: it must be {} first",
                from.as_str(),
                after.as_str(),
                before.as_str()
            ))
        }
    }
}

/// A person's self-assessment of their period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfAssessment {
    pub went_well: Option<String>,
    pub went_badly: Option<String>,
    pub blockers: Option<String>,
    pub next_focus: Option<String>,
}

/// The longest answer to one question of a check-in.
pub const ANSWER_MAX_CHARS: usize = 5_000;

impl SelfAssessment {
    /// Check each answer; blank answers become none.
    pub fn parse(self) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let mut field = |name: &str, v: Option<String>| -> Option<String> {
            let v = v.filter(|s| !s.trim().is_empty())?;
            match Text::parse(&v, ANSWER_MAX_CHARS) {
                Ok(t) => Some(t.into_string()),
                Err(e) => {
                    errors.push(name, e.to_string());
                    None
                }
            }
        };
        let parsed = SelfAssessment {
            went_well: field("went_well", self.went_well),
            went_badly: field("went_badly", self.went_badly),
            blockers: field("blockers", self.blockers),
            next_focus: field("next_focus", self.next_focus),
        };
        errors.into_result()?;
        Ok(parsed)
    }
}

/// A goal's progress as a check-in keeps it at submission.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoalSnapshot {
    pub goal_id: Uuid,
    pub title: String,
    pub status: String,
    pub progress_percent: u8,
}

/// One person's check-in of a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Checkin {
    pub id: Uuid,
    pub cycle_id: Uuid,
    pub person_id: Uuid,
    pub manager_id: Uuid,
    pub state: CheckinState,
    pub assessment: SelfAssessment,
    pub manager_comment: Option<String>,
    /// The person's goals at submission (empty before).
    pub goals: Vec<GoalSnapshot>,
    pub due_date: NaiveDate,
    pub submitted_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Checkin {
    /// Which side of the check-in `person` is on, if any.
    pub fn role_of(&self, person: Uuid) -> Option<Role> {
        if person == self.person_id {
            Some(Role::Person)
        } else if person == self.manager_id {
            Some(Role::Manager)
        } else {
            None
        }
    }

    /// Whether `role` may still change its part: the person their self-assessment while it is
    /// a draft; the manager their comment until they have reviewed it.
    pub fn editable_by(&self, role: Role) -> bool {
        match role {
            Role::Person => self.state == CheckinState::Draft,
            Role::Manager => matches!(self.state, CheckinState::Draft | CheckinState::Submitted),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_go_one_way_and_repeat_harmlessly() {
        use CheckinState::*;
        assert_eq!(Step::Submit.from(Draft), Ok(Submitted));
        assert_eq!(Step::Submit.from(Submitted), Ok(Submitted));
        assert!(Step::Review.from(Draft).is_err());
        assert_eq!(Step::Review.from(Submitted), Ok(Reviewed));
        assert!(Step::Acknowledge.from(Submitted).is_err());
        assert_eq!(Step::Acknowledge.from(Reviewed), Ok(Acknowledged));
        assert!(Step::Submit.from(Reviewed).is_err());
        assert_eq!(Step::Review.rule().2, Role::Manager);
        assert!(!Acknowledged.open() && Reviewed.open());
    }

    #[test]
    fn answers_are_checked_and_blank_ones_dropped() {
        let a = SelfAssessment {
            went_well: Some("Shipped the importer".into()),
            went_badly: Some("   ".into()),
            blockers: Some("x".repeat(ANSWER_MAX_CHARS + 1)),
            next_focus: None,
        };
        let errors = a.clone().parse().expect_err("too long");
        assert_eq!(errors.0[0].field, "blockers");
        let ok = SelfAssessment {
            blockers: None,
            ..a
        }
        .parse()
        .expect("valid");
        assert_eq!(ok.went_badly, None);
        assert_eq!(ok.went_well.as_deref(), Some("Shipped the importer"));
    }
}
