//! Webhooks: which events of the log go out, to which addresses, and how often a failed
//! delivery is retried.
//!
//! A webhook carries metadata only (ids, statuses, kinds), never text, never anything private,
//! never an eNPS answer or a rating's value. The catalogue below is the whole list of what a
//! subscription may ask for; every other event of the log (agenda items, notes, passwords,
//! tokens, private goals) never leaves through a webhook.

use std::net::IpAddr;
use std::time::Duration;

/// The event types a subscription may ask for, with what each means.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("person.created", "A person was added to the directory."),
    (
        "person.updated",
        "A person's fields changed (the names of the fields, not their values).",
    ),
    ("person.deactivated", "A person can no longer sign in."),
    ("person.reactivated", "A deactivated person is back."),
    ("person.erased", "A person's personal data was erased."),
    ("meeting_series.created", "A recurring 1:1 was set up."),
    (
        "meeting_series.updated",
        "A series changed (cadence, pause, template).",
    ),
    (
        "meeting_series.rescheduled",
        "A series moved to a new start.",
    ),
    (
        "meeting_series.handed_over",
        "A series moved to a new manager.",
    ),
    ("meeting.created", "A one-off 1:1 was created."),
    (
        "meeting.scheduled",
        "A meeting of a series was put in the calendar.",
    ),
    ("meeting.rescheduled", "A meeting moved."),
    ("meeting.completed", "A meeting was held."),
    ("meeting.skipped", "A meeting was skipped."),
    ("meeting.cancelled", "A meeting was cancelled."),
    ("meeting.removed", "An upcoming meeting was removed."),
    ("meeting.updated", "A meeting's details changed."),
    ("meeting.handed_over", "A meeting moved to a new manager."),
    ("action_item.created", "An action item was agreed."),
    (
        "action_item.updated",
        "An action item changed (assignee, due date).",
    ),
    ("action_item.done", "An action item was done."),
    ("action_item.reopened", "A done action item is open again."),
    ("action_item.cancelled", "An action item was dropped."),
    (
        "rating.recorded",
        "A participant rated a meeting (which meeting only: never who or the value).",
    ),
    ("checkin.created", "A check-in was opened for a person."),
    ("checkin.updated", "A check-in changed."),
    ("checkin.submitted", "A person submitted their check-in."),
    ("checkin.reviewed", "A manager reviewed a check-in."),
    ("checkin.acknowledged", "A person acknowledged the review."),
    ("checkin.handed_over", "A check-in moved to a new manager."),
    (
        "goal.created",
        "A public or team goal was set (private goals never go out).",
    ),
    ("goal.updated", "A public or team goal changed."),
    (
        "goal.progressed",
        "Progress was recorded on a public or team goal.",
    ),
    ("enps_survey.created", "An eNPS survey was launched."),
    (
        "enps_survey.closed",
        "An eNPS survey closed (never its answers).",
    ),
    (
        "webhook.ping",
        "A test delivery, sent when asked (`POST /webhooks/{id}/ping`).",
    ),
];

/// Whether an event of the log may go out through a webhook: its type is in the catalogue,
/// and it is not about anything private. `content` events of a 1:1 go out only for the kinds
/// whose data is metadata (action items, check-ins, that a rating was recorded).
pub fn delivers(kind: &str, content: bool, private: bool) -> bool {
    if !EVENT_TYPES.iter().any(|(k, _)| *k == kind) {
        return false;
    }
    let family = kind.split('.').next().unwrap_or_default();
    match family {
        "action_item" | "checkin" => !private,
        // A rating is private to its rater; that one was recorded, for which meeting, is not.
        "rating" => true,
        _ => !content && !private,
    }
}

/// Whether the actor of an event may be named in its webhook (not for ratings: that would
/// say who rated).
pub fn names_actor(kind: &str) -> bool {
    !kind.starts_with("rating.")
}

/// What a subscription asks for: `*` (everything in the catalogue), a family (`meeting.*`) or
/// one type (`meeting.completed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("name at least one event type")]
    Empty,
    #[error("`{0}` is not an event type (see the catalogue in the `WebhookEventType` schema)")]
    Unknown(String),
}

impl EventFilter {
    pub fn parse<S: AsRef<str>>(types: &[S]) -> Result<Self, FilterError> {
        if types.is_empty() {
            return Err(FilterError::Empty);
        }
        let mut out: Vec<String> = Vec::with_capacity(types.len());
        for t in types {
            let t = t.as_ref().trim();
            let known = t == "*"
                || EVENT_TYPES.iter().any(|(k, _)| *k == t)
                || t.strip_suffix(".*").is_some_and(|family| {
                    EVENT_TYPES
                        .iter()
                        .any(|(k, _)| k.split('.').next() == Some(family))
                });
            if !known {
                return Err(FilterError::Unknown(t.to_owned()));
            }
            out.push(t.to_owned());
        }
        out.sort();
        out.dedup();
        Ok(Self(out))
    }

