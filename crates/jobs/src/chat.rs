//! Slack and Microsoft Teams: each chat job becomes a message for its destination when it is
//! sent, as things stand then, laid out once ([`Card`]) and written as Slack Block Kit or as a
//! Teams Adaptive Card.
//!
//! A channel may be read by more people than its owner, so no message carries a private
//! talking point or a trace of one (not a count, not a gap): a person's own destination gets the
//! shared agenda and the pair's open action items; a team destination gets who meets whom and
//! when, and the digest as counts, never a name of someone behind. Every message carries the
//! job's id (`Idempotency-Key` header, Slack `block_id`, Adaptive Card `id`), the same on every
//! attempt, for a receiver that de-duplicates.

use chrono::Utc;
use chrono_tz::Tz;
use oneonone_domain::chat::{Audience, ChatKind, Platform};
use oneonone_domain::meeting::MeetingStatus;
use oneonone_persistence::chat::ChatRecord;
use oneonone_persistence::jobs::JobRecord;
use oneonone_persistence::{Database, StoreError};
use oneonone_usecases::notify::EmailJob;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::email::{self, Action, first_name, local, name_of};

/// The job kind of a test message.
pub const TEST_KIND: &str = "chat.test";

/// What a message says, before it is written for a platform.
#[derive(Debug, Default)]
pub(crate) struct Card {
    pub(crate) title: String,
    pub(crate) subtitle: String,
    pub(crate) sections: Vec<Section>,
    pub(crate) link_text: String,
    pub(crate) link: String,
}

#[derive(Debug)]
pub(crate) struct Section {
    pub(crate) heading: String,
    pub(crate) lines: Vec<String>,
}

/// At most this many lines per section; the rest is "and N more".
const MAX_LINES: usize = 15;

impl Section {
    fn new(heading: &str, mut lines: Vec<String>) -> Self {
        if lines.len() > MAX_LINES {
            let more = lines.len() - (MAX_LINES - 1);
            lines.truncate(MAX_LINES - 1);
            lines.push(format!("and {more} more"));
        }
        Self {
            heading: heading.to_owned(),
            lines,
        }
    }
}

