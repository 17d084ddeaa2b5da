//! Email: each job becomes a message written for its recipient when it is sent, from templates
//! (a plain-text and an HTML part), in the recipient's time zone, and goes out over SMTP.
//!
//! A message shows what its recipient may read in the API and nothing else: the agenda as they
//! see it (shared points and their own private ones), the shared note, the pair's action items.
//! Every message carries a one-click unsubscribe link for its kind (RFC 8058
//! `List-Unsubscribe` and `List-Unsubscribe-Post`) and a `Message-ID` made of the job's id, the
//! same on every attempt, so a relay or a mailbox can tell a second send of one email apart.

use std::time::Duration;

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use oneonone_domain::action::ActionStatus;
use oneonone_domain::meeting::{Meeting, MeetingStatus};
use oneonone_domain::notify::EmailKind;
use oneonone_persistence::jobs::JobRecord;
use oneonone_persistence::{Database, StoreError};
use oneonone_usecases::calendar;
use oneonone_usecases::notify::{EmailJob, LinkKeys};
use uuid::Uuid;

/// Where email goes and what its links point at.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `smtp://host:port` (plain, for a local relay), `smtp://…?tls=required` (STARTTLS) or
    /// `smtps://user:password@host` (TLS), as lettre reads it.
    pub smtp_url: String,
    /// The sender, `oneonone <oneonone@example.com>`.
    pub from: String,
    /// Where this API is reached (the unsubscribe links).
    pub public_url: String,
    /// Where people open a 1:1 (a web client's address; this API's when there is none).
    pub app_url: String,
    pub links: LinkKeys,
}

/// The SMTP side, ready to send.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    timeout: Duration,
    config: EmailConfig,
}

impl Mailer {
    /// A mailer keeping up to `connections` connections to the relay open. lettre writes a
    /// message and its final dot in two writes without `TCP_NODELAY`, so each message waits
    /// for the relay's delayed ACK (about 40 ms on Linux): one connection carries about 25
    /// messages a second, and the runner's concurrency needs as many connections.
    pub(crate) fn new(
        config: EmailConfig,
        timeout: Duration,
        connections: usize,
    ) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| format!("ONEONONE_SMTP_URL: {e}"))?
            .timeout(Some(timeout))
            .pool_config(
                lettre::transport::smtp::PoolConfig::new()
                    .max_size(u32::try_from(connections.max(1)).unwrap_or(32)),
            )
            .build();
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e| format!("ONEONONE_MAIL_FROM: {e}"))?;
        let host = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            host,
            timeout,
            config,
        })
    }

    /// Send one message; the relay's answer.
    pub(crate) async fn send(&self, message: Message) -> crate::Answer {
        // The whole exchange is bounded, not only each read: a relay that stops answering
        // mid-conversation must not hold the runner.
        let sent = tokio::time::timeout(self.timeout, self.transport.send(message)).await;
        let Ok(sent) = sent else {
            return crate::Answer {
                error: Some(format!(
                    "the relay did not finish within {} s",
                    self.timeout.as_secs_f64()
                )),
                ..crate::Answer::default()
            };
        };
        match sent {
            Ok(res) => crate::Answer {
                status: Some(u16::from(res.code())),
                ..crate::Answer::default()
            },
            Err(e) => crate::Answer {
                status: e.status().map(u16::from),
                error: Some(truncate(&e.to_string(), 500)),
                retry_after: None,
                // 5xx: the relay will never take it (no such mailbox, refused).
                permanent: e.is_permanent(),
            },
        }
    }
}

