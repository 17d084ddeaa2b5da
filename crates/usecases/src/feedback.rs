//! Feedback: giving it (or a public recognition), asking named colleagues for it, answering or
//! declining. Each is one transaction with its event; an anonymous answer's event names the
//! request, never the answer, so the log cannot tie an answer to whoever gave it.

use chrono::NaiveDate;
use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::feedback::{
    self, ANONYMOUS_RELEASE, BODY_MAX, FeedbackKind, MAX_RESPONDENTS, QUESTION_MAX,
    RECOGNITION_MAX, RespondentStatus, Visibility,
};
use oneonone_domain::policy::{Actor, Denied};
use oneonone_domain::{Person, Text};
use oneonone_persistence::feedback::{FeedbackRecord, RequestRecord};
use oneonone_persistence::{EventActor, NewEvent, StoreError, Tx};
use serde_json::json;
use uuid::Uuid;

use crate::{Error, Result, by};

/// Feedback is between people: tokens never read or write its text.
pub fn person(actor: &Actor) -> Result<Uuid> {
    actor
        .person_id()
        .ok_or_else(|| Denied("feedback is between people; tokens never read its text").into())
}

/// A new piece of feedback, as the giver wrote it.
#[derive(Debug, Clone)]
pub struct NewFeedback {
    pub recipient_id: Uuid,
    pub kind: FeedbackKind,
    pub body: String,
    /// For praise and constructive feedback; recognition is always the organisation's.
    pub visibility: Visibility,
    pub category: Option<AgendaCategory>,
    pub goal_id: Option<Uuid>,
}

fn unknown(field: &str, what: &str) -> Error {
    Error::Refused {
        code: "unknown_reference",
        detail: format!("{field}: {what}"),
    }
}

/// An active colleague other than `me`, or a problem naming `field`.
async fn colleague(tx: &mut Tx<'_>, me: Uuid, id: Uuid, field: &str) -> Result<Person> {
    if id == me {
        return Err(Error::invalid(field, "not yourself"));
    }
    match tx.get_person(id).await {
        Ok(p) if p.active && p.deleted_at.is_none() => Ok(p),
        Ok(_) => Err(Error::invalid(field, "this person is deactivated")),
        Err(StoreError::NotFound) => Err(unknown(field, "no such person")),
        Err(e) => Err(e.into()),
    }
}

fn body(raw: &str, kind: FeedbackKind) -> Result<String> {
    let max = if kind == FeedbackKind::Recognition {
        RECOGNITION_MAX
    } else {
        BODY_MAX
    };
    Text::parse(raw, max)
        .map(Text::into_string)
        .map_err(|e| Error::invalid("body", e.to_string()))
}

/// Give feedback (or recognition) to a colleague.
pub async fn give(tx: &mut Tx<'_>, actor: &Actor, new: NewFeedback) -> Result<FeedbackRecord> {
    let me = person(actor)?;
    let text = body(&new.body, new.kind)?;
    let visibility = match (new.kind, new.visibility) {
        (FeedbackKind::Recognition, _) => Visibility::Organisation,
        (_, Visibility::Organisation) => {
            return Err(Error::invalid(
                "visibility",
                "only recognition is public; praise and constructive feedback go to the \
                 recipient, or the recipient and their manager",
            ));
        }
        (_, v) => v,
    };
    colleague(tx, me, new.recipient_id, "recipient_id").await?;
    if let Some(goal) = new.goal_id {
        match crate::goals::visible_goal(tx, actor, goal).await {
            Ok(g) if g.goal.owner_id == new.recipient_id => {}
            Ok(_) => return Err(Error::invalid("goal_id", "a goal of the recipient's")),
            Err(Error::NotFound) => return Err(unknown("goal_id", "no such goal")),
            Err(e) => return Err(e),
        }
    }
    let record = FeedbackRecord {
        id: Uuid::now_v7(),
        kind: new.kind.as_str().to_owned(),
        giver_id: Some(me),
        recipient_id: new.recipient_id,
        body: text,
        visibility: visibility.as_str().to_owned(),
        category: new.category.map(|c| c.as_str().to_owned()),
        goal_id: new.goal_id,
        request_id: None,
        released: true,
        created_at: Some(oneonone_persistence::now()),
        has_follow_up: false,
    };
    tx.insert_feedback(&record).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("feedback.given", "feedback", record.id)
            .content()
            .data(json!({"kind": record.kind}))],
    )
    .await?;
    Ok(record)
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewRequest {
    /// Whom the feedback is about: the requester, or a direct report of theirs.
    pub subject_id: Uuid,
    pub question: String,
    pub respondent_ids: Vec<Uuid>,
    pub due_date: NaiveDate,
}

