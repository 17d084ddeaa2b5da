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