/// What to do with a job.
pub(crate) enum Composed {
    Send(Box<Message>),
    /// Not needed any more; why.
    Drop(&'static str),
}

/// A talking point as its reader sees it.
pub(crate) struct Point {
    pub(crate) title: String,
    pub(crate) private: bool,
    pub(crate) times_carried: i32,
}

pub(crate) struct Action {
    pub(crate) title: String,
    pub(crate) owner: String,
    pub(crate) due: Option<String>,
    pub(crate) overdue: bool,
    /// In a digest: whose 1:1 it belongs to.
    pub(crate) pair: String,
}

/// In a digest: a report not met within their cadence.
pub(crate) struct Behind {
    pub(crate) name: String,
    /// `last 1:1 on Monday 3 March 2030` or `no 1:1 held yet`.
    pub(crate) last: String,
    /// `weekly on Monday at 10:00 (Europe/Berlin)` or `no recurring 1:1`.
    pub(crate) cadence: String,
    /// `next on …` or `none scheduled`.
    pub(crate) next: String,
}

/// What a message says; the templates lay it out.
struct View {
    subject: String,
    name: String,
    other: String,
    when: String,
    points: Vec<Point>,
    actions: Vec<Action>,
    note: Option<String>,
    link: String,
    unsubscribe_link: String,
    kind_text: &'static str,
    /// An invitation's one line: what happened to the 1:1.
    headline: String,
    /// A digest's reports not met within their cadence.
    behind: Vec<Behind>,
    /// What the link opens, in a notice.
    link_text: String,
}

#[derive(Template)]
#[template(path = "reminder.txt")]
struct ReminderText<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "reminder.html")]
struct ReminderHtml<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "summary.txt")]
struct SummaryText<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryHtml<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "notice.txt")]
struct NoticeText<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeHtml<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "invitation.txt")]
struct InvitationText<'a> {
    v: &'a View,
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationHtml<'a> {
    v: &'a View,
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A time as its reader reads it: `Tuesday 24 November 2026, 10:00 CET`.
pub(crate) fn local(at: DateTime<Utc>, zone: Tz) -> String {
    at.with_timezone(&zone)
        .format("%A %-d %B %Y, %H:%M %Z")
        .to_string()
}

/// Write the message of a job for its recipient, or say why it is not needed any more.
pub(crate) async fn compose(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
) -> Result<Composed, StoreError> {
    let Some(kind) = EmailKind::from_job_kind(&job.kind) else {
        return Ok(Composed::Drop("a kind of email this server does not send"));
    };
    let Ok(body) = serde_json::from_str::<EmailJob>(&job.payload) else {
        return Ok(Composed::Drop("an unreadable job"));
    };
    let person = match db.get_person(job.target_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the recipient is gone")),
        Err(e) => return Err(e),
    };
    if !person.active || person.deleted_at.is_some() {
        return Ok(Composed::Drop("the recipient is deactivated"));
    }
    let settings = db.notification_settings(person.id).await?.settings;
    if !settings.wants(kind) {
        return Ok(Composed::Drop(
            "the recipient turned this kind of email off",
        ));
    }
    match kind {
        EmailKind::MeetingInvitation => {
            return invitation(db, mailer, job, &person, settings.time_zone, &body).await;
        }
        EmailKind::WeeklyDigest => {
            return digest(db, mailer, job, &person, settings.time_zone).await;
        }
        EmailKind::WebhookDisabled => {
            return webhook_disabled(db, mailer, job, &person, settings.time_zone).await;
        }
        EmailKind::CheckinReminder => return checkin(db, mailer, job, &person, &body).await,
        EmailKind::SurveyReminder => {
            return survey(db, mailer, job, &person, settings.time_zone, &body).await;
        }
        EmailKind::MeetingReminder | EmailKind::MeetingSummary => {}
    }
    let Some(meeting_id) = body.meeting_id else {
        return Ok(Composed::Drop("an unreadable job"));
    };
    let meeting = match db.get_meeting(meeting_id).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the 1:1 is gone")),
        Err(e) => return Err(e),
    };
    if !meeting.participants().contains(&person.id) {
        return Ok(Composed::Drop("the recipient is not in this 1:1"));
    }
    match kind {
        EmailKind::MeetingReminder => {
            if meeting.status != MeetingStatus::Scheduled
                || Some(meeting.starts_at) != body.starts_at
            {
                return Ok(Composed::Drop("the 1:1 moved or no longer takes place"));
            }
        }
        EmailKind::MeetingSummary => {
            if meeting.status != MeetingStatus::Completed {
                return Ok(Composed::Drop("the 1:1 is no longer held"));
            }
        }
        EmailKind::WeeklyDigest
        | EmailKind::MeetingInvitation
        | EmailKind::WebhookDisabled
        | EmailKind::CheckinReminder
        | EmailKind::SurveyReminder => {
            return Ok(Composed::Drop("not a 1:1's email"));
        }
    }
    let other_id = if meeting.manager_id == person.id {
        meeting.report_id
    } else {
        meeting.manager_id
    };
    let other = name_of(db, other_id).await?;
    let zone = match settings.time_zone {
        Some(z) => z,
        None => meeting_zone(db, &meeting).await?,
    };
    let when = local(meeting.starts_at, zone);
    let today = Utc::now().with_timezone(&zone).date_naive();
    let owner = |id: Uuid| {
        if id == person.id {
            "you".to_owned()
        } else {
            other.clone()
        }
    };
    let mut v = View {
        subject: String::new(),
        name: first_name(&person),
        other: other.clone(),
        when,
        points: Vec::new(),
        actions: Vec::new(),
        note: None,
        link: format!(
            "{}/meetings/{}",
            mailer.config.app_url.trim_end_matches('/'),
            meeting.id
        ),
        unsubscribe_link: unsubscribe_link(mailer, person.id, kind),
        kind_text: kind.describe(),
        headline: String::new(),
        behind: Vec::new(),
        link_text: String::new(),
    };
    let (text, html) = match kind {
        EmailKind::MeetingReminder => {
            v.subject = format!("Your 1:1 with {other}: {}", v.when);
            (v.points, v.actions) = open_agenda(db, &meeting, person.id, &owner, today).await?;
            (
                ReminderText { v: &v }.render(),
                ReminderHtml { v: &v }.render(),
            )
        }
        _ => {
            v.subject = format!("Summary of your 1:1 with {other}: {}", v.when);
            v.note = db
                .notes_for(meeting.id, person.id)
                .await?
                .0
                .map(|n| n.body)
                .filter(|b| !b.trim().is_empty());
            v.actions = db
                .meeting_action_items(&meeting)
                .await?
                .into_iter()
                .filter(|a| a.meeting_id == meeting.id && a.status != ActionStatus::Cancelled)
                .map(|a| Action {
                    overdue: false,
                    title: a.title,
                    owner: owner(a.assignee_id),
                    due: a.due_date.map(|d| d.format("%-d %B").to_string()),
                    pair: String::new(),
                })
                .collect();
            (
                SummaryText { v: &v }.render(),
                SummaryHtml { v: &v }.render(),
            )
        }
    };
    let (Ok(text), Ok(html)) = (text, html) else {
        return Ok(Composed::Drop("the template failed"));
    };
    Ok(message(
        mailer,
        job,
        &person,
        kind,
        &v,
        MultiPart::alternative_plain_html(text, html),
    ))
}

