//! 1:1s as iCalendar (RFC 5545): a person's feed, one meeting's `.ics`, and the iTIP (RFC 5546)
//! invitations that scheduling emails carry.
//!
//! A series is one `VEVENT` with an `RRULE` in its IANA zone (and a `VTIMEZONE` for clients that
//! do not know the zone). What happened to single occurrences is written against that rule:
//! a meeting moved off its slot is an override with `RECURRENCE-ID`; a skipped or cancelled
//! one, a slot the viewer did not hold (the series had another manager then) and a slot that
//! never became a meeting (paused, removed) are `EXDATE`s. Meetings outside any series of the
//! viewer's (one-offs, history of a series handed over) are events of their own.
//!
//! Only times, names and a link to the agenda: never a talking point, a note or a rating.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{Calendar, Component, Event, EventStatus, Property};
use oneonone_domain::cadence::{Cadence, Frequency, local_instant};
use oneonone_domain::meeting::{Meeting, MeetingKind, MeetingSeries, MeetingStatus};
use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::calendar::FeedRecord;
use oneonone_persistence::{Database, NewEvent, Tx};
use uuid::Uuid;

use crate::{Error, Result, by};

/// What a calendar needs to know about a participant.
#[derive(Debug, Clone)]
pub struct Attendee {
    pub name: String,
    pub email: String,
}

/// Where links point and who sends invitations.
#[derive(Debug, Clone)]
pub struct Links {
    /// The web app: `{app_url}/meetings/{id}` and `{app_url}/series/{id}`.
    pub app_url: String,
}

/// The `PRODID` of everything this server writes.
const PRODID: &str = "-//oneonone//1:1 calendar//EN";
const LOCAL: &str = "%Y%m%dT%H%M%S";
const UTC: &str = "%Y%m%dT%H%M%SZ";

/// The stable `UID` of a series (all its occurrences).
pub fn series_uid(id: Uuid) -> String {
    format!("series-{id}@oneonone")
}

/// The stable `UID` of a meeting that stands alone.
pub fn meeting_uid(id: Uuid) -> String {
    format!("meeting-{id}@oneonone")
}

/// How a viewer's calendar shows one series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPlan {
    pub series_id: Uuid,
    /// The first slot, a local date-time in the series' zone.
    pub first: NaiveDateTime,
    pub rrule: String,
    /// Slots that are not in the viewer's calendar (local date-times).
    pub exdates: Vec<NaiveDateTime>,
    /// Meetings moved off their slot, with the slot (local date-time) they replace.
    pub overrides: Vec<(Uuid, NaiveDateTime)>,
}

/// What a viewer's calendar holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub series: Vec<SeriesPlan>,
    /// Meetings that are events of their own.
    pub singles: Vec<Uuid>,
}

/// The slot `date` of a cadence as the rule writes it: the local wall time of its instant (a
/// slot in a spring-forward gap is the time the clock shows then, as RFC 5545 reads it too).
fn slot(cadence: &Cadence, date: NaiveDate) -> NaiveDateTime {
    cadence
        .instant_on(date)
        .with_timezone(&cadence.time_zone)
        .naive_local()
}

fn byday(w: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match w {
        Mon => "MO",
        Tue => "TU",
        Wed => "WE",
        Thu => "TH",
        Fri => "FR",
        Sat => "SA",
        Sun => "SU",
    }
}