/// Ask named colleagues for feedback about yourself, or (as their manager) about a report.
pub async fn request(
    tx: &mut Tx<'_>,
    actor: &Actor,
    new: NewRequest,
    today: NaiveDate,
) -> Result<RequestRecord> {
    let me = person(actor)?;
    let question = Text::parse(&new.question, QUESTION_MAX)
        .map(Text::into_string)
        .map_err(|e| Error::invalid("question", e.to_string()))?;
    if new.due_date < today {
        return Err(Error::invalid("due_date", "must not be in the past"));
    }
    if new.subject_id != me {
        let subject = colleague(tx, me, new.subject_id, "subject_id").await?;
        if subject.manager_id != Some(me) {
            return Err(
                Denied("you ask for feedback about yourself or your direct reports").into(),
            );
        }
    }
    let mut respondents: Vec<Uuid> = Vec::new();
    if new.respondent_ids.is_empty() || new.respondent_ids.len() > MAX_RESPONDENTS {
        return Err(Error::invalid(
            "respondent_ids",
            format!("ask 1 to {MAX_RESPONDENTS} colleagues"),
        ));
    }
    for (i, id) in new.respondent_ids.iter().enumerate() {
        let field = format!("respondent_ids[{i}]");
        if respondents.contains(id) {
            return Err(Error::invalid(&field, "named twice"));
        }
        if *id == new.subject_id {
            return Err(Error::invalid(
                &field,
                "not the person the feedback is about",
            ));
        }
        colleague(tx, me, *id, &field).await?;
        respondents.push(*id);
    }
    let record = RequestRecord {
        id: Uuid::now_v7(),
        requester_id: me,
        subject_id: new.subject_id,
        question,
        due_date: new.due_date,
        created_at: oneonone_persistence::now(),
        respondents: respondents
            .into_iter()
            .map(|p| (p, RespondentStatus::Pending.as_str().to_owned()))
            .collect(),
    };
    tx.insert_feedback_request(&record).await?;
    tx.append_events(
        by(actor),
        &[
            NewEvent::new("feedback_request.created", "feedback_request", record.id)
                .content()
                .data(json!({"respondents": record.respondents.len()})),
        ],
    )
    .await?;
    Ok(record)
}

/// The request, if the actor is asked by it; else not found (a request is its requester's,
/// its subject's and its respondents' business).
async fn asked(
    tx: &mut Tx<'_>,
    me: Uuid,
    request: Uuid,
    today: NaiveDate,
) -> Result<RequestRecord> {
    let r = tx.get_feedback_request(request).await?;
    let Some((_, status)) = r.respondents.iter().find(|(p, _)| *p == me) else {
        return Err(Error::NotFound);
    };
    if status != RespondentStatus::Pending.as_str() {
        return Err(Error::Conflict {
            code: "already_answered",
            detail: format!("you have {status} this request; once is all"),
        });
    }
    if r.due_date < today {
        return Err(Error::Conflict {
            code: "request_closed",
            detail: format!("this request was due on {}", r.due_date),
        });
    }
    Ok(r)
}