    /// From its stored form (space-separated); unknown entries (from an older catalogue) are
    /// kept and match nothing.
    pub fn from_stored(s: &str) -> Self {
        Self(s.split_whitespace().map(str::to_owned).collect())
    }

    pub fn stored(&self) -> String {
        self.0.join(" ")
    }

    pub fn entries(&self) -> &[String] {
        &self.0
    }

    pub fn matches(&self, kind: &str) -> bool {
        self.0.iter().any(|f| {
            f == "*"
                || f == kind
                || f.strip_suffix(".*")
                    .is_some_and(|family| kind.split('.').next() == Some(family))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not an absolute http(s) URL")]
    NotHttp,
    #[error("must use https (plain http only to a loopback address)")]
    NotHttps,
    #[error("must not carry a user name or password")]
    Credentials,
    #[error("must not be longer than 2000 characters")]
    TooLong,
}

/// A receiver's address: `https://…`, or `http://` to a loopback address (a receiver on the
/// same machine, as in development and tests). No credentials in the URL (the signature
/// authenticates us; the secret of the subscription is the shared secret).
pub fn check_url(raw: &str) -> Result<(), UrlError> {
    if raw.len() > 2000 {
        return Err(UrlError::TooLong);
    }
    let (scheme, rest) = raw.split_once("://").ok_or(UrlError::NotHttp)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlError::NotHttp);
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::NotHttp);
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(UrlError::Credentials);
    }
    let host = host_of(authority).ok_or(UrlError::NotHttp)?;
    if scheme == "http" && !is_loopback(host) {
        return Err(UrlError::NotHttps);
    }
    Ok(())
}

fn host_of(authority: &str) -> Option<&str> {
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    (!host.is_empty()).then_some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The wait before retry number `attempt` (1 after the first failure): exponential from
/// `base`, at most `cap`, with "equal jitter" — half fixed, half random (`random` in [0, 1)) —
/// so that the receivers of many failed jobs are not hit again all at once.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, random: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(20)));
    let full = exp.min(cap);
    let half = full / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_families_and_types() {
        let f = EventFilter::parse(&["meeting.*", "person.created"]).expect("valid");
        assert!(f.matches("meeting.completed"));
        assert!(f.matches("person.created"));
        assert!(!f.matches("person.updated"));
        assert!(!f.matches("meeting_series.created"));
        assert!(
            EventFilter::parse(&["*"])
                .expect("valid")
                .matches("goal.created")
        );
        assert_eq!(
            EventFilter::parse(&["agenda_item.added"]),
            Err(FilterError::Unknown("agenda_item.added".into()))
        );
        assert_eq!(
            EventFilter::parse(&["agenda_item.*"]),
            Err(FilterError::Unknown("agenda_item.*".into()))
        );
        assert_eq!(EventFilter::parse::<&str>(&[]), Err(FilterError::Empty));
    }

    #[test]
    fn nothing_private_or_textual_goes_out() {
        assert!(!delivers("agenda_item.added", true, false));
        assert!(!delivers("person.password_set", true, false));
        assert!(
            !delivers("goal.created", true, false),
            "a private goal of a pair"
        );
        assert!(!delivers("goal.created", false, true), "a private goal");
        assert!(delivers("goal.created", false, false));
        assert!(delivers("action_item.done", true, false));
        assert!(delivers("rating.recorded", true, true));
        assert!(!names_actor("rating.recorded"));
        assert!(delivers("meeting.completed", false, false));
    }

    #[test]
    fn urls_need_https_except_on_loopback() {
        assert_eq!(check_url("https://hr.example.com/hooks"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:9000/x"), Ok(()));
        assert_eq!(check_url("http://[::1]:9000/x"), Ok(()));
        assert_eq!(check_url("http://localhost/x"), Ok(()));
        assert_eq!(
            check_url("http://hr.example.com/x"),
            Err(UrlError::NotHttps)
        );
        assert_eq!(
            check_url("https://u:p@hr.example.com/"),
            Err(UrlError::Credentials)
        );
        assert_eq!(check_url("ftp://x/"), Err(UrlError::NotHttp));
        assert_eq!(check_url("hr.example.com"), Err(UrlError::NotHttp));
        assert_eq!(check_url("https:///x"), Err(UrlError::NotHttp));
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        let base = Duration::from_secs(10);
        let cap = Duration::from_secs(3600);
        assert_eq!(backoff(1, base, cap, 0.0), Duration::from_secs(5));
        assert_eq!(backoff(1, base, cap, 1.0), Duration::from_secs(10));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(40));
        assert_eq!(backoff(30, base, cap, 1.0), cap);
        assert!(backoff(30, base, cap, 0.0) >= cap / 2);
    }
}