/// What is open before a 1:1, as `reader` sees it: the talking points not yet discussed
/// (shared ones and the reader's own private ones: a chat message drops the private ones) and
/// the pair's open action items, each with its owner as `owner` names them.
pub(crate) async fn open_agenda(
    db: &Database,
    meeting: &Meeting,
    reader: Uuid,
    owner: &impl Fn(Uuid) -> String,
    today: chrono::NaiveDate,
) -> Result<(Vec<Point>, Vec<Action>), StoreError> {
    let points = db
        .list_agenda(meeting.id, reader, meeting.report_id)
        .await?
        .into_iter()
        .filter(|i| !i.checked)
        .map(|i| Point {
            title: i.title,
            private: i.private,
            times_carried: i.times_carried,
        })
        .collect();
    let actions = db
        .meeting_action_items(meeting)
        .await?
        .into_iter()
        .filter(|a| a.status == ActionStatus::Open)
        .map(|a| Action {
            overdue: a.overdue(today),
            title: a.title,
            owner: owner(a.assignee_id),
            due: a.due_date.map(|d| d.format("%-d %B").to_string()),
            pair: String::new(),
        })
        .collect();
    Ok((points, actions))
}

/// The message of `v` with its plain-text and HTML parts from these templates.
fn plain_and_html(
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    kind: EmailKind,
    v: &View,
    text: impl Template,
    html: impl Template,
) -> Composed {
    match (text.render(), html.render()) {
        (Ok(text), Ok(html)) => message(
            mailer,
            job,
            person,
            kind,
            v,
            MultiPart::alternative_plain_html(text, html),
        ),
        _ => Composed::Drop("the template failed"),
    }
}

