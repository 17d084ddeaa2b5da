//! Slack and Microsoft Teams: where a person's reminders and digest, or a manager's team
//! channel's, are posted (incoming webhooks).
//!
//! A chat channel may be read by more people than its owner, so a chat message never carries a
//! private talking point, nor a trace of one: a person's own destination gets the shared agenda,
//! the pair's open action items and their digest; a team destination gets metadata only (who
//! meets whom, when) and the digest as counts, never names of those behind.

use serde::{Deserialize, Serialize};

/// Whose messages a destination receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// One person's own: their reminders, and (for a manager) their digest.
    Person,
    /// A manager's team channel: a line before each 1:1 the manager holds, and the digest in
    /// counts.
    Team,
}

/// How a message is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// Slack incoming webhooks (Block Kit); Mattermost and Rocket.Chat read them too.
    Slack,
    /// Microsoft Teams workflows (an Adaptive Card in a `message`).
    Teams,
}

/// What a destination is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    /// Before each 1:1 (at the person's reminder lead).
    MeetingReminder,
    /// The manager's weekly digest.
    WeeklyDigest,
}

crate::string_enum!(Audience { Person => "person", Team => "team" });
crate::string_enum!(Platform { Slack => "slack", Teams => "teams" });
crate::string_enum!(ChatKind {
    MeetingReminder => "meeting_reminder",
    WeeklyDigest => "weekly_digest",
});

impl ChatKind {
    /// The job kind of this message (the same as the email's).
    pub fn job_kind(self) -> &'static str {
        match self {
            ChatKind::MeetingReminder => "meeting.reminder",
            ChatKind::WeeklyDigest => "manager.digest",
        }
    }

    pub fn from_job_kind(s: &str) -> Option<Self> {
        ChatKind::ALL.iter().copied().find(|k| k.job_kind() == s)
    }
}

/// A person has at most this many destinations of each audience.
pub const MAX_PER_PERSON: i64 = 10;

/// What may be shown of a secret address: its host and the last four characters, which is
/// enough to tell two apart (`hooks.slack.com/…Xy9z`).
pub fn hint(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let tail: String = {
        let chars: Vec<char> = rest.chars().collect();
        let keep = if chars.len() > host.len() + 8 { 4 } else { 0 };
        chars[chars.len() - keep..].iter().collect()
    };
    if tail.is_empty() {
        host.to_owned()
    } else {
        format!("{host}/…{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for a in [Audience::Person, Audience::Team] {
            assert_eq!(a.as_str().parse::<Audience>().ok(), Some(a));
        }
        for p in [Platform::Slack, Platform::Teams] {
            assert_eq!(p.as_str().parse::<Platform>().ok(), Some(p));
        }
        for k in [ChatKind::MeetingReminder, ChatKind::WeeklyDigest] {
            assert_eq!(k.as_str().parse::<ChatKind>().ok(), Some(k));
            assert_eq!(ChatKind::from_job_kind(k.job_kind()), Some(k));
        }
        assert_eq!("discord".parse::<Platform>().ok(), None);
    }

    #[test]
    fn a_hint_shows_the_host_and_four_characters_only() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXsecretXy9z";
        assert_eq!(hint(url), "hooks.slack.com/…Xy9z");
        assert!(!hint(url).contains("secret"));
        // A short path shows nothing of it.
        assert_eq!(hint("http://127.0.0.1:8080/a"), "127.0.0.1:8080");
    }
}
