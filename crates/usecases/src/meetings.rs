//! 1:1s: series and meetings, their talking points and action items.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::ValidationErrors;
use oneonone_domain::action::ActionItem;
use oneonone_domain::agenda::{AgendaCategory, AgendaItem};
use oneonone_domain::meeting::{self as m, Meeting, MeetingKind, MeetingSeries, MeetingStatus};
use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::library::Template;
use oneonone_persistence::meetings::{MeetingChange, MovedItem, NewSeries, Rating, Removed};
use oneonone_persistence::{Backend, Database, EventActor, NewEvent, StoreError, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::{Error, Precondition, Result, SYSTEM, by};

/// Create a recurring 1:1 and its first upcoming meetings.
pub async fn create_series(
    tx: &mut Tx<'_>,
    actor: &Actor,
    new: &NewSeries,
) -> Result<MeetingSeries> {
    create_series_as(tx, by(actor), new).await
}

/// A series of the seeded history, made by the system.
pub async fn seed_series(tx: &mut Tx<'_>, new: &NewSeries) -> Result<MeetingSeries> {
    create_series_as(tx, crate::SYSTEM, new).await
}

async fn create_series_as(
    tx: &mut Tx<'_>,
    actor: oneonone_persistence::EventActor,
    new: &NewSeries,
) -> Result<MeetingSeries> {
    let series = tx.create_series(new).await?;
    let stocked = top_up(tx, &series, series.created_at).await?;
    let mut events = vec![
        NewEvent::new("meeting_series.created", "meeting_series", series.id)
            .pair(series.manager_id, series.report_id)
            .data(json!({"kind": series.kind.as_str()})),
    ];
    events.extend(top_up_events(&series, &stocked));
    tx.append_events(actor, &events).await?;
    Ok(series)
}

/// Create a one-off meeting.
pub async fn create_meeting(
    tx: &mut Tx<'_>,
    actor: &Actor,
    kind: MeetingKind,
    pair: [Uuid; 2],
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<Meeting> {
    let meeting = tx
        .create_meeting(kind, pair[0], pair[1], starts_at, ends_at)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("meeting.created", "meeting", meeting.id)
            .pair(meeting.manager_id, meeting.report_id)
            .data(json!({"kind": kind.as_str(), "series_id": meeting.series_id}))],
    )
    .await?;
    Ok(meeting)
}

/// A talking point to add, as a client gives it.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    pub title: Option<String>,
    pub details: Option<String>,
    pub category: Option<AgendaCategory>,
    pub private: bool,
    /// The conversation starter it comes from (its question and category are the defaults).
    pub starter_id: Option<Uuid>,
    /// The goal it is about (its title is the default): a goal of either participant.
    pub goal_id: Option<Uuid>,
}

/// Add a talking point to a meeting's agenda, as participant `author`. A private one, and its
/// event, are its author's alone.
pub async fn add_agenda_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    author: Uuid,
    new: &NewItem,
) -> Result<AgendaItem> {
    let starter = match new.starter_id {
        None => None,
        Some(id) => match tx.get_starter(id).await {
            Ok(s) => Some(s),
            Err(StoreError::NotFound) => {
                return Err(Error::Invalid(ValidationErrors::single(
                    "starter_id",
                    oneonone_domain::agenda::NO_STARTER,
                )));
            }
            Err(e) => return Err(e.into()),
        },
    };
    let private = new.private;
    let goal_title = match new.goal_id {
        None => None,
        Some(goal) => {
            Some(crate::goals::goal_for_talking_point(tx, meeting, author, goal, private).await?)
        }
    };
    let (text, category) = oneonone_domain::agenda::new_item_text(
        new.title.as_deref().or(goal_title.as_deref()),
        new.details.as_deref(),
        new.category
            .or(goal_title.as_ref().map(|_| AgendaCategory::Goals)),
        starter.as_ref(),
    )?;
    let item = tx
        .add_agenda_item(
            meeting,
            author,
            &text,
            oneonone_persistence::agenda::ItemFields {
                category,
                private,
                goal_id: new.goal_id,
            },
            starter.as_ref(),
        )
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("agenda_item.added", "agenda_item", item.id)
            .pair(meeting.manager_id, meeting.report_id)
            .content()
            .private_to(private.then_some(author))
            .data(json!({"meeting_id": meeting.id}))],
    )
    .await?;
    Ok(item)
}