/// The `RRULE` value of a cadence, ending on `until` (a local date, inclusive) if any.
pub fn rrule(cadence: &Cadence, until: Option<NaiveDate>) -> String {
    let mut rule = match cadence.frequency {
        Frequency::Weekly {
            interval_weeks,
            weekday,
        } => format!(
            "FREQ=WEEKLY;INTERVAL={interval_weeks};BYDAY={}",
            byday(weekday)
        ),
        Frequency::MonthlyByWeekday { nth, weekday } => {
            format!("FREQ=MONTHLY;BYDAY={nth}{}", byday(weekday))
        }
        // Day 31 in a 30-day month is the 30th: the last of the candidate days that exist.
        Frequency::MonthlyByDay { day } if day > 28 => {
            let days: Vec<String> = (28..=day).map(|d| d.to_string()).collect();
            format!("FREQ=MONTHLY;BYMONTHDAY={};BYSETPOS=-1", days.join(","))
        }
        Frequency::MonthlyByDay { day } => format!("FREQ=MONTHLY;BYMONTHDAY={day}"),
    };
    if let Some(until) = until {
        // UNTIL is in UTC when DTSTART has a zone: the last instant of that local day.
        let end = local_instant(
            cadence.time_zone,
            until.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default()),
        );
        let _ = write!(rule, ";UNTIL={}", end.format(UTC));
    }
    rule
}

/// Decide how `viewer`'s calendar shows their series and meetings (`meetings` holds every
/// meeting of those series and every meeting of the viewer's).
pub fn plan(
    viewer: Uuid,
    series: &[MeetingSeries],
    meetings: &[Meeting],
    now: DateTime<Utc>,
) -> Plan {
    let mut by_slot: HashMap<(Uuid, NaiveDate), &Meeting> = HashMap::new();
    for m in meetings {
        if let (Some(s), Some(d)) = (m.series_id, m.occurrence_date) {
            by_slot.insert((s, d), m);
        }
    }
    let mut covered: HashSet<Uuid> = HashSet::new();
    let mut out = Plan::default();
    for s in series
        .iter()
        .filter(|s| s.manager_id == viewer || s.report_id == viewer)
    {
        if let Some(p) = plan_series(viewer, s, &by_slot, now, &mut covered) {
            out.series.push(p);
        }
    }
    out.singles = meetings
        .iter()
        .filter(|m| m.participants().contains(&viewer) && !covered.contains(&m.id))
        .map(|m| m.id)
        .collect();
    out
}