impl View {
    /// A message of `kind` to `person` about `link`, with nothing in it yet.
    fn to(
        mailer: &Mailer,
        person: &oneonone_domain::Person,
        kind: EmailKind,
        subject: String,
        link: String,
    ) -> Self {
        Self {
            subject,
            name: first_name(person),
            other: String::new(),
            when: String::new(),
            points: Vec::new(),
            actions: Vec::new(),
            note: None,
            link,
            unsubscribe_link: unsubscribe_link(mailer, person.id, kind),
            kind_text: kind.describe(),
            headline: String::new(),
            behind: Vec::new(),
            link_text: "Open oneonone".to_owned(),
        }
    }
}

/// A notice: a line and a link.
fn notice(
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    kind: EmailKind,
    v: &View,
) -> Composed {
    plain_and_html(
        mailer,
        job,
        person,
        kind,
        v,
        NoticeText { v },
        NoticeHtml { v },
    )
}

/// Someone's name as a message shows it; an erased or unknown person is "a former colleague".
pub(crate) async fn name_of(db: &Database, id: Uuid) -> Result<String, StoreError> {
    match db.get_person(id).await {
        Ok(p) if p.deleted_at.is_none() => Ok(p.display_name),
        Ok(_) | Err(StoreError::NotFound) => Ok("a former colleague".to_owned()),
        Err(e) => Err(e),
    }
}

pub(crate) fn first_name(person: &oneonone_domain::Person) -> String {
    person
        .display_name
        .split_whitespace()
        .next()
        .unwrap_or(&person.display_name)
        .to_owned()
}

fn unsubscribe_link(mailer: &Mailer, person: Uuid, kind: EmailKind) -> String {
    format!(
        "{}/api/v1/unsubscribe/{}",
        mailer.config.public_url.trim_end_matches('/'),
        mailer.config.links.token(person, kind)
    )
}

/// The message to `person` with its headers: a `Message-ID` from the job, the one-click
/// unsubscribe of its kind.
fn message(
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    kind: EmailKind,
    v: &View,
    body: MultiPart,
) -> Composed {
    let Ok(to) = person.email.parse::<lettre::Address>() else {
        return Composed::Drop("the recipient's address is not deliverable");
    };
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(Mailbox::new(Some(person.display_name.clone()), to))
        .subject(v.subject.clone())
        .message_id(Some(format!("<{}@{}>", job.id, mailer.host)))
        .raw_header(header(
            "List-Unsubscribe",
            format!("<{}>", v.unsubscribe_link),
        ))
        .raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ))
        .raw_header(header("Auto-Submitted", "auto-generated".to_owned()))
        .raw_header(header("X-Oneonone-Kind", kind.as_str().to_owned()))
        .multipart(body);
    match message {
        Ok(m) => Composed::Send(Box::new(m)),
        Err(_) => Composed::Drop("the message could not be built"),
    }
}