/// Agree on an action item in a meeting.
pub async fn create_action_item(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    assignee: Uuid,
    created_by: Uuid,
    title: &str,
    due_date: Option<NaiveDate>,
) -> Result<ActionItem> {
    let item = tx
        .create_action_item(meeting, assignee, created_by, title, due_date)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("action_item.created", "action_item", item.id)
            .pair(meeting.manager_id, meeting.report_id)
            .content()
            .data(json!({"meeting_id": meeting.id, "assignee_id": assignee}))],
    )
    .await?;
    Ok(item)
}

/// What topping a series up did: the meetings it scheduled and, when the series had none
/// ahead, the talking points that waited on its last meeting and now move to the first new one.
#[derive(Debug, Default)]
struct TopUp {
    scheduled: Vec<Uuid>,
    carried: Vec<MovedItem>,
}

/// Keep a series stocked: schedule what it lacks from `at` on (the domain decides which
/// occurrences). Undiscussed talking points left on the series' last meeting because no next
/// one existed (it had ended or was paused) move to the first meeting scheduled now.
async fn top_up(tx: &mut Tx<'_>, series: &MeetingSeries, at: DateTime<Utc>) -> Result<TopUp> {
    let state = tx.schedule_state(series.id, at).await?;
    let due = series.occurrences_to_schedule(at, state);
    let Some(first) = due.first() else {
        return Ok(TopUp::default());
    };
    let first_start = first.starts_at;
    let scheduled = tx.schedule_meetings(series, &due).await?;
    let mut carried = Vec::new();
    if state.upcoming == 0
        && let Some(to) = scheduled.first().copied()
        && let Some(from) = tx.last_past_meeting(series.id, first_start).await?
    {
        carried = tx.carry_items(from, to, series.agenda_template_id).await?;
    }
    Ok(TopUp { scheduled, carried })
}

/// The events of topping a series up.
fn top_up_events(series: &MeetingSeries, top_up: &TopUp) -> Vec<NewEvent> {
    let mut events = series_meeting_events("meeting.scheduled", series, &top_up.scheduled);
    events.extend(carried_events(
        series.manager_id,
        series.report_id,
        &top_up.carried,
    ));
    events
}

/// The events of talking points that moved to another meeting of the pair (a private one's
/// reach its author alone).
pub(crate) fn carried_events(manager: Uuid, report: Uuid, moved: &[MovedItem]) -> Vec<NewEvent> {
    moved
        .iter()
        .map(|m| {
            NewEvent::new("agenda_item.carried_over", "agenda_item", m.id)
                .pair(manager, report)
                .content()
                .private_to(m.private_to)
                .data(json!({"from_meeting_id": m.from_meeting_id, "meeting_id": m.to_meeting_id}))
        })
        .collect()
}

/// The events of upcoming meetings a series change removed, and of the private talking points
/// that moved off them (their author's alone).
fn removed_events(series: &MeetingSeries, removed: &Removed) -> Vec<NewEvent> {
    let mut events = series_meeting_events("meeting.removed", series, &removed.meetings);
    events.extend(carried_events(
        series.manager_id,
        series.report_id,
        &removed.private_items,
    ));
    events
}

/// One event of `kind` for each of these meetings of a series.
fn series_meeting_events(
    kind: &'static str,
    series: &MeetingSeries,
    ids: &[Uuid],
) -> Vec<NewEvent> {
    ids.iter()
        .map(|id| {
            NewEvent::new(kind, "meeting", *id)
                .pair(series.manager_id, series.report_id)
                .data(json!({"series_id": series.id}))
        })
        .collect()
}