fn plan_series(
    viewer: Uuid,
    s: &MeetingSeries,
    by_slot: &HashMap<(Uuid, NaiveDate), &Meeting>,
    now: DateTime<Utc>,
    covered: &mut HashSet<Uuid>,
) -> Option<SeriesPlan> {
    let c = &s.cadence;
    let first = c
        .occurrences_from(c.instant_on(c.start_date), 1)
        .first()
        .map(|o| o.local_date)?;
    // The slots that are meetings (or were): the rule's past is what they say it is.
    let last_meeting = by_slot
        .iter()
        .filter(|((sid, d), _)| *sid == s.id && *d >= first && c.occurs_on(*d))
        .map(|((_, d), _)| *d)
        .max();
    // A paused series has no slots after its last meeting until it resumes.
    let until = match (s.paused, c.end_date) {
        (true, end) => Some(last_meeting?.min(end.unwrap_or(NaiveDate::MAX))),
        (false, end) => end,
    };
    let today = now.with_timezone(&c.time_zone).date_naive();
    let horizon = last_meeting
        .unwrap_or(today)
        .max(today)
        .min(until.unwrap_or(NaiveDate::MAX));
    let mut plan = SeriesPlan {
        series_id: s.id,
        first: slot(c, first),
        rrule: rrule(c, until),
        exdates: Vec::new(),
        overrides: Vec::new(),
    };
    let mut date = first;
    while date <= horizon {
        if c.occurs_on(date) {
            let at = slot(c, date);
            match by_slot.get(&(s.id, date)) {
                Some(m) => {
                    covered.insert(m.id);
                    let gone =
                        matches!(m.status, MeetingStatus::Skipped | MeetingStatus::Cancelled);
                    if gone || !m.participants().contains(&viewer) {
                        plan.exdates.push(at);
                    } else if m.starts_at != c.instant_on(date)
                        || m.ends_at - m.starts_at
                            != Duration::minutes(i64::from(c.duration_minutes))
                    {
                        plan.overrides.push((m.id, at));
                    }
                }
                None if c.instant_on(date) < now || Some(date) <= last_meeting => {
                    plan.exdates.push(at)
                }
                None => {}
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    Some(plan)
}

/// The title of a 1:1 as `viewer` reads it.
fn summary(kind: MeetingKind, other: &str) -> String {
    let what = match kind {
        MeetingKind::ManagerReport => "1:1",
        MeetingKind::SkipLevel => "Skip-level 1:1",
        MeetingKind::Peer => "Peer 1:1",
        MeetingKind::CrossFunctional => "Cross-functional 1:1",
        MeetingKind::SecondaryManager => "1:1 (secondary manager)",
    };
    format!("{what} with {other}")
}

/// Everything the events of one calendar refer to.
pub struct Sources<'a> {
    pub viewer: Uuid,
    pub series: &'a [MeetingSeries],
    pub meetings: &'a [Meeting],
    pub people: &'a HashMap<Uuid, Attendee>,
    pub links: &'a Links,
    /// Who sends an invitation (iTIP needs an `ORGANIZER`); `None` in feeds.
    pub organizer: Option<&'a Attendee>,
}

impl Sources<'_> {
    /// Who the 1:1 is with, for a participant; both names for anyone else (HR).
    fn other_name(&self, pair: [Uuid; 2]) -> String {
        let name = |id: Uuid| {
            self.people
                .get(&id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| "a colleague".to_owned())
        };
        match pair {
            [me, other] | [other, me] if me == self.viewer => name(other),
            [a, b] => format!("{} and {}", name(a), name(b)),
        }
    }

    fn attendees(&self, e: &mut Event, pair: [Uuid; 2]) {
        if let Some(o) = self.organizer {
            e.append_property(
                Property::new("ORGANIZER", format!("mailto:{}", o.email))
                    .add_parameter("CN", &o.name)
                    .done(),
            );
        }
        for id in pair {
            if let Some(p) = self.people.get(&id) {
                let mut a = Property::new("ATTENDEE", format!("mailto:{}", p.email));
                a.add_parameter("CN", &p.name)
                    .add_parameter("ROLE", "REQ-PARTICIPANT");
                if self.organizer.is_some() {
                    // Replies are not read: the 1:1 is agreed in the app.
                    a.add_parameter("PARTSTAT", "NEEDS-ACTION")
                        .add_parameter("RSVP", "FALSE");
                }
                e.append_multi_property(a.done());
            }
        }
    }

    fn meeting(&self, id: Uuid) -> Option<&Meeting> {
        self.meetings.iter().find(|m| m.id == id)
    }
}

fn local(key: &str, tz: Tz, at: NaiveDateTime) -> Property {
    Property::new(key, at.format(LOCAL).to_string())
        .add_parameter("TZID", tz.name())
        .done()
}

fn utc(key: &str, at: DateTime<Utc>) -> Property {
    Property::new(key, at.format(UTC).to_string())
}

fn in_zone(tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

fn base_event(uid: &str, sequence: i64, updated: DateTime<Utc>) -> Event {
    let mut e = Event::new();
    e.uid(uid)
        .append_property(utc("DTSTAMP", updated))
        .append_property(utc("LAST-MODIFIED", updated))
        .append_property(Property::new("SEQUENCE", sequence.max(0).to_string()))
        .append_property(Property::new("TRANSP", "OPAQUE"));
    e
}

/// The master event of a series plan.
fn series_event(src: &Sources<'_>, s: &MeetingSeries, p: &SeriesPlan) -> Event {
    let tz = s.cadence.time_zone;
    let start = local_instant(tz, p.first);
    let end = start + Duration::minutes(i64::from(s.cadence.duration_minutes));
    let pair = [s.manager_id, s.report_id];
    let mut e = base_event(&series_uid(s.id), s.version - 1, s.updated_at);
    e.summary(&summary(s.kind, &src.other_name(pair)))
        .description(&format!(
            "Agenda and notes: {}/series/{}",
            src.links.app_url, s.id
        ))
        .url(&format!("{}/series/{}", src.links.app_url, s.id))
        .append_property(local("DTSTART", tz, p.first))
        .append_property(local("DTEND", tz, in_zone(tz, end)))
        .append_property(Property::new("RRULE", &p.rrule));
    if !p.exdates.is_empty() {
        let dates: Vec<String> = p
            .exdates
            .iter()
            .map(|d| d.format(LOCAL).to_string())
            .collect();
        e.append_multi_property(
            Property::new("EXDATE", dates.join(","))
                .add_parameter("TZID", tz.name())
                .done(),
        );
    }
    src.attendees(&mut e, pair);
    e.done()
}

/// An event for one meeting: an override of its series' slot, or an event of its own.
fn meeting_event(
    src: &Sources<'_>,
    m: &Meeting,
    of_series: Option<(&MeetingSeries, NaiveDateTime)>,
) -> Event {
    let pair = m.participants();
    let (uid, sequence, tz) = match of_series {
        Some((s, _)) => (
            series_uid(s.id),
            s.version + m.version - 2,
            Some(s.cadence.time_zone),
        ),
        None => (meeting_uid(m.id), m.version - 1, None),
    };
    let mut e = base_event(&uid, sequence, m.updated_at);
    e.summary(&summary(m.kind, &src.other_name(pair)))
        .description(&format!(
            "Agenda and notes: {}/meetings/{}",
            src.links.app_url, m.id
        ))
        .url(&format!("{}/meetings/{}", src.links.app_url, m.id));
    match tz {
        Some(tz) => {
            e.append_property(local("DTSTART", tz, in_zone(tz, m.starts_at)))
                .append_property(local("DTEND", tz, in_zone(tz, m.ends_at)));
        }
        None => {
            e.append_property(utc("DTSTART", m.starts_at))
                .append_property(utc("DTEND", m.ends_at));
        }
    }
    if let Some((s, slot)) = of_series {
        e.append_property(local("RECURRENCE-ID", s.cadence.time_zone, slot));
    }
    match m.status {
        MeetingStatus::Skipped | MeetingStatus::Cancelled => e.status(EventStatus::Cancelled),
        _ => e.status(EventStatus::Confirmed),
    };
    src.attendees(&mut e, pair);
    e.done()
}

/// A calendar with the time zones its events use.
fn calendar(
    events: Vec<Event>,
    zones: &BTreeMap<String, (Tz, i32)>,
    method: Option<&str>,
    name: Option<&str>,
) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODID))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    if let Some(method) = method {
        cal.append_property(Property::new("METHOD", method));
    }
    if let Some(name) = name {
        cal.append_property(Property::new("X-WR-CALNAME", name));
    }
    let mut out = String::new();
    for (tz, from_year) in zones.values() {
        out.push_str(&vtimezone(*tz, *from_year));
    }
    for e in events {
        cal.push(e);
    }
    // VTIMEZONE components go first (before the events that refer to them).
    let text = cal.to_string();
    match text.find("BEGIN:VEVENT") {
        Some(at) if !out.is_empty() => format!("{}{}{}", &text[..at], out, &text[at..]),
        None if !out.is_empty() => text.replace("END:VCALENDAR", &format!("{out}END:VCALENDAR")),
        _ => text,
    }
}

