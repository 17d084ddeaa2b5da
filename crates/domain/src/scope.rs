//! Scopes of API tokens: what an integration may do.

use std::fmt;
use std::str::FromStr;

/// One permission an HR admin grants to an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    PeopleRead,
    PeopleWrite,
    MeetingsRead,
    MeetingsWrite,
    ReportsRead,
    GoalsRead,
    WebhooksManage,
    /// Escalation and PIP records, and the report on them: never part of another scope.
    EscalationsRead,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::PeopleRead,
        Scope::PeopleWrite,
        Scope::MeetingsRead,
        Scope::MeetingsWrite,
        Scope::ReportsRead,
        Scope::GoalsRead,
        Scope::WebhooksManage,
        Scope::EscalationsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::PeopleRead => "people:read",
            Scope::PeopleWrite => "people:write",
            Scope::MeetingsRead => "meetings:read",
            Scope::MeetingsWrite => "meetings:write",
            Scope::ReportsRead => "reports:read",
            Scope::GoalsRead => "goals:read",
            Scope::WebhooksManage => "webhooks:manage",
            Scope::EscalationsRead => "escalations:read",
        }
    }

    /// Does holding `self` grant `wanted`? A write scope includes reading the same resource.
    pub fn grants(self, wanted: Scope) -> bool {
        self == wanted
            || matches!(
                (self, wanted),
                (Scope::PeopleWrite, Scope::PeopleRead)
                    | (Scope::MeetingsWrite, Scope::MeetingsRead)
            )
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_write_implies_read() {
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
        assert!("people:admin".parse::<Scope>().is_err());
        assert!(Scope::PeopleWrite.grants(Scope::PeopleRead));
        assert!(!Scope::PeopleRead.grants(Scope::PeopleWrite));
        assert!(!Scope::MeetingsWrite.grants(Scope::PeopleRead));
    }
}