/// Keep every active series stocked with upcoming meetings as time passes (a background job):
/// one transaction for each series with something to schedule (decided first from a read of
/// the page's states: a pass over 100,000 stocked series opened 100,000 write transactions),
/// each with the events of what it scheduled. Returns how many meetings were scheduled.
pub async fn top_up_all(db: &Database, at: DateTime<Utc>) -> Result<usize> {
    let mut after = None;
    let mut scheduled = 0;
    loop {
        let page = db.list_series(None, after, 200).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let running: Vec<Uuid> = page.iter().filter(|s| !s.paused).map(|s| s.id).collect();
        let states = db.schedule_states(&running, at).await?;
        let due = page.into_iter().filter(|s| {
            states
                .get(&s.id)
                .is_some_and(|state| !s.occurrences_to_schedule(at, *state).is_empty())
        });
        for series in due {
            scheduled += db
                .transact(move |tx| {
                    Box::pin(async move {
                        let stocked = top_up(tx, &series, at).await?;
                        tx.append_events(SYSTEM, &top_up_events(&series, &stocked))
                            .await?;
                        Ok::<_, Error>(stocked.scheduled.len())
                    })
                })
                .await?;
        }
    }
    Ok(scheduled)
}

/// How a status change shapes a meeting: its new times and, when held, when and how long.
pub type Shape = Box<dyn FnOnce(&Meeting) -> Result<MeetingChange> + Send>;

/// Reschedule, complete, skip or cancel a meeting (its participants, or a `meetings:write`
/// token). Completing, skipping or cancelling carries the undiscussed talking points over to
/// the next meeting and tops the series up; doing it again changes nothing.
pub async fn change_meeting(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    to: MeetingStatus,
    precondition: &Precondition,
    shape: Shape,
) -> Result<Meeting> {
    let meeting = tx.get_meeting(id).await?;
    if !policy::see_meeting(actor, meeting.participants()) {
        return Err(Error::NotFound);
    }
    policy::run_meeting(actor, meeting.participants())?;
    precondition.check(meeting.version)?;
    m::transition(meeting.status, to).map_err(|e| Error::Conflict {
        code: "invalid_transition",
        detail: e.to_string(),
    })?;
    if meeting.status == to && to != MeetingStatus::Scheduled {
        return Ok(meeting);
    }
    let change = shape(&meeting)?;
    let updated = tx.change_meeting(id, meeting.version, &change).await?;
    let series = match meeting.series_id {
        Some(s) => Some(tx.get_series(s).await?),
        None => None,
    };
    let stocked = match &series {
        Some(series) => top_up(tx, series, updated.updated_at).await?,
        None => TopUp::default(),
    };
    // What was not discussed moves on to the next meeting (private points stay their author's).
    let mut carried = Vec::new();
    if to != MeetingStatus::Scheduled
        && let Some(next) = tx.next_scheduled(&meeting, change.starts_at).await?
    {
        let keep = series.as_ref().and_then(|s| s.agenda_template_id);
        carried = tx.carry_items(id, next, keep).await?;
    }
    let kind = match to {
        MeetingStatus::Scheduled => "meeting.rescheduled",
        MeetingStatus::Completed => "meeting.completed",
        MeetingStatus::Skipped => "meeting.skipped",
        MeetingStatus::Cancelled => "meeting.cancelled",
    };
    let (manager, report) = (updated.manager_id, updated.report_id);
    let mut events = vec![
        NewEvent::new(kind, "meeting", id)
            .pair(manager, report)
            .data(json!({"status": to.as_str(), "series_id": updated.series_id})),
    ];
    if let Some(series) = &series {
        events.extend(top_up_events(series, &stocked));
    }
    events.extend(carried_events(manager, report, &carried));
    if to == MeetingStatus::Completed {
        // Shared talking points about goals, checked off: the goals were discussed here (both
        // participants saw those points, so the event is theirs).
        let discussed = tx.note_goals_discussed(id, updated.starts_at).await?;
        events.extend(discussed.into_iter().map(|goal| {
            NewEvent::new("goal.discussed", "goal", goal)
                .pair(manager, report)
                .content()
                .data(json!({"meeting_id": id}))
        }));
    }
    tx.append_events(by(actor), &events).await?;
    Ok(updated)
}