/// A person's feed: every series and meeting of theirs.
pub fn feed(src: &Sources<'_>, now: DateTime<Utc>) -> String {
    let p = plan(src.viewer, src.series, src.meetings, now);
    let mut events = Vec::new();
    let mut zones = BTreeMap::new();
    for sp in &p.series {
        let Some(s) = src.series.iter().find(|s| s.id == sp.series_id) else {
            continue;
        };
        let tz = s.cadence.time_zone;
        note_zone(&mut zones, tz, sp.first.date());
        events.push(series_event(src, s, sp));
        for (id, slot) in &sp.overrides {
            if let Some(m) = src.meeting(*id) {
                events.push(meeting_event(src, m, Some((s, *slot))));
            }
        }
    }
    for id in &p.singles {
        if let Some(m) = src.meeting(*id) {
            events.push(meeting_event(src, m, None));
        }
    }
    calendar(events, &zones, None, Some("1:1s"))
}

/// One meeting as an event of its own (what "add to my calendar" downloads).
pub fn single(src: &Sources<'_>, m: &Meeting) -> String {
    calendar(
        vec![meeting_event(src, m, None)],
        &BTreeMap::new(),
        Some("PUBLISH"),
        None,
    )
}

fn note_zone(zones: &mut BTreeMap<String, (Tz, i32)>, tz: Tz, from: NaiveDate) {
    use chrono::Datelike;
    let entry = zones
        .entry(tz.name().to_owned())
        .or_insert((tz, from.year()));
    entry.1 = entry.1.min(from.year());
}