/// A calendar invitation (iTIP, RFC 5546) as things stand when it is sent: the iCalendar object
/// as a `text/calendar; method=…` alternative (what Outlook and Gmail act on) and as
/// `invite.ics`, beside a line of text.
async fn invitation(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    zone: Option<Tz>,
    body: &EmailJob,
) -> Result<Composed, StoreError> {
    let about = match (body.series_id, body.meeting_id) {
        (Some(s), _) => calendar::About::Series(s),
        (None, Some(m)) => calendar::About::Meeting(m),
        (None, None) => return Ok(Composed::Drop("an unreadable job")),
    };
    let organizer = calendar::Attendee {
        name: mailer
            .from
            .name
            .clone()
            .unwrap_or_else(|| "oneonone".to_owned()),
        email: mailer.from.email.to_string(),
    };
    let links = calendar::Links {
        app_url: mailer.config.app_url.trim_end_matches('/').to_owned(),
    };
    let found = calendar::invitation(db, person.id, about, &links, &organizer, Utc::now()).await;
    let inv = match found {
        Ok(Some(inv)) => inv,
        Ok(None) | Err(oneonone_usecases::Error::NotFound) => {
            return Ok(Composed::Drop("nothing to tell the recipient"));
        }
        Err(oneonone_usecases::Error::Store(e)) => return Err(e),
        Err(_) => return Ok(Composed::Drop("the invitation could not be written")),
    };
    if body.meeting_id.is_some() && !body.cancels && inv.method == calendar::Method::Cancel {
        return Ok(Composed::Drop(
            "the 1:1 was cancelled before its invitation went out",
        ));
    }
    let zone = zone.or(inv.zone).unwrap_or(Tz::UTC);
    let when = local(inv.starts_at, zone);
    let (subject, headline) = match (inv.method, &inv.cadence) {
        (calendar::Method::Request, Some(cadence)) => (
            format!("Invitation: {} ({cadence})", inv.title),
            format!("your {} takes place {cadence}, from {when}.", inv.title),
        ),
        (calendar::Method::Request, None) => (
            format!("Invitation: {}, {when}", inv.title),
            format!("your {} is on {when}.", inv.title),
        ),
        (calendar::Method::Cancel, Some(cadence)) => (
            format!("Cancelled: {} ({cadence})", inv.title),
            format!("your {} ({cadence}) no longer takes place.", inv.title),
        ),
        (calendar::Method::Cancel, None) => (
            format!("Cancelled: {}, {when}", inv.title),
            format!("your {} of {when} does not take place.", inv.title),
        ),
    };
    let kind = EmailKind::MeetingInvitation;
    let v = View {
        when,
        headline,
        ..View::to(mailer, person, kind, subject, inv.link.clone())
    };
    let (Ok(text), Ok(html)) = (
        InvitationText { v: &v }.render(),
        InvitationHtml { v: &v }.render(),
    ) else {
        return Ok(Composed::Drop("the template failed"));
    };
    let method = match inv.method {
        calendar::Method::Request => "REQUEST",
        calendar::Method::Cancel => "CANCEL",
    };
    let Ok(calendar_type) =
        ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
    else {
        return Ok(Composed::Drop("the invitation could not be written"));
    };
    let Ok(ics_type) = ContentType::parse("application/ics") else {
        return Ok(Composed::Drop("the invitation could not be written"));
    };
    let parts = MultiPart::mixed()
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(text))
                .singlepart(SinglePart::html(html))
                .singlepart(
                    SinglePart::builder()
                        .header(calendar_type)
                        .body(inv.ics.clone()),
                ),
        )
        .singlepart(Attachment::new("invite.ics".to_owned()).body(inv.ics, ics_type));
    Ok(message(mailer, job, person, kind, &v, parts))
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// A 1:1's own zone: its series', UTC for a one-off.
pub(crate) async fn meeting_zone(db: &Database, meeting: &Meeting) -> Result<Tz, StoreError> {
    match meeting.series_id {
        Some(id) => match db.get_series(id).await {
            Ok(s) => Ok(s.cadence.time_zone),
            Err(StoreError::NotFound) => Ok(Tz::UTC),
            Err(e) => Err(e),
        },
        None => Ok(Tz::UTC),
    }
}

/// How long a pair may go without a held 1:1 before the digest names it: the cadence's
/// interval and a day.
fn allowed_gap(c: &oneonone_domain::cadence::Cadence) -> chrono::Duration {
    chrono::Duration::days(oneonone_domain::attention::cadence_days(&c.frequency) + 1)
}

/// The weekly digest to a manager, as things stand when it is sent: the direct reports not met
/// within their cadence (or with no recurring 1:1), and the open action items past their due
/// date in the manager's 1:1s. Nothing to say, nothing sent.
async fn digest(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    zone: Option<Tz>,
) -> Result<Composed, StoreError> {
    let zone = zone.unwrap_or(Tz::UTC);
    let today = Utc::now().with_timezone(&zone).date_naive();
    let (behind, actions) = team_status(db, person, zone).await?;
    if behind.is_empty() && actions.is_empty() {
        return Ok(Composed::Drop("nothing to report this week"));
    }
    let kind = EmailKind::WeeklyDigest;
    let v = View {
        actions,
        behind,
        ..View::to(
            mailer,
            person,
            kind,
            format!("Your team this week: {}", today.format("%-d %B %Y")),
            mailer.config.app_url.trim_end_matches('/').to_owned(),
        )
    };
    Ok(plain_and_html(
        mailer,
        job,
        person,
        kind,
        &v,
        DigestText { v: &v },
        DigestHtml { v: &v },
    ))
}