/// What to do with a job.
pub(crate) enum Composed {
    Send(Value),
    /// Not needed any more; why.
    Drop(&'static str),
}

/// Write the message of a chat job for its destination, or say why it is not needed.
pub(crate) async fn compose(
    db: &Database,
    app_url: &str,
    job: &JobRecord,
    destination: &ChatRecord,
) -> Result<Composed, StoreError> {
    let Some(platform) = destination.platform.parse::<Platform>().ok() else {
        return Ok(Composed::Drop("a platform this server does not write for"));
    };
    let audience = destination
        .audience
        .parse::<Audience>()
        .ok()
        .unwrap_or(Audience::Person);
    let owner = match db.get_person(destination.person_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the owner is gone")),
        Err(e) => return Err(e),
    };
    if !owner.active || owner.deleted_at.is_some() {
        return Ok(Composed::Drop("the owner is deactivated"));
    }
    let zone = db.notification_settings(owner.id).await?.settings.time_zone;
    let app = app_url.trim_end_matches('/');
    let card = if job.kind == TEST_KIND {
        Some(Card {
            title: "oneonone is connected".to_owned(),
            subtitle: match audience {
                Audience::Person => format!(
                    "{}'s reminders before 1:1s and weekly digest will be posted here.",
                    first_name(&owner)
                ),
                Audience::Team => format!(
                    "A line before each 1:1 {} holds and the team's weekly digest will be posted \
                     here. Never the content of a 1:1.",
                    owner.display_name
                ),
            },
            link_text: "Open oneonone".to_owned(),
            link: app.to_owned(),
            sections: Vec::new(),
        })
    } else {
        let Some(kind) = ChatKind::from_job_kind(&job.kind) else {
            return Ok(Composed::Drop(
                "a kind of message this server does not send",
            ));
        };
        let wanted = match kind {
            ChatKind::MeetingReminder => destination.meeting_reminder,
            ChatKind::WeeklyDigest => destination.weekly_digest,
        };
        if !wanted {
            return Ok(Composed::Drop("the destination no longer takes this kind"));
        }
        let Ok(body) = serde_json::from_str::<EmailJob>(&job.payload) else {
            return Ok(Composed::Drop("an unreadable job"));
        };
        match kind {
            ChatKind::MeetingReminder => reminder(db, app, &owner, audience, zone, &body).await?,
            ChatKind::WeeklyDigest => digest(db, app, &owner, audience, zone).await?,
        }
    };
    let Some(card) = card else {
        return Ok(Composed::Drop("nothing to tell"));
    };
    let id = job.id.to_string();
    Ok(Composed::Send(match platform {
        Platform::Slack => slack(&card, &id),
        Platform::Teams => teams(&card, &id),
    }))
}

/// Before a 1:1: to a person, the shared agenda and the pair's open action items; to a team,
/// who meets whom and when.
async fn reminder(
    db: &Database,
    app: &str,
    owner: &oneonone_domain::Person,
    audience: Audience,
    zone: Option<Tz>,
    body: &EmailJob,
) -> Result<Option<Card>, StoreError> {
    let Some(meeting_id) = body.meeting_id else {
        return Ok(None);
    };
    let meeting = match db.get_meeting(meeting_id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let still_theirs = match audience {
        Audience::Person => meeting.participants().contains(&owner.id),
        Audience::Team => meeting.manager_id == owner.id,
    };
    if !still_theirs
        || meeting.status != MeetingStatus::Scheduled
        || Some(meeting.starts_at) != body.starts_at
    {
        return Ok(None);
    }
    let zone = match zone {
        Some(z) => z,
        None => email::meeting_zone(db, &meeting).await?,
    };
    let when = local(meeting.starts_at, zone);
    let link = format!("{app}/meetings/{}", meeting.id);
    if audience == Audience::Team {
        let report = name_of(db, meeting.report_id).await?;
        return Ok(Some(Card {
            title: format!("1:1: {} and {report}", owner.display_name),
            subtitle: when,
            sections: Vec::new(),
            link_text: "Open the 1:1".to_owned(),
            link,
        }));
    }
    let other_id = if meeting.manager_id == owner.id {
        meeting.report_id
    } else {
        meeting.manager_id
    };
    let other = name_of(db, other_id).await?;
    let today = Utc::now().with_timezone(&zone).date_naive();
    let named = |id: Uuid| {
        if id == owner.id {
            "you".to_owned()
        } else {
            other.clone()
        }
    };
    let (points, actions) = email::open_agenda(db, &meeting, owner.id, &named, today).await?;
    // Never a private point, not even the owner's own: others may read the channel.
    let points: Vec<String> = points
        .into_iter()
        .filter(|p| !p.private)
        .map(|p| {
            if p.times_carried >= 3 {
                format!("{} (carried over {} times)", p.title, p.times_carried)
            } else {
                p.title
            }
        })
        .collect();
    let mut sections = Vec::new();
    sections.push(if points.is_empty() {
        Section::new(
            "Agenda",
            vec!["Nothing shared on the agenda yet: add a talking point.".to_owned()],
        )
    } else {
        Section::new("Open talking points", points)
    });
    if !actions.is_empty() {
        sections.push(Section::new(
            "Open action items",
            actions.iter().map(action_line).collect(),
        ));
    }
    Ok(Some(Card {
        title: format!("Your 1:1 with {other}"),
        subtitle: when,
        sections,
        link_text: "Open the agenda".to_owned(),
        link,
    }))
}

fn action_line(a: &Action) -> String {
    let mut line = format!("{} ({}", a.title, a.owner);
    if let Some(due) = &a.due {
        line.push_str(&format!(", due {due}"));
    }
    if a.overdue {
        line.push_str(", overdue");
    }
    if !a.pair.is_empty() {
        line.push_str(&format!(", 1:1 with {}", a.pair));
    }
    line.push(')');
    line
}

/// The weekly digest: to the manager's own destination as in the email; to the team's in counts.
async fn digest(
    db: &Database,
    app: &str,
    owner: &oneonone_domain::Person,
    audience: Audience,
    zone: Option<Tz>,
) -> Result<Option<Card>, StoreError> {
    let zone = zone.unwrap_or(Tz::UTC);
    let today = Utc::now().with_timezone(&zone).date_naive();
    let (behind, actions) = email::team_status(db, owner, zone).await?;
    if behind.is_empty() && actions.is_empty() {
        return Ok(None);
    }
    let date = today.format("%-d %B %Y");
    let card = match audience {
        Audience::Person => {
            let mut sections = Vec::new();
            if !behind.is_empty() {
                sections.push(Section::new(
                    "Not met within their cadence",
                    behind
                        .iter()
                        .map(|b| format!("{}: {}; {}; {}", b.name, b.last, b.cadence, b.next))
                        .collect(),
                ));
            }
            if !actions.is_empty() {
                sections.push(Section::new(
                    "Overdue action items",
                    actions.iter().map(action_line).collect(),
                ));
            }
            Card {
                title: format!("Your team this week: {date}"),
                subtitle: String::new(),
                sections,
                link_text: "Open oneonone".to_owned(),
                link: app.to_owned(),
            }
        }
        Audience::Team => {
            let reports = db
                .list_people(&oneonone_persistence::people::PeopleFilter {
                    manager_id: Some(owner.id),
                    active: Some(true),
                    limit: 1000,
                    ..Default::default()
                })
                .await?
                .len();
            let mut lines = vec![format!(
                "{} of {reports} direct reports met within their cadence.",
                reports.saturating_sub(behind.len())
            )];
            if !actions.is_empty() {
                lines.push(format!("{} action items overdue.", actions.len()));
            }
            Card {
                title: format!("{}'s team this week: {date}", owner.display_name),
                subtitle: String::new(),
                sections: vec![Section::new("1:1s", lines)],
                link_text: "Open oneonone".to_owned(),
                link: app.to_owned(),
            }
        }
    };
    Ok(Some(card))
}

/// Slack's mrkdwn treats `&`, `<` and `>` as markup (`<!channel>` pings everyone): people's
/// text is escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Slack Block Kit (incoming webhooks; Mattermost and Rocket.Chat read it too).
pub(crate) fn slack(card: &Card, id: &str) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "block_id": id,
        "text": {"type": "plain_text", "text": truncate(&card.title, 150)},
    })];
    if !card.subtitle.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": slack_escape(&card.subtitle)},
        }));
    }
    for s in &card.sections {
        let mut text = format!("*{}*", slack_escape(&s.heading));
        for line in &s.lines {
            text.push_str("\n• ");
            text.push_str(&slack_escape(line));
        }
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&text, 3000)},
        }));
    }
    blocks.push(json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": card.link_text},
            "url": card.link,
        }],
    }));
    json!({
        // What notifications and clients without blocks show.
        "text": fallback(card),
        "blocks": blocks,
    })
}

