//! Feedback between colleagues, given freely or in answer to a request, and recognition (a short
//! public thank-you).
//!
//! Who reads a piece of feedback: its giver and its recipient; the recipient's manager only when
//! the giver chose so; everyone in the organisation for recognition. HR and tokens never read
//! text. An **anonymous answer** to a request names no giver to anyone and carries no time: it is
//! stored without either, under a random id, and released to the recipient only in groups of at
//! least [`ANONYMOUS_RELEASE`], so it cannot be told apart by elimination.

use serde::{Deserialize, Serialize};

use crate::person::PersonId;

/// What a piece of feedback is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Praise,
    Constructive,
    /// A short public thank-you, visible to the organisation.
    Recognition,
}

crate::string_enum!(FeedbackKind {
    Praise => "praise",
    Constructive => "constructive",
    Recognition => "recognition",
});

/// Who besides the giver reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The recipient only.
    Recipient,
    /// The recipient and their manager.
    RecipientAndManager,
    /// Everyone in the organisation (recognition).
    Organisation,
}

crate::string_enum!(Visibility {
    Recipient => "recipient",
    RecipientAndManager => "recipient_and_manager",
    Organisation => "organisation",
});

/// Where a person asked for feedback stands with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RespondentStatus {
    Pending,
    Answered,
    Declined,
}

crate::string_enum!(RespondentStatus {
    Pending => "pending",
    Answered => "answered",
    Declined => "declined",
});

/// The longest feedback, in characters.
pub const BODY_MAX: usize = 5000;
/// The longest recognition: a short thank-you.
pub const RECOGNITION_MAX: usize = 280;
/// The longest question of a request.
pub const QUESTION_MAX: usize = 500;
/// The most colleagues one request asks.
pub const MAX_RESPONDENTS: usize = 20;
/// Anonymous answers to a request are released in groups of at least this many.
pub const ANONYMOUS_RELEASE: i64 = 3;

/// Whether `viewer` reads a piece of feedback (`giver` is `None` for an anonymous answer; the
/// recipient's current manager is `recipient_manager`).
pub fn readable(
    viewer: PersonId,
    giver: Option<PersonId>,
    recipient: PersonId,
    recipient_manager: Option<PersonId>,
    visibility: Visibility,
) -> bool {
    match visibility {
        Visibility::Organisation => true,
        _ if viewer == recipient || giver == Some(viewer) => true,
        Visibility::RecipientAndManager => recipient_manager == Some(viewer),
        Visibility::Recipient => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn the_manager_reads_only_what_the_giver_shared_with_them() {
        let (giver, recipient, manager, other) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let read = |viewer, v| readable(viewer, Some(giver), recipient, Some(manager), v);
        assert!(read(giver, Visibility::Recipient));
        assert!(read(recipient, Visibility::Recipient));
        assert!(!read(manager, Visibility::Recipient));
        assert!(read(manager, Visibility::RecipientAndManager));
        assert!(!read(other, Visibility::RecipientAndManager));
        assert!(read(other, Visibility::Organisation));
        // An anonymous answer: nobody is its giver.
        assert!(!readable(
            giver,
            None,
            recipient,
            Some(manager),
            Visibility::Recipient
        ));
    }
}