/// A manager's team as the digest tells it, now: the active direct reports not met within
/// their cadence (or with no recurring 1:1), and the open action items of the manager's 1:1s
/// past their due date, with times in `zone`.
pub(crate) async fn team_status(
    db: &Database,
    person: &oneonone_domain::Person,
    zone: Tz,
) -> Result<(Vec<Behind>, Vec<Action>), StoreError> {
    use oneonone_domain::meeting::MeetingKind;
    let now = Utc::now();
    let today = now.with_timezone(&zone).date_naive();
    let reports = db
        .list_people(&oneonone_persistence::people::PeopleFilter {
            manager_id: Some(person.id),
            active: Some(true),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let (series, meetings) = db.calendar_of(person.id).await?;
    let mut behind = Vec::new();
    for r in &reports {
        let pair = |m: &&Meeting| m.participants().contains(&r.id);
        let last = meetings
            .iter()
            .filter(pair)
            .filter(|m| m.status == MeetingStatus::Completed)
            .map(|m| m.starts_at)
            .max();
        let next = meetings
            .iter()
            .filter(pair)
            .filter(|m| m.status == MeetingStatus::Scheduled && m.starts_at >= now)
            .map(|m| m.starts_at)
            .min();
        let recurring = series.iter().find(|s| {
            s.kind == MeetingKind::ManagerReport
                && s.manager_id == person.id
                && s.report_id == r.id
                && !s.paused
        });
        let late = match recurring {
            None => true,
            Some(s) => now - last.unwrap_or(s.created_at) > allowed_gap(&s.cadence),
        };
        if !late {
            continue;
        }
        behind.push(Behind {
            name: r.display_name.clone(),
            last: match last {
                Some(at) => format!("last 1:1 on {}", local(at, zone)),
                None => "no 1:1 held yet".to_owned(),
            },
            cadence: recurring.map_or_else(
                || "no recurring 1:1".to_owned(),
                |s| calendar::describe(&s.cadence),
            ),
            next: match next {
                Some(at) => format!("next on {}", local(at, zone)),
                None => "none scheduled".to_owned(),
            },
        });
    }
    let overdue = db
        .list_action_items(&oneonone_persistence::actions::ActionFilter {
            participant: person.id,
            status: Some(ActionStatus::Open),
            due_before: Some(today),
            limit: 200,
            ..Default::default()
        })
        .await?;
    let mut names = std::collections::HashMap::new();
    for a in &overdue {
        for id in [a.assignee_id, a.manager_id, a.report_id] {
            if id != person.id && !names.contains_key(&id) {
                names.insert(id, name_of(db, id).await?);
            }
        }
    }
    let name_of = |id: Uuid| {
        if id == person.id {
            "you".to_owned()
        } else {
            names.get(&id).cloned().unwrap_or_default()
        }
    };
    let actions = overdue
        .iter()
        .map(|a| Action {
            title: a.title.clone(),
            owner: name_of(a.assignee_id),
            due: a.due_date.map(|d| d.format("%-d %B").to_string()),
            overdue: true,
            pair: name_of(if a.manager_id == person.id {
                a.report_id
            } else {
                a.manager_id
            }),
        })
        .collect();
    Ok((behind, actions))
}

/// To whoever set up a webhook subscription: the server turned it off, what to do about it.
/// Not sent when it is on again (or gone) by then.
async fn webhook_disabled(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    zone: Option<Tz>,
) -> Result<Composed, StoreError> {
    let hook = match db.get_webhook(job.subject_id).await {
        Ok(h) => h,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the subscription is gone")),
        Err(e) => return Err(e),
    };
    if hook.active {
        return Ok(Composed::Drop("the subscription is on again"));
    }
    let api = mailer.config.public_url.trim_end_matches('/');
    let kind = EmailKind::WebhookDisabled;
    let when = local(hook.updated_at, zone.unwrap_or(Tz::UTC));
    let described = if hook.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", hook.description)
    };
    let v = View {
        headline: format!(
            "the webhook subscription to {}{described} was turned off on {when}: nothing reached \
             it for a whole retry window. Fix the receiver, turn the subscription on again \
             (PATCH {api}/api/v1/webhooks/{} with {{\"active\": true}}) and redeliver from its \
             delivery log what did not arrive.",
            hook.url, hook.id,
        ),
        link_text: "Delivery log".to_owned(),
        ..View::to(
            mailer,
            person,
            kind,
            format!("Webhook turned off: {}", hook.url),
            format!("{api}/api/v1/webhooks/{}/deliveries", hook.id),
        )
    };
    Ok(notice(mailer, job, person, kind, &v))
}

/// A check-in's next step, to whoever takes it, as things stand when it is sent: the person
/// writes and submits theirs (when it opens, and in its last two days), the manager reviews it,
/// the person acknowledges the review. Never any of its text.
async fn checkin(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    body: &EmailJob,
) -> Result<Composed, StoreError> {
    use oneonone_domain::checkin::CheckinState;
    let Some(id) = body.checkin_id else {
        return Ok(Composed::Drop("an unreadable job"));
    };
    let k = match db.get_checkin(id).await {
        Ok(k) => k,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the check-in is gone")),
        Err(e) => return Err(e),
    };
    let cycle = match db.get_cycle(k.cycle_id).await {
        Ok((c, _)) => c.name,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the cycle is gone")),
        Err(e) => return Err(e),
    };
    let due = k.due_date.format("%A %-d %B %Y");
    let (subject, headline) = match (k.state, person.id) {
        (CheckinState::Draft, p) if p == k.person_id => (
            format!("Your check-in for {cycle} is due {due}"),
            format!(
                "your check-in for {cycle} is open: how the period went, what blocks you, your \
                 goals' progress. Submit it by {due}; {} reviews it with you.",
                name_of(db, k.manager_id).await?
            ),
        ),
        (CheckinState::Submitted, p) if p == k.manager_id => {
            let name = name_of(db, k.person_id).await?;
            (
                format!("{name} submitted their check-in for {cycle}"),
                format!("{name} submitted their check-in for {cycle}: it is yours to review."),
            )
        }
        (CheckinState::Reviewed, p) if p == k.person_id => {
            let name = name_of(db, k.manager_id).await?;
            (
                format!("{name} reviewed your check-in for {cycle}"),
                format!(
                    "{name} reviewed your check-in for {cycle}: read the review and acknowledge it."
                ),
            )
        }
        _ => return Ok(Composed::Drop("the check-in moved on")),
    };
    let kind = EmailKind::CheckinReminder;
    let app = mailer.config.app_url.trim_end_matches('/');
    let v = View {
        headline,
        link_text: "Open the check-in".to_owned(),
        ..View::to(
            mailer,
            person,
            kind,
            subject,
            format!("{app}/checkins/{}", k.id),
        )
    };
    Ok(notice(mailer, job, person, kind, &v))
}

/// An eNPS survey that asks the recipient, while it is open and they have not answered.
async fn survey(
    db: &Database,
    mailer: &Mailer,
    job: &JobRecord,
    person: &oneonone_domain::Person,
    zone: Option<Tz>,
    body: &EmailJob,
) -> Result<Composed, StoreError> {
    let Some(id) = body.survey_id else {
        return Ok(Composed::Drop("an unreadable job"));
    };
    let s = match db.get_survey(id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Ok(Composed::Drop("the survey is gone")),
        Err(e) => return Err(e),
    };
    let now = Utc::now();
    if s.finalized_at.is_some() || now >= s.closes_at {
        return Ok(Composed::Drop("the survey is closed"));
    }
    if db.survey_answered(id, person.id).await? != Some(false) {
        return Ok(Composed::Drop("answered, or not asked"));
    }
    let closes = local(s.closes_at, zone.unwrap_or(Tz::UTC));
    let last_call = now >= s.closes_at - oneonone_usecases::notify::last_call();
    let subject = if last_call {
        format!("{}: closes {closes}", s.name)
    } else {
        format!("{}: how likely are you to recommend working here?", s.name)
    };
    let kind = EmailKind::SurveyReminder;
    let app = mailer.config.app_url.trim_end_matches('/');
    let v = View {
        headline: format!(
            "{} asks: {} It takes a minute, and it is anonymous: nobody, not HR, reads one \
             person's answer; results are shown only for groups large enough. It closes {closes}.",
            s.name, s.question
        ),
        link_text: "Answer".to_owned(),
        ..View::to(
            mailer,
            person,
            kind,
            subject,
            format!("{app}/enps-surveys/{}", s.id),
        )
    };
    Ok(notice(mailer, job, person, kind, &v))
}