/// A person's feed, read now.
pub async fn feed_of(
    db: &Database,
    viewer: Uuid,
    links: &Links,
    now: DateTime<Utc>,
) -> Result<String> {
    let (series, meetings) = db.calendar_of(viewer).await?;
    let people = attendees(db, participants(&meetings)).await?;
    Ok(feed(
        &Sources {
            viewer,
            series: &series,
            meetings: &meetings,
            people: &people,
            links,
            organizer: None,
        },
        now,
    ))
}

/// One meeting's `.ics`, for someone who may see the meeting.
pub async fn meeting_ics(db: &Database, actor: &Actor, id: Uuid, links: &Links) -> Result<String> {
    let meeting = db.get_meeting(id).await?;
    if !policy::see_meeting(actor, meeting.participants()) {
        return Err(Error::NotFound);
    }
    let people = attendees(db, meeting.participants().to_vec()).await?;
    // A participant reads "1:1 with …"; anyone else (HR, a token) both names.
    let viewer = actor.person_id().unwrap_or(Uuid::nil());
    let meetings = [meeting];
    Ok(single(
        &Sources {
            viewer,
            series: &[],
            meetings: &meetings,
            people: &people,
            links,
            organizer: None,
        },
        &meetings[0],
    ))
}

/// What an invitation does in the recipient's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add or update (`METHOD:REQUEST`).
    Request,
    /// Remove (`METHOD:CANCEL`).
    Cancel,
}

/// An iTIP message for one recipient.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub method: Method,
    /// The iCalendar object (`text/calendar; method=…`).
    pub ics: String,
    /// The 1:1's title as the recipient reads it (`1:1 with Ada`).
    pub title: String,
    /// The start of the meeting, or of the series' first slot.
    pub starts_at: DateTime<Utc>,
    /// The series' zone; `None` for a meeting of its own.
    pub zone: Option<Tz>,
    /// For a series: how often (`Weekly on Monday at 10:00 (Europe/Berlin)`).
    pub cadence: Option<String>,
    pub link: String,
}

/// What an invitation is about.
#[derive(Debug, Clone, Copy)]
pub enum About {
    Series(Uuid),
    Meeting(Uuid),
}