/// Answer a request, under your name or anonymously. An anonymous answer is stored with no
/// giver and no time, and reaches the recipient only together with at least two others.
/// Whether any anonymous answers were released by this one.
pub async fn answer(
    tx: &mut Tx<'_>,
    actor: &Actor,
    request: Uuid,
    kind: FeedbackKind,
    text: &str,
    anonymous: bool,
    today: NaiveDate,
) -> Result<Option<Uuid>> {
    let me = person(actor)?;
    if kind == FeedbackKind::Recognition {
        return Err(Error::invalid(
            "kind",
            "an answer is praise or constructive feedback",
        ));
    }
    let text = body(text, kind)?;
    let r = asked(tx, me, request, today).await?;
    let visibility = if r.requester_id == r.subject_id {
        Visibility::Recipient
    } else {
        // The manager asked: they read the answers with the person.
        Visibility::RecipientAndManager
    };
    let record = FeedbackRecord {
        // An anonymous answer's id is random, not time-ordered.
        id: if anonymous {
            Uuid::new_v4()
        } else {
            Uuid::now_v7()
        },
        kind: kind.as_str().to_owned(),
        giver_id: (!anonymous).then_some(me),
        recipient_id: r.subject_id,
        body: text,
        visibility: visibility.as_str().to_owned(),
        category: None,
        goal_id: None,
        request_id: Some(r.id),
        released: !anonymous,
        created_at: (!anonymous).then(oneonone_persistence::now),
        has_follow_up: false,
    };
    tx.insert_feedback(&record).await?;
    tx.settle_respondent(r.id, me, RespondentStatus::Answered.as_str())
        .await?;
    let mut events = vec![
        NewEvent::new("feedback_request.answered", "feedback_request", r.id)
            .content()
            .data(if anonymous {
                json!({})
            } else {
                json!({"feedback_id": record.id})
            }),
    ];
    let mut released = Vec::new();
    if anonymous {
        released = tx.release_anonymous(r.id, ANONYMOUS_RELEASE).await?;
    }
    tx.append_events(by(actor), &events).await?;
    if !released.is_empty() {
        // Released by nobody in particular: the answers, not who gave them.
        events = vec![
            NewEvent::new(
                "feedback_request.anonymous_released",
                "feedback_request",
                r.id,
            )
            .content()
            .data(json!({"released": released.len()})),
        ];
        tx.append_events(EventActor::default(), &events).await?;
    }
    Ok((!anonymous).then_some(record.id))
}

/// Decline a request.
pub async fn decline(
    tx: &mut Tx<'_>,
    actor: &Actor,
    request: Uuid,
    today: NaiveDate,
) -> Result<()> {
    let me = person(actor)?;
    let r = asked(tx, me, request, today).await?;
    tx.settle_respondent(r.id, me, RespondentStatus::Declined.as_str())
        .await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("feedback_request.declined", "feedback_request", r.id).content()],
    )
    .await?;
    Ok(())
}

/// Whether `viewer` reads `f` (the recipient's current manager looked up as needed).
pub async fn readable(
    db: &oneonone_persistence::Database,
    viewer: Uuid,
    f: &FeedbackRecord,
) -> Result<bool> {
    let visibility: Visibility = f.visibility.parse().unwrap_or(Visibility::Recipient);
    if !f.released && f.giver_id.is_none() {
        return Ok(false);
    }
    // The recipient's manager is looked up only when it can decide: not for the recipient or
    // the giver (every answer a requester reads would ask again).
    let party = viewer == f.recipient_id || f.giver_id == Some(viewer);
    let manager = if visibility == Visibility::RecipientAndManager && !party {
        match db.get_person(f.recipient_id).await {
            Ok(p) => p.manager_id,
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        }
    } else {
        None
    };
    Ok(feedback::readable(
        viewer,
        f.giver_id,
        f.recipient_id,
        manager,
        visibility,
    ))
}

/// The feedback, if `me` received it; not found for anyone else (only its recipient acts on
/// it, and what they make of it is theirs).
async fn received(tx: &mut Tx<'_>, me: Uuid, id: Uuid) -> Result<FeedbackRecord> {
    let f = tx.get_feedback(id).await?;
    if f.recipient_id == me && f.released {
        return Ok(f);
    }
    Err(Error::NotFound)
}

