//! The agenda of a 1:1: talking points either participant adds, shared or private.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::text::Text;

/// The topic of an agenda item; reports count these (never the text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgendaCategory {
    Career,
    Coaching,
    Feedback,
    Goals,
    Wellbeing,
    Concerns,
    Ideas,
    Recognition,
    StatusUpdate,
    Other,
}

crate::string_enum!(AgendaCategory {
    Career => "career",
    Coaching => "coaching",
    Feedback => "feedback",
    Goals => "goals",
    Wellbeing => "wellbeing",
    Concerns => "concerns",
    Ideas => "ideas",
    Recognition => "recognition",
    StatusUpdate => "status_update",
    Other => "other",
});

pub const TITLE_MAX: usize = 300;
pub const DETAILS_MAX: usize = 10_000;
pub const NOTE_MAX: usize = 100_000;

/// An agenda item as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItem {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub author_id: Uuid,
    pub title: String,
    pub details: Option<String>,
    pub category: AgendaCategory,
    /// Readable by its author alone, everywhere.
    pub private: bool,
    /// Set once someone reorders the agenda; otherwise the report's items come first.
    pub position: Option<i32>,
    /// Discussed.
    pub checked: bool,
    pub checked_at: Option<DateTime<Utc>>,
    /// When it was first added, before any carry-over.
    pub first_added_at: DateTime<Utc>,
    /// How many times it moved on to a next meeting undiscussed.
    pub times_carried: i32,
    /// The goal it is about ("discuss this goal"), if any.
    pub goal_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AgendaItem {
    /// Whether `viewer` may know this item exists.
    pub fn visible_to(&self, viewer: Uuid) -> bool {
        !self.private || self.author_id == viewer
    }
}

/// The editable text of an item, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaText {
    pub title: Text,
    pub details: Option<Text>,
}

impl AgendaText {
    pub fn parse(title: &str, details: Option<&str>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title = errors.check("title", Text::parse_line(title, TITLE_MAX));
        let details = details
            .filter(|d| !d.trim().is_empty())
            .and_then(|d| errors.check("details", Text::parse(d, DETAILS_MAX)));
        errors.into_result()?;
        match title {
            Some(title) => Ok(Self { title, details }),
            None => Err(ValidationErrors::single("title", "invalid")),
        }
    }
}

/// A new talking point's text and category: its own, or where it gives none, those of the
/// conversation starter it comes from (which must be active). Without either, a title is
/// required and the category is `other`.
pub fn new_item_text(
    title: Option<&str>,
    details: Option<&str>,
    category: Option<AgendaCategory>,
    starter: Option<&crate::library::Starter>,
) -> Result<(AgendaText, AgendaCategory), ValidationErrors> {
    if starter.is_some_and(|s| !s.active) {
        return Err(ValidationErrors::single("starter_id", NO_STARTER));
    }
    let title = match (title, starter) {
        (Some(t), _) => t,
        (None, Some(s)) => s.question.as_str(),
        (None, None) => {
            return Err(ValidationErrors::single(
                "title",
                "required (or give a starter_id)",
            ));
        }
    };
    let text = AgendaText::parse(title, details)?;
    let category = category
        .or(starter.map(|s| s.category))
        .unwrap_or(AgendaCategory::Other);
    Ok((text, category))
}

/// Number the placed items of an agenda as one viewer sees it (in its order, only what they may
/// see): 1, 2, 3… with no gaps, so that an item hidden from them (the other participant's
/// private point) leaves no trace in the numbers. Items never placed keep no position.
pub fn dense_positions(items: &mut [AgendaItem]) {
    let mut n = 0;
    for item in items.iter_mut().filter(|i| i.position.is_some()) {
        n += 1;
        item.position = Some(n);
    }
}

/// Why a `starter_id` is refused.
pub const NO_STARTER: &str = "no such active starter";

/// A note: the shared one of a meeting, or a participant's private one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub body: String,
    pub updated_by: Uuid,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// The fields of an item only its author may change; the rest (checked, order) either
/// participant may.
pub const AUTHOR_ONLY_FIELDS: [&str; 4] = ["title", "details", "category", "private"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_dense_over_what_one_sees() {
        let item = |position: Option<i32>| AgendaItem {
            id: Uuid::now_v7(),
            meeting_id: Uuid::nil(),
            author_id: Uuid::nil(),
            title: "t".into(),
            details: None,
            category: AgendaCategory::Other,
            private: false,
            position,
            checked: false,
            checked_at: None,
            first_added_at: Utc::now(),
            times_carried: 0,
            goal_id: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let mut seen = vec![item(Some(1)), item(Some(3)), item(Some(7)), item(None)];
        dense_positions(&mut seen);
        let got: Vec<Option<i32>> = seen.iter().map(|i| i.position).collect();
        assert_eq!(got, [Some(1), Some(2), Some(3), None]);
    }

    #[test]
    fn a_new_point_takes_what_its_starter_gives_where_it_gives_nothing() {
        let starter = crate::library::Starter {
            id: Uuid::nil(),
            category: AgendaCategory::Goals,
            question: "What would make next month a success?".into(),
            active: true,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let (text, category) =
            new_item_text(None, None, None, Some(&starter)).expect("from the starter");
        assert_eq!(text.title.as_str(), starter.question);
        assert_eq!(category, AgendaCategory::Goals);
        let (text, category) = new_item_text(
            Some("Mine"),
            None,
            Some(AgendaCategory::Career),
            Some(&starter),
        )
        .expect("own");
        assert_eq!(
            (text.title.as_str(), category),
            ("Mine", AgendaCategory::Career)
        );
        let (_, category) = new_item_text(Some("Plain"), None, None, None).expect("plain");
        assert_eq!(category, AgendaCategory::Other);
        assert!(new_item_text(None, None, None, None).is_err());
        let retired = crate::library::Starter {
            active: false,
            ..starter
        };
        let refused = new_item_text(Some("x"), None, None, Some(&retired)).expect_err("retired");
        assert!(format!("{refused:?}").contains("starter_id"));
    }

    #[test]
    fn private_items_are_visible_to_their_author_only() {
        let author = Uuid::now_v7();
        let other = Uuid::now_v7();
        let now = Utc::now();
        let item = AgendaItem {
            id: Uuid::now_v7(),
            meeting_id: Uuid::now_v7(),
            author_id: author,
            title: "t".into(),
            details: None,
            category: AgendaCategory::Career,
            private: true,
            position: None,
            checked: false,
            checked_at: None,
            first_added_at: now,
            times_carried: 0,
            goal_id: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        assert!(item.visible_to(author));
        assert!(!item.visible_to(other));
        let shared = AgendaItem {
            private: false,
            ..item
        };
        assert!(shared.visible_to(other));
    }

    #[test]
    fn text_is_validated() {
        assert!(AgendaText::parse("Career path", Some("  ")).is_ok_and(|t| t.details.is_none()));
        assert!(AgendaText::parse("  ", None).is_err());
        assert!(AgendaText::parse(&"x".repeat(301), None).is_err());
        assert_eq!(
            "status_update".parse::<AgendaCategory>(),
            Ok(AgendaCategory::StatusUpdate)
        );
    }
}