/// Pause, resume, end a series or set its template (checked by the caller against the version
/// it read). Removed upcoming meetings are logged, so syncing clients delete them.
pub async fn change_series(
    tx: &mut Tx<'_>,
    actor: &Actor,
    series: &MeetingSeries,
    paused: bool,
    end_date: Option<NaiveDate>,
    agenda_template_id: Option<Uuid>,
) -> Result<MeetingSeries> {
    let (updated, effects) = tx
        .change_series(series, series.version, paused, end_date, agenda_template_id)
        .await?;
    let stocked = top_up(tx, &updated, updated.updated_at).await?;
    let (manager, report) = (updated.manager_id, updated.report_id);
    let mut events = vec![
        NewEvent::new("meeting_series.updated", "meeting_series", updated.id)
            .pair(manager, report)
            .data(json!({
                "paused": updated.paused,
                "end_date": updated.cadence.end_date,
                "agenda_template_id": updated.agenda_template_id,
            })),
    ];
    events.extend(removed_events(&updated, &effects.removed));
    events.extend(top_up_events(&updated, &stocked));
    tx.append_events(by(actor), &events).await?;
    Ok(updated)
}

/// Give a series a new cadence (time, weekday, frequency, time zone, duration) from a date on:
/// its scheduled meetings ahead move, keeping their agendas; history stays (the caller checked
/// the series' version and who may run it).
pub async fn reschedule_series(
    tx: &mut Tx<'_>,
    actor: &Actor,
    series: &MeetingSeries,
    cadence: &oneonone_domain::cadence::Cadence,
    now: DateTime<Utc>,
) -> Result<MeetingSeries> {
    let (updated, effects) = tx
        .reschedule_series(series, series.version, cadence, now)
        .await?;
    let stocked = top_up(tx, &updated, now).await?;
    let (manager, report) = (updated.manager_id, updated.report_id);
    let mut events = vec![
        NewEvent::new("meeting_series.rescheduled", "meeting_series", updated.id)
            .pair(manager, report)
            .data(json!({"from": cadence.start_date})),
    ];
    events.extend(series_meeting_events(
        "meeting.rescheduled",
        &updated,
        &effects.moved,
    ));
    events.extend(removed_events(&updated, &effects.removed));
    events.extend(top_up_events(&updated, &stocked));
    tx.append_events(by(actor), &events).await?;
    Ok(updated)
}

/// Record a participant's rating of a held meeting. A rating is its rater's alone: so is its
/// event.
pub async fn rate(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    rater: Uuid,
    useful: i32,
    expectations_clear: Option<i32>,
) -> Result<Rating> {
    let rating = tx
        .rate_meeting(meeting.id, rater, useful, expectations_clear)
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("rating.recorded", "meeting", meeting.id)
            .pair(meeting.manager_id, meeting.report_id)
            .content()
            .private_to(Some(rater))],
    )
    .await?;
    Ok(rating)
}

/// The event of a change to content of a meeting (`content`, the pair's alone).
pub fn content_event(
    kind: &'static str,
    subject_type: &'static str,
    subject_id: Uuid,
    meeting: &Meeting,
    private_to: Option<Uuid>,
) -> NewEvent {
    NewEvent::new(kind, subject_type, subject_id)
        .pair(meeting.manager_id, meeting.report_id)
        .content()
        .private_to(private_to)
        .data(json!({"meeting_id": meeting.id}))
}

/// Append the events of one change, as `actor`.
pub async fn record(tx: &mut Tx<'_>, actor: &Actor, events: &[NewEvent]) -> Result<()> {
    tx.append_events(by(actor), events).await?;
    Ok(())
}

