//! Text values that both databases store identically.
//!
//! SQLite accepts a NUL character inside a string and PostgreSQL rejects it, so no text with
//! one ever reaches storage. Surrounding white space is trimmed; control characters other than
//! line breaks and tabs are refused.

use std::fmt;

use validator::ValidateEmail;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must be a valid email address")]
    InvalidEmail,
}

/// Trimmed, non-empty text of bounded length without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    /// Parse a single-line value (names, titles): no line breaks either.
    pub fn parse_line(raw: &str, max_chars: usize) -> Result<Self, TextError> {
        if raw.chars().any(|c| c.is_control()) {
            return Err(TextError::ControlCharacter);
        }
        Self::parse(raw, max_chars)
    }

    /// Parse multi-line text (details, notes): line breaks and tabs allowed.
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, TextError> {
        if raw
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            return Err(TextError::ControlCharacter);
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > max_chars {
            return Err(TextError::TooLong(max_chars));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address as the person typed it, unique in the organisation regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

impl Email {
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = Text::parse_line(raw, Self::MAX_CHARS)?;
        let value = text.into_string();
        if !value.validate_email() {
            return Err(TextError::InvalidEmail);
        }
        let normalized = value.to_lowercase();
        Ok(Self {
            display: value,
            normalized,
        })
    }

    /// As given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// Lower-cased, the key for uniqueness and look-up. Computed here, not by the database,
    /// because SQLite's `lower()` folds ASCII only and PostgreSQL's folds all of Unicode.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// True when a string holds a NUL character, which PostgreSQL cannot store.
pub fn has_nul(s: &str) -> bool {
    s.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_trims_and_bounds() {
        assert_eq!(
            Text::parse("  hi  ", 5).map(|t| t.into_string()),
            Ok("hi".into())
        );
        assert_eq!(Text::parse("   ", 5), Err(TextError::Empty));
        assert_eq!(Text::parse("héllo!", 5), Err(TextError::TooLong(5)));
        assert_eq!(Text::parse("a\0b", 5), Err(TextError::ControlCharacter));
        assert!(Text::parse("line\nbreak", 20).is_ok());
        assert_eq!(
            Text::parse_line("line\nbreak", 20),
            Err(TextError::ControlCharacter)
        );
    }

    #[test]
    fn email_is_case_insensitive_and_validated() {
        let e = Email::parse(" Ada.Lovelace@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "Ada.Lovelace@Example.COM");
        assert_eq!(e.normalized(), "ada.lovelace@example.com");
        assert_eq!(Email::parse("nope"), Err(TextError::InvalidEmail));
        assert_eq!(Email::parse("a@"), Err(TextError::InvalidEmail));
        assert_eq!(Email::parse(""), Err(TextError::Empty));
    }

    #[test]
    fn nul_detected() {
        assert!(has_nul("a\u{0}"));
        assert!(!has_nul("plain"));
    }
}