/// The invitation `person` should get now about a series or a meeting, from `organizer`, as
/// things stand (a job is written when it is sent); `None` when there is nothing to tell them
/// (not theirs, gone, or a meeting at its slot of a series whose invitation covers it).
pub async fn invitation(
    db: &Database,
    person: Uuid,
    about: About,
    links: &Links,
    organizer: &Attendee,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>> {
    let (series, meetings) = db.calendar_of(person).await?;
    let people = attendees(db, participants(&meetings)).await?;
    let src = Sources {
        viewer: person,
        series: &series,
        meetings: &meetings,
        people: &people,
        links,
        organizer: Some(organizer),
    };
    let plan = plan(person, &series, &meetings, now);
    Ok(match about {
        About::Series(id) => series_invitation(&src, &plan, id),
        About::Meeting(id) => meeting_invitation(&src, &plan, id),
    })
}

fn series_invitation(src: &Sources<'_>, plan: &Plan, id: Uuid) -> Option<Invitation> {
    let s = src.series.iter().find(|s| s.id == id)?;
    let tz = s.cadence.time_zone;
    let title = summary(s.kind, &src.other_name([s.manager_id, s.report_id]));
    let link = format!("{}/series/{}", src.links.app_url, s.id);
    let mut zones = BTreeMap::new();
    let Some(sp) = plan.series.iter().find(|p| p.series_id == id) else {
        // Nothing of the series is left in the calendar (paused before its first meeting).
        let first = s.cadence.instant_on(s.cadence.start_date);
        let mut e = base_event(&series_uid(s.id), s.version - 1, s.updated_at);
        e.summary(&title)
            .append_property(utc("DTSTART", first))
            .status(EventStatus::Cancelled);
        src.attendees(&mut e, [s.manager_id, s.report_id]);
        return Some(Invitation {
            method: Method::Cancel,
            ics: calendar(vec![e.done()], &zones, Some("CANCEL"), None),
            title,
            starts_at: first,
            zone: Some(tz),
            cadence: Some(describe(&s.cadence)),
            link,
        });
    };
    note_zone(&mut zones, tz, sp.first.date());
    let mut events = vec![series_event(src, s, sp)];
    for (mid, slot) in &sp.overrides {
        if let Some(m) = src.meeting(*mid) {
            events.push(meeting_event(src, m, Some((s, *slot))));
        }
    }
    Some(Invitation {
        method: Method::Request,
        ics: calendar(events, &zones, Some("REQUEST"), None),
        title,
        starts_at: local_instant(tz, sp.first),
        zone: Some(tz),
        cadence: Some(describe(&s.cadence)),
        link,
    })
}

fn meeting_invitation(src: &Sources<'_>, plan: &Plan, id: Uuid) -> Option<Invitation> {
    let m = src.meeting(id)?;
    if !m.participants().contains(&src.viewer) {
        return None;
    }
    let gone = matches!(m.status, MeetingStatus::Skipped | MeetingStatus::Cancelled);
    let title = summary(m.kind, &src.other_name(m.participants()));
    let link = format!("{}/meetings/{}", src.links.app_url, m.id);
    let method = if gone {
        Method::Cancel
    } else {
        Method::Request
    };
    let method_text = if gone { "CANCEL" } else { "REQUEST" };
    let mut zones = BTreeMap::new();
    if plan.singles.contains(&id) {
        if m.status == MeetingStatus::Completed {
            return None;
        }
        return Some(Invitation {
            method,
            ics: calendar(
                vec![meeting_event(src, m, None)],
                &zones,
                Some(method_text),
                None,
            ),
            title,
            starts_at: m.starts_at,
            zone: None,
            cadence: None,
            link,
        });
    }
    // An occurrence of a series in the recipient's calendar: only a moved, skipped or
    // cancelled one is news (the series' own invitation holds the others).
    let s = src.series.iter().find(|s| Some(s.id) == m.series_id)?;
    let sp = plan.series.iter().find(|p| p.series_id == s.id)?;
    let date = m.occurrence_date?;
    let at = slot(&s.cadence, date);
    let moved = sp.overrides.iter().any(|(o, _)| *o == id);
    if !(moved || (gone && sp.exdates.contains(&at))) {
        return None;
    }
    note_zone(&mut zones, s.cadence.time_zone, date);
    Some(Invitation {
        method,
        ics: calendar(
            vec![meeting_event(src, m, Some((s, at)))],
            &zones,
            Some(method_text),
            None,
        ),
        title,
        starts_at: m.starts_at,
        zone: Some(s.cadence.time_zone),
        cadence: None,
        link,
    })
}

/// A cadence in words: `weekly on Monday at 10:00 (Europe/Berlin)`.
pub fn describe(c: &Cadence) -> String {
    let day = |w: chrono::Weekday| {
        use chrono::Weekday::*;
        match w {
            Mon => "Monday",
            Tue => "Tuesday",
            Wed => "Wednesday",
            Thu => "Thursday",
            Fri => "Friday",
            Sat => "Saturday",
            Sun => "Sunday",
        }
    };
    let how = match c.frequency {
        Frequency::Weekly {
            interval_weeks: 1,
            weekday,
        } => format!("weekly on {}", day(weekday)),
        Frequency::Weekly {
            interval_weeks,
            weekday,
        } => format!("every {interval_weeks} weeks on {}", day(weekday)),
        Frequency::MonthlyByWeekday { nth: -1, weekday } => {
            format!("monthly on the last {}", day(weekday))
        }
        Frequency::MonthlyByWeekday { nth, weekday } => {
            let ord = match nth {
                1 => "first",
                2 => "second",
                3 => "third",
                _ => "fourth",
            };
            format!("monthly on the {ord} {}", day(weekday))
        }
        Frequency::MonthlyByDay { day } => format!("monthly on day {day}"),
    };
    format!(
        "{how} at {} ({})",
        c.local_time.format("%H:%M"),
        c.time_zone.name()
    )
}

/// Names and addresses of the people named (erased people stay nameless).
fn participants(meetings: &[Meeting]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = meetings.iter().flat_map(|m| m.participants()).collect();
    ids.sort();
    ids.dedup();
    ids
}

async fn attendees(db: &Database, ids: Vec<Uuid>) -> Result<HashMap<Uuid, Attendee>> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        let p = db.get_person(id).await?;
        if p.deleted_at.is_none() {
            out.insert(
                id,
                Attendee {
                    name: p.display_name,
                    email: p.email,
                },
            );
        }
    }
    Ok(out)
}