/// A Teams workflow's message: one Adaptive Card (1.4).
pub(crate) fn teams(card: &Card, id: &str) -> Value {
    let mut body = vec![json!({
        "type": "TextBlock", "text": card.title, "weight": "Bolder", "size": "Medium",
        "wrap": true,
    })];
    if !card.subtitle.is_empty() {
        body.push(
            json!({"type": "TextBlock", "text": card.subtitle, "isSubtle": true,
            "spacing": "None", "wrap": true}),
        );
    }
    for s in &card.sections {
        body.push(
            json!({"type": "TextBlock", "text": s.heading, "weight": "Bolder",
            "wrap": true}),
        );
        for line in &s.lines {
            body.push(json!({"type": "TextBlock", "text": format!("• {line}"),
                "spacing": "None", "wrap": true}));
        }
    }
    json!({
        "type": "message",
        "summary": fallback(card),
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "id": id,
                "body": body,
                "actions": [{"type": "Action.OpenUrl", "title": card.link_text, "url": card.link}],
            },
        }],
    })
}

fn fallback(card: &Card) -> String {
    if card.subtitle.is_empty() {
        card.title.clone()
    } else {
        format!("{}: {}", card.title, card.subtitle)
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Card {
        Card {
            title: "Your 1:1 with Bob".into(),
            subtitle: "Tuesday 24 November 2026, 10:00 CET".into(),
            sections: vec![Section::new(
                "Open talking points",
                vec!["<!channel> & friends".into()],
            )],
            link_text: "Open the agenda".into(),
            link: "https://app.example.com/meetings/1".into(),
        }
    }

    #[test]
    fn slack_escapes_people_s_text_and_carries_the_id() {
        let v = slack(&card(), "job-1");
        let text = v.to_string();
        assert!(text.contains("&lt;!channel&gt; &amp; friends"), "{text}");
        assert!(!text.contains("<!channel>"));
        assert_eq!(v["blocks"][0]["block_id"], "job-1");
        assert_eq!(
            v["text"],
            "Your 1:1 with Bob: Tuesday 24 November 2026, 10:00 CET"
        );
    }

    #[test]
    fn teams_is_an_adaptive_card_in_a_message() {
        let v = teams(&card(), "job-1");
        assert_eq!(v["type"], "message");
        let c = &v["attachments"][0];
        assert_eq!(c["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(c["content"]["type"], "AdaptiveCard");
        assert_eq!(c["content"]["id"], "job-1");
        assert_eq!(
            c["content"]["actions"][0]["url"],
            "https://app.example.com/meetings/1"
        );
    }

    #[test]
    fn long_sections_are_cut_with_a_count() {
        let s = Section::new("x", (0..40).map(|i| i.to_string()).collect());
        assert_eq!(s.lines.len(), MAX_LINES);
        assert_eq!(s.lines.last().map(String::as_str), Some("and 26 more"));
    }
}
