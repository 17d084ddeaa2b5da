//! A person in the organisation, and the validated input that creates or changes one.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::ValidationErrors;
use crate::text::{Email, Text};

pub type PersonId = Uuid;

/// Bounds on a person's fields, shared by validation and the API contract.
pub mod limits {
    pub const DISPLAY_NAME: usize = 200;
    pub const TITLE: usize = 200;
    pub const DEPARTMENT: usize = 200;
    pub const EXTERNAL_ID: usize = 200;
    pub const SECONDARY_MANAGERS: usize = 20;
    pub const PASSWORD_MIN: usize = 12;
    pub const PASSWORD_MAX: usize = 256;
}

/// A person as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub email: String,
    pub display_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<PersonId>,
    pub secondary_manager_ids: Vec<PersonId>,
    pub external_id: Option<String>,
    pub hr_admin: bool,
    pub active: bool,
    /// Bumped on every change; the ETag and the optimistic-concurrency check.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
    /// Set when the person was erased: the record is a tombstone with no personal data left.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The editable fields of a person, unvalidated: what a request carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub email: String,
    pub display_name: String,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<PersonId>,
    pub secondary_manager_ids: Vec<PersonId>,
    pub external_id: Option<String>,
    pub hr_admin: bool,
    pub active: bool,
}

/// The editable fields of a person, validated. Only [`PersonDraft::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    pub email: Email,
    pub display_name: Text,
    pub title: Option<Text>,
    pub department: Option<Text>,
    pub manager_id: Option<PersonId>,
    pub secondary_manager_ids: Vec<PersonId>,
    pub external_id: Option<Text>,
    pub hr_admin: bool,
    pub active: bool,
}

fn optional_line(
    errors: &mut ValidationErrors,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<Text> {
    // An empty optional field means "not set", as a client clearing an input would expect.
    let value = value.filter(|v| !v.trim().is_empty())?;
    errors.check(field, Text::parse_line(value, max))
}

impl PersonDraft {
    /// Validate every field of a person; `id` is the person's own id when it exists already,
    /// so that a person cannot manage themselves.
    pub fn parse(fields: &PersonFields, id: Option<PersonId>) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = errors.check("email", Email::parse(&fields.email));
        let display_name = errors.check(
            "display_name",
            Text::parse_line(&fields.display_name, limits::DISPLAY_NAME),
        );
        let title = optional_line(&mut errors, "title", fields.title.as_deref(), limits::TITLE);
        let department = optional_line(
            &mut errors,
            "department",
            fields.department.as_deref(),
            limits::DEPARTMENT,
        );
        let external_id = optional_line(
            &mut errors,
            "external_id",
            fields.external_id.as_deref(),
            limits::EXTERNAL_ID,
        );
        if id.is_some() && fields.manager_id == id {
            errors.push("manager_id", "a person cannot be their own manager");
        }
        let mut secondary = fields.secondary_manager_ids.clone();
        secondary.sort();
        secondary.dedup();
        if secondary.len() > limits::SECONDARY_MANAGERS {
            errors.push(
                "secondary_manager_ids",
                format!("at most {} secondary managers", limits::SECONDARY_MANAGERS),
            );
        }
        if id.is_some_and(|id| secondary.contains(&id)) {
            errors.push(
                "secondary_manager_ids",
                "a person cannot be their own secondary manager",
            );
        }
        if fields.manager_id.is_some_and(|m| secondary.contains(&m)) {
            errors.push(
                "secondary_manager_ids",
                "the manager is already the primary manager",
            );
        }
        errors.into_result()?;
        match (email, display_name) {
            (Some(email), Some(display_name)) => Ok(Self {
                email,
                display_name,
                title,
                department,
                manager_id: fields.manager_id,
                secondary_manager_ids: secondary,
                external_id,
                hr_admin: fields.hr_admin,
                active: fields.active,
            }),
            // Unreachable: a failed parse recorded an error above.
            _ => Err(ValidationErrors::single("email", "invalid")),
        }
    }
}

impl Person {
    /// The editable fields of this person, the base a merge-patch is applied to.
    pub fn fields(&self) -> PersonFields {
        PersonFields {
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            title: self.title.clone(),
            department: self.department.clone(),
            manager_id: self.manager_id,
            secondary_manager_ids: self.secondary_manager_ids.clone(),
            external_id: self.external_id.clone(),
            hr_admin: self.hr_admin,
            active: self.active,
        }
    }
}

/// Check a new password's length (the hash is the API's business).
pub fn validate_password(field: &str, password: &str) -> Result<(), ValidationErrors> {
    let n = password.chars().count();
    if n < limits::PASSWORD_MIN {
        return Err(ValidationErrors::single(
            field,
            format!("must be at least {} characters", limits::PASSWORD_MIN),
        ));
    }
    if n > limits::PASSWORD_MAX {
        return Err(ValidationErrors::single(
            field,
            format!("must be at most {} characters", limits::PASSWORD_MAX),
        ));
    }
    if crate::text::has_nul(password) {
        return Err(ValidationErrors::single(field, "must not contain NUL"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> PersonFields {
        PersonFields {
            email: "a@example.com".into(),
            display_name: "Ada".into(),
            active: true,
            ..Default::default()
        }
    }

    #[test]
    fn parses_a_valid_person() {
        let d = PersonDraft::parse(&fields(), None).expect("valid");
        assert_eq!(d.display_name.as_str(), "Ada");
        assert!(d.title.is_none());
    }

    #[test]
    fn lists_every_bad_field() {
        let mut f = fields();
        f.email = "bad".into();
        f.display_name = " ".into();
        f.title = Some("x".repeat(300));
        let errs = PersonDraft::parse(&f, None).expect_err("invalid");
        let names: Vec<&str> = errs.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(names, vec!["email", "display_name", "title"]);
    }

    #[test]
    fn refuses_self_management() {
        let id = Uuid::now_v7();
        let mut f = fields();
        f.manager_id = Some(id);
        assert!(PersonDraft::parse(&f, Some(id)).is_err());
        f.manager_id = None;
        f.secondary_manager_ids = vec![id];
        assert!(PersonDraft::parse(&f, Some(id)).is_err());
    }

    #[test]
    fn empty_optional_text_means_unset() {
        let mut f = fields();
        f.title = Some("  ".into());
        assert!(PersonDraft::parse(&f, None).expect("valid").title.is_none());
    }

    #[test]
    fn password_bounds() {
        assert!(validate_password("p", "short").is_err());
        assert!(validate_password("p", "long enough password").is_ok());
        assert!(validate_password("p", &"x".repeat(300)).is_err());
    }
}