/// Give the actor a new secret feed address (the old one stops working); the token's hash only
/// is stored, and the event carries neither.
pub async fn rotate_feed(tx: &mut Tx<'_>, actor: &Actor, token_hash: &str) -> Result<FeedRecord> {
    let person = own_feed(actor)?;
    let record = tx.put_feed(person, token_hash).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("calendar_feed.rotated", "person", person).content()],
    )
    .await?;
    Ok(record)
}

/// Revoke the actor's feed address; whether there was one.
pub async fn revoke_feed(tx: &mut Tx<'_>, actor: &Actor) -> Result<bool> {
    let person = own_feed(actor)?;
    let had = tx.delete_feed(person).await?;
    if had {
        tx.append_events(
            by(actor),
            &[NewEvent::new("calendar_feed.revoked", "person", person).content()],
        )
        .await?;
    }
    Ok(had)
}

fn own_feed(actor: &Actor) -> Result<Uuid> {
    actor.person_id().ok_or(Error::Denied(policy::Denied(
        "a calendar feed belongs to a person, not to a token",
    )))
}

/// How many years of a zone's rules a `VTIMEZONE` spells out after today.
const ZONE_YEARS_AHEAD: i32 = 10;

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    if s % 60 == 0 {
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", s / 3600, (s % 3600) / 60, s % 60)
    }
}

/// The offset, whether it is daylight time, and the abbreviation of `tz` at `at`.
fn observance(tz: Tz, at: DateTime<Utc>) -> (i32, bool, String) {
    let o = tz.offset_from_utc_datetime(&at.naive_utc());
    let name = o
        .abbreviation()
        .map(str::to_owned)
        .unwrap_or_else(|| offset_text(o.fix().local_minus_utc()));
    (
        o.fix().local_minus_utc(),
        o.dst_offset() != chrono::Duration::zero(),
        name,
    )
}