/// Bring a piece of feedback you received into a 1:1 of yours as a talking point: private to
/// you unless you share it; its text is the feedback's, its category `feedback`.
pub async fn bring_to_meeting(
    tx: &mut Tx<'_>,
    actor: &Actor,
    feedback: Uuid,
    check: crate::meetings::ParticipantCheck,
    title: Option<String>,
    private: bool,
) -> Result<(
    oneonone_domain::meeting::Meeting,
    oneonone_domain::agenda::AgendaItem,
)> {
    let me = person(actor)?;
    let (meeting, author) = check.resolve(tx, actor).await?;
    let f = received(tx, me, feedback).await?;
    let kind: FeedbackKind = f.kind.parse().unwrap_or(FeedbackKind::Praise);
    let from = match f.giver_id {
        Some(g) => match tx.get_person(g).await {
            Ok(p) => p.display_name,
            Err(StoreError::NotFound) => "a former colleague".to_owned(),
            Err(e) => return Err(e.into()),
        },
        None => "someone, anonymously".to_owned(),
    };
    let default_title = match kind {
        FeedbackKind::Constructive => format!("Feedback from {from}: what to do about it"),
        FeedbackKind::Praise | FeedbackKind::Recognition => format!("Feedback from {from}"),
    };
    let title: String = title
        .unwrap_or(default_title)
        .chars()
        .take(oneonone_domain::agenda::TITLE_MAX)
        .collect();
    let item = crate::meetings::add_agenda_item(
        tx,
        actor,
        &meeting,
        author,
        &crate::meetings::NewItem {
            title: Some(title),
            details: Some(f.body.clone()),
            category: Some(AgendaCategory::Feedback),
            private,
            ..Default::default()
        },
    )
    .await?;
    tx.add_follow_up(f.id, Some(item.id), None).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("feedback.acted_on", "feedback", f.id)
            .content()
            .private_to(Some(me))
            .data(json!({"agenda_item_id": item.id}))],
    )
    .await?;
    Ok((meeting, item))
}

/// Agree an action item on a piece of feedback you received, in a 1:1 of yours.
pub async fn agree_action(
    tx: &mut Tx<'_>,
    actor: &Actor,
    feedback: Uuid,
    meeting: &oneonone_domain::meeting::Meeting,
    assignee: Uuid,
    title: &str,
    due_date: Option<NaiveDate>,
) -> Result<oneonone_domain::action::ActionItem> {
    let me = person(actor)?;
    let f = received(tx, me, feedback).await?;
    let item =
        crate::meetings::create_action_item(tx, actor, meeting, assignee, me, title, due_date)
            .await?;
    tx.add_follow_up(f.id, None, Some(item.id)).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("feedback.acted_on", "feedback", f.id)
            .content()
            .private_to(Some(me))
            .data(json!({"action_item_id": item.id}))],
    )
    .await?;
    Ok(item)
}

/// The talking point a manager takes to each report's next 1:1 when eNPS results land.
pub fn survey_talking_point(survey: &str) -> String {
    format!("{survey} results: what is one thing that would make this a better place to work?")
}

/// What [`survey_to_team`] did.
#[derive(Debug, Default)]
pub struct TeamPoints {
    /// (report, meeting, talking point) for each report whose next 1:1 got the point.
    pub added: Vec<(Uuid, Uuid, Uuid)>,
    /// Reports with no upcoming 1:1 with the manager.
    pub without_meeting: Vec<Uuid>,
    /// Reports whose next 1:1 had the point already.
    pub already: Vec<Uuid>,
}

/// Take the learnings of a survey whose results landed to the team: a shared talking point from
/// the manager on each direct report's next 1:1 with them (`next`: report → that meeting, as read
/// before the change; each is checked again here). Twice adds nothing twice.
pub async fn survey_to_team(
    tx: &mut Tx<'_>,
    actor: &Actor,
    survey: Uuid,
    next: Vec<(Uuid, Option<Uuid>)>,
) -> Result<TeamPoints> {
    let me = person(actor)?;
    let s = tx.get_survey(survey).await?;
    if s.finalized_at.is_none() {
        return Err(Error::Conflict {
            code: "results_not_ready",
            detail: "the survey's results have not landed yet: take them to the team once it has \
                     closed"
                .into(),
        });
    }
    let title = survey_talking_point(&s.name);
    let mut done = TeamPoints::default();
    for (report, meeting) in next {
        let Some(meeting) = meeting else {
            done.without_meeting.push(report);
            continue;
        };
        let meeting = tx.get_meeting(meeting).await?;
        if meeting.manager_id != me
            || meeting.report_id != report
            || meeting.status != oneonone_domain::meeting::MeetingStatus::Scheduled
        {
            done.without_meeting.push(report);
            continue;
        }
        let agenda = tx.list_agenda(meeting.id, me, meeting.report_id).await?;
        if agenda.iter().any(|i| i.title == title && i.author_id == me) {
            done.already.push(report);
            continue;
        }
        let item = crate::meetings::add_agenda_item(
            tx,
            actor,
            &meeting,
            me,
            &crate::meetings::NewItem {
                title: Some(title.clone()),
                category: Some(AgendaCategory::Feedback),
                ..Default::default()
            },
        )
        .await?;
        done.added.push((report, meeting.id, item.id));
    }
    Ok(done)
}