/// Put a template's talking points on a meeting's agenda, as `author`'s shared items; the
/// agenda as `author` then sees it.
pub async fn apply_template(
    tx: &mut Tx<'_>,
    actor: &Actor,
    meeting: &Meeting,
    author: Uuid,
    template: &Template,
) -> Result<Vec<oneonone_domain::agenda::AgendaItem>> {
    tx.apply_template(meeting.id, author, template).await?;
    let event = content_event(
        "agenda.template_applied",
        "meeting",
        meeting.id,
        meeting,
        None,
    )
    .data(json!({"meeting_id": meeting.id, "template_id": template.id}));
    record(tx, actor, &[event]).await?;
    Ok(tx
        .list_agenda(meeting.id, author, meeting.report_id)
        .await?)
}

/// The actor of system-made events, for callers that have no [`Actor`].
pub fn system() -> EventActor {
    SYSTEM
}

/// The meeting and the participant acting, or the right refusal: 404 for anyone who may not
/// know the meeting exists, 403 for those who see its metadata only (HR admins, tokens).
pub async fn as_participant(
    db: &Database,
    actor: &Actor,
    meeting: Uuid,
) -> Result<(Meeting, Uuid)> {
    let meeting = db.get_meeting(meeting).await?;
    let participant = participant_of(actor, &meeting)?;
    Ok((meeting, participant))
}

/// Which participant of `meeting` the actor is: 403 for those who may see only its metadata,
/// 404 for anyone who may not know it exists.
fn participant_of(actor: &Actor, meeting: &Meeting) -> Result<Uuid> {
    match policy::meeting_content(actor, meeting.participants()) {
        policy::ContentAccess::Participant(id) => Ok(id),
        policy::ContentAccess::MetadataOnly => Err(Error::Denied(policy::Denied(
            "the content of a 1:1 belongs to its two participants",
        ))),
        policy::ContentAccess::Hidden => Err(Error::NotFound),
    }
}

/// The participant check of a change to a meeting's content, placed where it costs least. On
/// SQLite it runs before the change, on the read pool: the one writer is the bottleneck, and the
/// same read inside it made talking-point creates 11–30 % slower in `make bench`. On PostgreSQL
/// it runs inside the change, on the change's connection: one pool checkout and its round trips
/// less made them 17–20 % faster.
pub enum ParticipantCheck {
    /// Checked already: the meeting and which participant the actor is.
    Done(Meeting, Uuid),
    /// To check inside the change.
    InChange(Uuid),
}

impl ParticipantCheck {
    pub async fn prepare(db: &Database, actor: &Actor, meeting: Uuid) -> Result<Self> {
        Ok(match db.backend() {
            Backend::Sqlite => {
                let (meeting, participant) = as_participant(db, actor, meeting).await?;
                ParticipantCheck::Done(meeting, participant)
            }
            Backend::Postgres => ParticipantCheck::InChange(meeting),
        })
    }

    /// The meeting and which participant the actor is (404 or 403 as [`as_participant`]).
    pub async fn resolve(self, tx: &mut Tx<'_>, actor: &Actor) -> Result<(Meeting, Uuid)> {
        match self {
            ParticipantCheck::Done(meeting, participant) => Ok((meeting, participant)),
            ParticipantCheck::InChange(id) => {
                let meeting = tx.get_meeting(id).await?;
                let participant = participant_of(actor, &meeting)?;
                Ok((meeting, participant))
            }
        }
    }
}

/// Add a talking point to a meeting as one of its participants (its author).
pub async fn add_agenda_item_as_participant(
    tx: &mut Tx<'_>,
    actor: &Actor,
    check: ParticipantCheck,
    new: &NewItem,
) -> Result<(Meeting, AgendaItem)> {
    let (meeting, author) = check.resolve(tx, actor).await?;
    let item = add_agenda_item(tx, actor, &meeting, author, new).await?;
    Ok((meeting, item))
}
