//! What people are told by email, and when: each person's settings and the kinds of message.
//!
//! Every kind can be turned off by its recipient (in their settings, or with the one-click
//! link every message carries). A message is written for its recipient: it shows what they may
//! read in the API and nothing else (their own private talking points, never the other's).

use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A kind of email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// Before each 1:1: open talking points (shared, and the recipient's own private ones) and
    /// the pair's open action items.
    MeetingReminder,
    /// After a 1:1 is held: the shared note and the action items agreed.
    MeetingSummary,
    /// Each Monday to a manager: reports not met within their cadence, overdue action items.
    WeeklyDigest,
    /// When a 1:1 is scheduled, moved, skipped or cancelled: an iTIP invitation (RFC 5546) that
    /// calendar apps apply themselves.
    MeetingInvitation,
    /// To whoever set up a webhook subscription: the server turned it off after a whole retry
    /// window of failed deliveries.
    WebhookDisabled,
    /// Check-ins: yours is open (and, two days before it is due, still open); your report
    /// submitted theirs for review; your manager reviewed yours.
    CheckinReminder,
    /// eNPS: a survey that asks you is open (and, two days before it closes, you have not
    /// answered yet).
    SurveyReminder,
}

impl EmailKind {
    pub const ALL: [EmailKind; 7] = [
        EmailKind::MeetingReminder,
        EmailKind::MeetingSummary,
        EmailKind::WeeklyDigest,
        EmailKind::MeetingInvitation,
        EmailKind::WebhookDisabled,
        EmailKind::CheckinReminder,
        EmailKind::SurveyReminder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EmailKind::MeetingReminder => "meeting_reminder",
            EmailKind::MeetingSummary => "meeting_summary",
            EmailKind::WeeklyDigest => "weekly_digest",
            EmailKind::MeetingInvitation => "meeting_invitation",
            EmailKind::WebhookDisabled => "webhook_disabled",
            EmailKind::CheckinReminder => "checkin_reminder",
            EmailKind::SurveyReminder => "enps_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The job kind of this email.
    pub fn job_kind(self) -> &'static str {
        match self {
            EmailKind::MeetingReminder => "meeting.reminder",
            EmailKind::MeetingSummary => "meeting.summary",
            EmailKind::WeeklyDigest => "manager.digest",
            EmailKind::MeetingInvitation => "meeting.invitation",
            EmailKind::WebhookDisabled => "webhook.disabled",
            EmailKind::CheckinReminder => "checkin.reminder",
            EmailKind::SurveyReminder => "enps.reminder",
        }
    }

    pub fn from_job_kind(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.job_kind() == s)
    }

    /// What the person reads next to the unsubscribe link.
    pub fn describe(self) -> &'static str {
        match self {
            EmailKind::MeetingReminder => "reminders before your 1:1s",
            EmailKind::MeetingSummary => "summaries after your 1:1s",
            EmailKind::WeeklyDigest => "the weekly digest about your team",
            EmailKind::MeetingInvitation => "calendar invitations for your 1:1s",
            EmailKind::WebhookDisabled => "alerts about webhook subscriptions you set up",
            EmailKind::CheckinReminder => "reminders about check-ins",
            EmailKind::SurveyReminder => "invitations to answer eNPS surveys",
        }
    }
}

/// When the weekly digest goes out, in each manager's time zone (their setting, else UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestTime {
    pub weekday: chrono::Weekday,
    /// The hour from which it goes out that day (0–23).
    pub hour: u32,
}

impl Default for DigestTime {
    /// Monday morning, 08:00.
    fn default() -> Self {
        Self {
            weekday: chrono::Weekday::Mon,
            hour: 8,
        }
    }
}

/// A reminder this long before a 1:1 unless the person chose otherwise.
pub const DEFAULT_REMINDER_LEAD_MINUTES: i32 = 24 * 60;
/// The earliest a reminder may go out: two days before.
pub const MAX_REMINDER_LEAD_MINUTES: i32 = 2 * 24 * 60;

/// A person's notification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationSettings {
    /// Times in messages are in this zone; `None`: the 1:1's own zone (UTC for a one-off).
    pub time_zone: Option<Tz>,
    pub reminder_lead_minutes: i32,
    pub meeting_reminder: bool,
    pub meeting_summary: bool,
    pub weekly_digest: bool,
    pub meeting_invitation: bool,
    pub webhook_disabled: bool,
    pub checkin_reminder: bool,
    pub enps_reminder: bool,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            time_zone: None,
            reminder_lead_minutes: DEFAULT_REMINDER_LEAD_MINUTES,
            meeting_reminder: true,
            meeting_summary: true,
            weekly_digest: true,
            meeting_invitation: true,
            webhook_disabled: true,
            checkin_reminder: true,
            enps_reminder: true,
        }
    }
}

impl NotificationSettings {
    pub fn wants(&self, kind: EmailKind) -> bool {
        match kind {
            EmailKind::MeetingReminder => self.meeting_reminder,
            EmailKind::MeetingSummary => self.meeting_summary,
            EmailKind::WeeklyDigest => self.weekly_digest,
            EmailKind::MeetingInvitation => self.meeting_invitation,
            EmailKind::WebhookDisabled => self.webhook_disabled,
            EmailKind::CheckinReminder => self.checkin_reminder,
            EmailKind::SurveyReminder => self.enps_reminder,
        }
    }

    pub fn set(&mut self, kind: EmailKind, on: bool) {
        match kind {
            EmailKind::MeetingReminder => self.meeting_reminder = on,
            EmailKind::MeetingSummary => self.meeting_summary = on,
            EmailKind::WeeklyDigest => self.weekly_digest = on,
            EmailKind::MeetingInvitation => self.meeting_invitation = on,
            EmailKind::WebhookDisabled => self.webhook_disabled = on,
            EmailKind::CheckinReminder => self.checkin_reminder = on,
            EmailKind::SurveyReminder => self.enps_reminder = on,
        }
    }
}

/// An IANA time zone name (`Europe/Berlin`).
pub fn parse_time_zone(field: &str, s: &str) -> Result<Tz, FieldError> {
    crate::cadence::parse_time_zone(s).map_err(|e| FieldError::new(field, e))
}

/// A reminder lead in minutes, from 0 (at the start) to two days.
pub fn check_lead(field: &str, minutes: i64) -> Result<i32, FieldError> {
    match i32::try_from(minutes) {
        Ok(m) if (0..=MAX_REMINDER_LEAD_MINUTES).contains(&m) => Ok(m),
        _ => Err(FieldError::new(
            field,
            format!("a reminder goes out 0 to {MAX_REMINDER_LEAD_MINUTES} minutes before the 1:1"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_settings_switch_one_kind() {
        for k in EmailKind::ALL {
            assert_eq!(EmailKind::parse(k.as_str()), Some(k));
            assert_eq!(EmailKind::from_job_kind(k.job_kind()), Some(k));
        }
        let mut s = NotificationSettings::default();
        s.set(EmailKind::MeetingSummary, false);
        assert!(s.wants(EmailKind::MeetingReminder));
        assert!(!s.wants(EmailKind::MeetingSummary));
    }

    #[test]
    fn zones_and_leads_are_checked() {
        assert!(parse_time_zone("tz", "Europe/Berlin").is_ok());
        assert!(parse_time_zone("tz", "Mars/Olympus").is_err());
        assert_eq!(check_lead("lead", 60), Ok(60));
        assert!(check_lead("lead", -1).is_err());
        assert!(check_lead("lead", i64::from(MAX_REMINDER_LEAD_MINUTES) + 1).is_err());
    }
}