/// A `VTIMEZONE` for `tz` from the start of `from_year` to ten years from now: one observance
/// per transition, read off the time-zone database (so it says what chrono-tz says). Written
/// here rather than with `icalendar`, which gives every component a `UID` and `DTSTAMP` (not
/// allowed in a `VTIMEZONE`); nothing in it needs escaping or folding.
pub fn vtimezone(tz: Tz, from_year: i32) -> String {
    use chrono::Datelike;
    let start = Utc
        .with_ymd_and_hms(from_year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let end_year = Utc::now().year() + ZONE_YEARS_AHEAD;
    let end = Utc
        .with_ymd_and_hms(end_year, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(start);
    let mut out = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let piece = |out: &mut String, from: i32, to: (i32, bool, &str), at: DateTime<Utc>| {
        let kind = if to.1 { "DAYLIGHT" } else { "STANDARD" };
        // DTSTART is the local time the change happens at, in the old offset.
        let local = at.naive_utc() + Duration::seconds(i64::from(from));
        let _ = write!(
            out,
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{}\r\nEND:{kind}\r\n",
            local.format(LOCAL),
            offset_text(from),
            offset_text(to.0),
            to.2,
        );
    };
    let (mut offset, mut dst, name) = observance(tz, start);
    piece(&mut out, offset, (offset, dst, &name), start);
    let mut at = start;
    while at < end {
        let next = at + Duration::days(1);
        let (o, d, n) = observance(tz, next);
        if o != offset || d != dst {
            // The second of the change: the old observance holds at `lo`, the new one at `hi`.
            let (mut lo, mut hi) = (at, next);
            while hi - lo > Duration::seconds(1) {
                let mid = lo + (hi - lo) / 2;
                let (mo, md, _) = observance(tz, mid);
                if (mo, md) == (offset, dst) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            piece(&mut out, offset, (o, d, &n), hi);
            (offset, dst) = (o, d);
        }
        at = next;
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, Weekday};

    fn series(frequency: Frequency, tz: &str, start: NaiveDate) -> MeetingSeries {
        let cadence = Cadence::new(
            frequency,
            NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
            tz.parse().unwrap_or(Tz::UTC),
            30,
            start,
            None,
        );
        let Ok(cadence) = cadence else {
            panic!("valid cadence")
        };
        MeetingSeries {
            id: Uuid::from_u128(1),
            kind: MeetingKind::ManagerReport,
            manager_id: Uuid::from_u128(10),
            report_id: Uuid::from_u128(11),
            cadence,
            paused: false,
            agenda_template_id: None,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn rules_say_what_the_cadence_says() {
        let weekly = series(
            Frequency::Weekly {
                interval_weeks: 2,
                weekday: Weekday::Tue,
            },
            "Europe/Berlin",
            date(2030, 1, 1),
        );
        assert_eq!(
            rrule(&weekly.cadence, None),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"
        );
        let last = series(
            Frequency::MonthlyByWeekday {
                nth: -1,
                weekday: Weekday::Fri,
            },
            "Europe/Berlin",
            date(2030, 1, 1),
        );
        assert_eq!(
            rrule(&last.cadence, Some(date(2030, 6, 30))),
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20300630T215959Z"
        );
        let day31 = series(Frequency::MonthlyByDay { day: 31 }, "UTC", date(2030, 1, 1));
        assert_eq!(
            rrule(&day31.cadence, None),
            "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
        );
    }

    #[test]
    fn a_zone_lists_its_changes() {
        let Ok(tz) = "Europe/Berlin".parse::<Tz>() else {
            panic!("zone")
        };
        let text = vtimezone(tz, 2030);
        // Spring forward on 31 March 2030 at 02:00 local (01:00 UTC).
        assert!(text.contains("BEGIN:DAYLIGHT\r\nDTSTART:20300331T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST"), "{text}");
        assert!(
            text.contains("DTSTART:20301027T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100"),
            "{text}"
        );
    }
}
