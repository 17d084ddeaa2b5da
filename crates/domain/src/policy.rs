//! Who may do what. Plain functions over the acting principal; handlers ask, never decide.
//!
//! | action | employee | HR admin | API token |
//! |---|---|---|---|
//! | read the directory (safe fields) | yes | yes | `people:read` |
//! | see HR fields (`external_id`) | no | yes | `people:read` |
//! | create, change, deactivate, import people | no | yes | `people:write` |
//! | grant or remove HR admin | no | yes | no |
//! | edit own display name and title | yes (self) | yes | — |
//! | set someone's initial password | no | yes | no |
//! | change own password | yes | yes | — |
//! | manage API tokens | no | yes | no |
//! | manage webhook subscriptions, see their deliveries | no | yes | `webhooks:manage` |
//! | read a public goal | yes | yes | `goals:read` |
//! | read a private goal | owner and their manager chain | yes | `goals:read` |
//! | set, change, update a goal | owner and their manager chain | own only | no |
//! | launch a check-in cycle | no | yes | no |
//! | a check-in's content | the person and their manager | no (403) | no (403) |
//! | a cycle's completion (counts) | no | yes | `reports:read` |
//!
//! # Private means private
//!
//! A private talking point, a private note and a rating are their author's (rater's) alone, on
//! every path: API, lists, the meeting page, the event log and the changes feed, exports,
//! reports, emails, webhooks. Nobody else may read them, **nor learn that they exist**: nothing
//! another person can see may depend on them. When you write a feature that touches them, check
//! each of these against the other participant, HR and every token scope:
//! - counts, totals and "has content" flags count only what the viewer may see;
//! - positions are dense over what the viewer sees ([`crate::agenda::dense_positions`]);
//!   ordering and suggestions (starters) use only what the viewer may know of;
//! - a decision about shared records (which upcoming meetings a pause removes, whether a meeting
//!   may go) rests on shared content alone; private content then moves with its author's access
//!   kept, never deleted;
//! - writing private content bumps no shared version, ETag or `updated_at`;
//! - events about private content carry no text and reach their author alone (`private_to`);
//! - refusals are the same as for what does not exist (404, or the same 422 as an unknown id);
//! - ratings reach others only as aggregates at or above the minimum group size.

use crate::person::PersonId;
use crate::scope::Scope;

/// The principal behind a request, as authentication established it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person signed in with a password (a JWT).
    Person { id: PersonId, hr_admin: bool },
    /// An integration using an API token created by an HR admin.
    Integration {
        token_id: uuid::Uuid,
        scopes: Vec<Scope>,
    },
}

/// The decision on one request: allowed, or refused with a reason a client may read.
pub type Decision = Result<(), Denied>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

impl Actor {
    pub fn person_id(&self) -> Option<PersonId> {
        match self {
            Actor::Person { id, .. } => Some(*id),
            Actor::Integration { .. } => None,
        }
    }

    pub fn is_hr_admin(&self) -> bool {
        matches!(self, Actor::Person { hr_admin: true, .. })
    }

    fn has_scope(&self, wanted: Scope) -> bool {
        match self {
            Actor::Integration { scopes, .. } => scopes.iter().any(|s| s.grants(wanted)),
            Actor::Person { .. } => false,
        }
    }

    /// A key that identifies the principal, for idempotency records and rate limits.
    pub fn key(&self) -> String {
        match self {
            Actor::Person { id, .. } => format!("person:{id}"),
            Actor::Integration { token_id, .. } => format!("token:{token_id}"),
        }
    }
}

/// Reading the directory: everyone signed in, and tokens with `people:read`.
pub fn read_directory(actor: &Actor) -> Decision {
    match actor {
        Actor::Person { .. } => Ok(()),
        _ if actor.has_scope(Scope::PeopleRead) => Ok(()),
        _ => Err(Denied("this token lacks the people:read scope")),
    }
}

/// HR-only fields of a person (the HR system's `external_id`).
pub fn see_hr_fields(actor: &Actor) -> bool {
    actor.is_hr_admin() || actor.has_scope(Scope::PeopleRead)
}

/// Creating, changing any field of, deactivating and importing people.
pub fn manage_people(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::PeopleWrite) {
        Ok(())
    } else {
        Err(Denied(
            "only HR admins and tokens with people:write manage people",
        ))
    }
}

/// Granting or taking away HR admin: an HR admin, in person. No token does it, not even one
/// with `people:write` (the HR system's sync): that would make a sync token a path to full
/// control (an HR admin mints tokens of every scope).
pub fn grant_hr_admin(actor: &Actor) -> Decision {
    match actor {
        Actor::Person { hr_admin: true, .. } => Ok(()),
        _ => Err(Denied(
            "only an HR admin (a person, not an API token) grants or removes HR admin",
        )),
    }
}

/// The fields a person may change on their own record.
pub const SELF_EDITABLE_FIELDS: [&str; 2] = ["display_name", "title"];

/// Changing `target`'s record touching `fields`.
pub fn edit_person(actor: &Actor, target: PersonId, fields: &[&str]) -> Decision {
    if manage_people(actor).is_ok() {
        return Ok(());
    }
    if actor.person_id() == Some(target) {
        if fields.iter().all(|f| SELF_EDITABLE_FIELDS.contains(f)) {
            return Ok(());
        }
        return Err(Denied(
            "you may change only your display_name and title; ask an HR admin for the rest",
        ));
    }
    Err(Denied("only HR admins change other people's records"))
}

/// Setting the password of `target` without knowing the current one.
pub fn set_password(actor: &Actor, target: PersonId) -> Decision {
    match actor {
        Actor::Person { hr_admin: true, .. } => Ok(()),
        Actor::Person { id, .. } if *id == target => Err(Denied(
            "change your own password with PUT /api/v1/me/password and your current password",
        )),
        _ => Err(Denied("only HR admins set passwords")),
    }
}

/// Changing a talking point's `fields`: its author anything; the other participant only what is
/// not the author's (checking it off, its place).
pub fn edit_agenda_item(viewer: PersonId, author: PersonId, fields: &[&str]) -> Decision {
    if viewer == author
        || !fields
            .iter()
            .any(|f| crate::agenda::AUTHOR_ONLY_FIELDS.contains(f))
    {
        Ok(())
    } else {
        Err(Denied(
            "only the author changes a talking point's text, category or privacy; you can check it off",
        ))
    }
}

/// Removing a talking point: its author.
pub fn remove_agenda_item(viewer: PersonId, author: PersonId) -> Decision {
    if viewer == author {
        Ok(())
    } else {
        Err(Denied("only the author removes a talking point"))
    }
}

/// Reading the conversation-starter library and agenda templates: people, not integrations.
pub fn read_library(actor: &Actor) -> Decision {
    match actor {
        Actor::Person { .. } => Ok(()),
        Actor::Integration { .. } => Err(Denied("the library is for people, not integrations")),
    }
}

/// Curating the shared library (starters, everyone's templates): HR admins.
pub fn curate_library(actor: &Actor) -> Decision {
    if actor.is_hr_admin() {
        Ok(())
    } else {
        Err(Denied("only HR admins edit the library"))
    }
}

/// Seeing and using an agenda template: the shared library everyone signed in; a person's own
/// template its owner (and HR admins, who look after every template). Others must not learn it
/// exists.
pub fn see_template(actor: &Actor, owner: Option<PersonId>) -> bool {
    match owner {
        None => actor.person_id().is_some(),
        Some(o) => actor.is_hr_admin() || actor.person_id() == Some(o),
    }
}

/// Changing or deleting an agenda template: HR admins any, a person their own.
pub fn edit_template(actor: &Actor, owner: Option<PersonId>) -> Decision {
    if actor.is_hr_admin() || (owner.is_some() && actor.person_id() == owner) {
        Ok(())
    } else {
        Err(Denied(
            "only HR admins change the shared templates; people change their own",
        ))
    }
}

/// What an actor may follow in the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeView {
    /// The person reading: their own 1:1 records, content included, and their private ones.
    pub person: Option<PersonId>,
    /// Changes of people and the library (the directory).
    pub directory: bool,
    /// The metadata of every 1:1 (who, when, status), never content.
    pub all_meetings: bool,
    /// Changes of goals: public ones, and for a person the private goals of their own and of
    /// their direct reports.
    pub goals: bool,
}

/// Following the change log: everyone signed in (the directory, their own 1:1s, goals; HR admins
/// also every 1:1's metadata); tokens with `people:read` (the directory), `meetings:read` (every
/// 1:1's metadata) and/or `goals:read` (changes of public goals).
pub fn follow_changes(actor: &Actor) -> Result<ChangeView, Denied> {
    match actor {
        Actor::Person { id, hr_admin } => Ok(ChangeView {
            person: Some(*id),
            directory: true,
            all_meetings: *hr_admin,
            goals: true,
        }),
        Actor::Integration { .. } => {
            let view = ChangeView {
                person: None,
                directory: actor.has_scope(Scope::PeopleRead),
                all_meetings: actor.has_scope(Scope::MeetingsRead),
                goals: actor.has_scope(Scope::GoalsRead),
            };
            if view.directory || view.all_meetings || view.goals {
                Ok(view)
            } else {
                Err(Denied(
                    "following changes needs the people:read, meetings:read or goals:read scope",
                ))
            }
        }
    }
}

/// Creating, listing and revoking API tokens: HR admins, signed in as themselves.
pub fn manage_tokens(actor: &Actor) -> Decision {
    if actor.is_hr_admin() {
        Ok(())
    } else {
        Err(Denied("only HR admins manage API tokens"))
    }
}

/// Webhook subscriptions and their delivery logs: HR admins, and tokens with the dedicated
/// `webhooks:manage` scope (what a webhook carries is metadata, as `meetings:read` sees).
pub fn manage_webhooks(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::WebhooksManage) {
        Ok(())
    } else {
        Err(Denied(
            "only HR admins and tokens with webhooks:manage manage webhooks",
        ))
    }
}

/// A chat destination (Slack, Teams) of `owner`: a person's own is theirs alone (HR does not
/// post someone's reminders anywhere); a team's is its manager's, or HR's setting it up for
/// them. Never a token's: the messages are for people.
pub fn manage_chat(actor: &Actor, audience: crate::chat::Audience, owner: PersonId) -> Decision {
    let me = actor.person_id() == Some(owner);
    match audience {
        crate::chat::Audience::Person if me => Ok(()),
        crate::chat::Audience::Team if me || actor.is_hr_admin() => Ok(()),
        crate::chat::Audience::Person => Err(Denied(
            "a person's own chat destination is theirs alone to set",
        )),
        crate::chat::Audience::Team => Err(Denied(
            "a team's chat destination is its manager's or HR's to set",
        )),
    }
}

/// Meeting metadata (who, when, status, kind): the two participants, HR admins, and tokens with
/// `meetings:read`. Everyone else must not learn that the meeting exists (404).
pub fn see_meeting(actor: &Actor, participants: [PersonId; 2]) -> bool {
    actor
        .person_id()
        .is_some_and(|id| participants.contains(&id))
        || see_all_meetings(actor)
}

/// HR admins and `meetings:read` tokens see the metadata of every meeting (never its content).
pub fn see_all_meetings(actor: &Actor) -> bool {
    actor.is_hr_admin() || actor.has_scope(Scope::MeetingsRead)
}

/// Creating a series or meeting between two people: either of them, or an integration with
/// `meetings:write`, or an HR admin setting up the program.
pub fn schedule_meeting(actor: &Actor, participants: [PersonId; 2]) -> Decision {
    if actor
        .person_id()
        .is_some_and(|id| participants.contains(&id))
        || actor.is_hr_admin()
        || actor.has_scope(Scope::MeetingsWrite)
    {
        Ok(())
    } else {
        Err(Denied("only the two participants schedule their 1:1s"))
    }
}

/// Completing, skipping, cancelling or rescheduling a meeting: the participants and
/// `meetings:write` integrations. HR admins see meetings but do not run them.
pub fn run_meeting(actor: &Actor, participants: [PersonId; 2]) -> Decision {
    if actor
        .person_id()
        .is_some_and(|id| participants.contains(&id))
        || actor.has_scope(Scope::MeetingsWrite)
    {
        Ok(())
    } else {
        Err(Denied("only the participants change a meeting"))
    }
}

/// Who may read and write the content of a meeting (agenda, notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentAccess {
    /// A participant, as this person.
    Participant(PersonId),
    /// May know the meeting exists (HR admins, `meetings:read` tokens) but not its content: 403.
    MetadataOnly,
    /// Must not learn the meeting exists: 404.
    Hidden,
}

/// Meeting content belongs to the two participants; private content to its author alone.
pub fn meeting_content(actor: &Actor, participants: [PersonId; 2]) -> ContentAccess {
    match actor.person_id() {
        Some(id) if participants.contains(&id) => ContentAccess::Participant(id),
        _ if see_all_meetings(actor) => ContentAccess::MetadataOnly,
        _ => ContentAccess::Hidden,
    }
}

/// A rating of a meeting is its rater's alone: the other participant never reads it, not even
/// the report's `expectations_clear` (it exists to be honest). Others learn ratings only as
/// aggregates at or above the minimum group size.
pub fn read_rating(viewer: PersonId, rater: PersonId) -> bool {
    viewer == rater
}

/// A goal: a public one to everyone in the organisation; a private one to its owner, the
/// owner's manager chain (`owner_chain`: the managers above the owner, nearest first), HR admins
/// and tokens with `goals:read`. Everyone else must not learn that it exists (404).
pub fn see_goal(
    actor: &Actor,
    owner: PersonId,
    owner_chain: &[PersonId],
    visibility: crate::goal::GoalVisibility,
) -> bool {
    if see_all_goals(actor) {
        return true;
    }
    match actor.person_id() {
        Some(_) if visibility == crate::goal::GoalVisibility::Public => true,
        Some(id) => id == owner || owner_chain.contains(&id),
        None => false,
    }
}

/// HR admins and tokens with `goals:read` read every goal, private ones included (they set
/// none).
pub fn see_all_goals(actor: &Actor) -> bool {
    actor.is_hr_admin() || actor.has_scope(Scope::GoalsRead)
}

/// Creating a goal for `owner`, changing it and updating its progress: the owner and their
/// manager chain. HR admins read every goal but do not set people's goals.
pub fn edit_goal(actor: &Actor, owner: PersonId, owner_chain: &[PersonId]) -> Decision {
    match actor.person_id() {
        Some(id) if id == owner || owner_chain.contains(&id) => Ok(()),
        _ => Err(Denied(
            "only the goal's owner and their managers set and update it",
        )),
    }
}

/// Launching a check-in cycle and reading its completion (counts, never content): HR admins;
/// completion also `reports:read` tokens.
pub fn launch_checkins(actor: &Actor) -> Decision {
    if actor.is_hr_admin() {
        Ok(())
    } else {
        Err(Denied("only HR admins launch check-in cycles"))
    }
}

/// Creating and closing eNPS surveys: HR admins.
pub fn run_surveys(actor: &Actor) -> Decision {
    if actor.is_hr_admin() {
        Ok(())
    } else {
        Err(Denied("only HR admins run eNPS surveys"))
    }
}

/// Reading surveys (what they ask, when, how many answered): everyone signed in, and
/// `reports:read` tokens.
pub fn see_surveys(actor: &Actor) -> Decision {
    match actor {
        Actor::Person { .. } => Ok(()),
        Actor::Integration { .. } if actor.has_scope(Scope::ReportsRead) => Ok(()),
        Actor::Integration { .. } => Err(Denied("eNPS surveys need the reports:read scope")),
    }
}

/// Which eNPS results an actor reads (always aggregates of groups at or above the survey's
/// minimum size; nobody reads an answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsScope {
    /// The organisation, every department and every subtree: HR admins, `reports:read` tokens.
    Everything,
    /// A manager: their own subtree and the subtrees within it.
    Below(PersonId),
}

pub fn survey_results(actor: &Actor) -> Result<ResultsScope, Denied> {
    match actor {
        _ if actor.is_hr_admin() || actor.has_scope(Scope::ReportsRead) => {
            Ok(ResultsScope::Everything)
        }
        Actor::Person { id, .. } => Ok(ResultsScope::Below(*id)),
        Actor::Integration { .. } => Err(Denied("eNPS results need the reports:read scope")),
    }
}

/// Feedback activity in counts (never text): HR admins and `reports:read` tokens.
pub fn feedback_counts(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::ReportsRead) {
        Ok(())
    } else {
        Err(Denied(
            "feedback counts are for HR admins and reports:read tokens",
        ))
    }
}

/// Exports for HR systems (meeting and action-item metadata in bulk): HR admins and
/// `reports:read` tokens.
pub fn export(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::ReportsRead) {
        Ok(())
    } else {
        Err(Denied("exports are for HR admins and reports:read tokens"))
    }
}

/// Whose reports (the attention list, the program report) an actor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportScope {
    /// The organisation and any slice of it: HR admins, `reports:read` tokens.
    Everything,
    /// A person's own: the 1:1s they lead and their own team (the program report: their
    /// subtree).
    Own(PersonId),
}

/// The attention list and the program report: HR admins and `reports:read` tokens for any
/// slice; everyone else their own (a manager's pairs, team and subtree; for someone without
/// reports, nothing).
pub fn read_reports(actor: &Actor) -> Result<ReportScope, Denied> {
    match actor {
        _ if actor.is_hr_admin() || actor.has_scope(Scope::ReportsRead) => {
            Ok(ReportScope::Everything)
        }
        Actor::Person { id, .. } => Ok(ReportScope::Own(*id)),
        Actor::Integration { .. } => Err(Denied("reports need the reports:read scope")),
    }
}

/// Recording (or removing) an escalation or a PIP: HR admins, as people.
pub fn record_escalation(actor: &Actor) -> Decision {
    match actor {
        Actor::Person { hr_admin: true, .. } => Ok(()),
        _ => Err(Denied("escalations are recorded by HR admins")),
    }
}

/// Reading escalation records and the report on them: HR admins, and tokens with the dedicated
/// `escalations:read` scope (no other scope grants it). Managers never, not even for their team.
pub fn read_escalations(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::EscalationsRead) {
        Ok(())
    } else {
        Err(Denied(
            "escalation records are for HR admins and escalations:read tokens",
        ))
    }
}

/// Reading a cycle and its completion counts.
pub fn see_checkin_cycles(actor: &Actor) -> Decision {
    if actor.is_hr_admin() || actor.has_scope(Scope::ReportsRead) {
        Ok(())
    } else {
        Err(Denied(
            "check-in cycles and their completion are for HR admins and reports:read tokens",
        ))
    }
}

/// A check-in's content belongs to its person and their manager (the manager's manager does
/// not read it). HR admins and `reports:read` tokens know check-ins exist (they count them) but
/// do not read them (403); everyone else must not learn of one (404).
pub fn checkin_content(actor: &Actor, person: PersonId, manager: PersonId) -> ContentAccess {
    match actor.person_id() {
        Some(id) if id == person || id == manager => ContentAccess::Participant(id),
        _ if see_checkin_cycles(actor).is_ok() => ContentAccess::MetadataOnly,
        _ => ContentAccess::Hidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn only_an_hr_admin_in_person_grants_hr_admin() {
        let hr = Actor::Person {
            id: Uuid::now_v7(),
            hr_admin: true,
        };
        let sync = Actor::Integration {
            token_id: Uuid::now_v7(),
            scopes: vec![Scope::PeopleWrite, Scope::PeopleRead],
        };
        assert!(grant_hr_admin(&hr).is_ok());
        assert!(grant_hr_admin(&sync).is_err());
        assert!(grant_hr_admin(&employee()).is_err());
    }

    #[test]
    fn a_rating_is_its_raters_alone() {
        let (rater, other) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(read_rating(rater, rater));
        assert!(!read_rating(other, rater));
    }

    fn employee() -> Actor {
        Actor::Person {
            id: Uuid::now_v7(),
            hr_admin: false,
        }
    }
    fn hr() -> Actor {
        Actor::Person {
            id: Uuid::now_v7(),
            hr_admin: true,
        }
    }
    fn token(scopes: &[Scope]) -> Actor {
        Actor::Integration {
            token_id: Uuid::now_v7(),
            scopes: scopes.to_vec(),
        }
    }

    #[test]
    fn talking_points_are_their_authors_but_either_checks_them_off() {
        let (author, other) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(edit_agenda_item(author, author, &["title", "private"]).is_ok());
        assert!(edit_agenda_item(other, author, &["checked"]).is_ok());
        assert!(edit_agenda_item(other, author, &["checked", "title"]).is_err());
        assert!(remove_agenda_item(author, author).is_ok());
        assert!(remove_agenda_item(other, author).is_err());
    }

    #[test]
    fn surveys_are_run_by_hr_and_results_read_as_aggregates_by_slice() {
        let e = employee();
        assert!(run_surveys(&hr()).is_ok() && run_surveys(&e).is_err());
        assert!(run_surveys(&token(&[Scope::ReportsRead])).is_err());
        assert!(see_surveys(&e).is_ok() && see_surveys(&token(&[Scope::ReportsRead])).is_ok());
        assert!(see_surveys(&token(&[Scope::PeopleRead])).is_err());
        assert_eq!(survey_results(&hr()), Ok(ResultsScope::Everything));
        assert_eq!(
            survey_results(&token(&[Scope::ReportsRead])),
            Ok(ResultsScope::Everything)
        );
        assert_eq!(
            survey_results(&e),
            Ok(ResultsScope::Below(e.person_id().unwrap_or_default()))
        );
        assert!(survey_results(&token(&[Scope::GoalsRead])).is_err());
    }

    #[test]
    fn the_library_is_read_by_people_and_curated_by_hr() {
        let e = employee();
        assert!(read_library(&e).is_ok());
        assert!(read_library(&token(&[Scope::PeopleRead])).is_err());
        assert!(curate_library(&hr()).is_ok() && curate_library(&e).is_err());
        assert!(edit_template(&e, e.person_id()).is_ok());
        assert!(edit_template(&e, None).is_err());
        assert!(edit_template(&e, Some(Uuid::now_v7())).is_err());
        assert!(edit_template(&hr(), Some(Uuid::now_v7())).is_ok());
        assert!(edit_template(&hr(), None).is_ok());
        assert!(see_template(&e, None) && see_template(&e, e.person_id()));
        assert!(!see_template(&e, Some(Uuid::now_v7())));
        assert!(see_template(&hr(), Some(Uuid::now_v7())));
        assert!(!see_template(&token(&[Scope::PeopleRead]), None));
    }

    #[test]
    fn the_change_log_shows_each_actor_its_share() {
        let e = employee();
        let view = follow_changes(&e).expect("people follow");
        assert_eq!(view.person, e.person_id());
        assert!(view.directory && !view.all_meetings);
        assert!(follow_changes(&hr()).expect("hr").all_meetings);
        let t = follow_changes(&token(&[Scope::MeetingsRead])).expect("meetings token");
        assert!(t.all_meetings && !t.directory && t.person.is_none());
        let t = follow_changes(&token(&[Scope::PeopleWrite])).expect("people token");
        assert!(t.directory && !t.all_meetings);
        assert!(follow_changes(&token(&[Scope::ReportsRead])).is_err());
    }

    #[test]
    fn directory_is_open_to_people_and_scoped_tokens() {
        assert!(read_directory(&employee()).is_ok());
        assert!(read_directory(&token(&[Scope::PeopleRead])).is_ok());
        assert!(read_directory(&token(&[Scope::PeopleWrite])).is_ok());
        assert!(read_directory(&token(&[Scope::MeetingsRead])).is_err());
    }

    #[test]
    fn only_hr_and_write_tokens_manage_people() {
        assert!(manage_people(&hr()).is_ok());
        assert!(manage_people(&token(&[Scope::PeopleWrite])).is_ok());
        assert!(manage_people(&employee()).is_err());
        assert!(manage_people(&token(&[Scope::PeopleRead])).is_err());
    }

    #[test]
    fn a_person_edits_a_few_own_fields_only() {
        let me = employee();
        let id = me.person_id().expect("person");
        assert!(edit_person(&me, id, &["display_name", "title"]).is_ok());
        assert!(edit_person(&me, id, &["manager_id"]).is_err());
        assert!(edit_person(&me, id, &["hr_admin"]).is_err());
        assert!(edit_person(&me, Uuid::now_v7(), &["title"]).is_err());
        assert!(edit_person(&hr(), id, &["manager_id"]).is_ok());
    }

    #[test]
    fn hr_fields_and_tokens() {
        assert!(!see_hr_fields(&employee()));
        assert!(see_hr_fields(&hr()));
        assert!(see_hr_fields(&token(&[Scope::PeopleRead])));
        assert!(manage_tokens(&hr()).is_ok());
        assert!(manage_tokens(&employee()).is_err());
        assert!(manage_tokens(&token(&Scope::ALL)).is_err());
    }

    #[test]
    fn meetings_belong_to_their_participants() {
        let a = employee();
        let b = employee();
        let pair = [a.person_id().expect("a"), b.person_id().expect("b")];
        let outsider = employee();
        assert!(see_meeting(&a, pair) && see_meeting(&b, pair));
        assert!(see_meeting(&hr(), pair));
        assert!(!see_meeting(&outsider, pair));
        assert!(see_meeting(&token(&[Scope::MeetingsRead]), pair));
        assert!(!see_meeting(&token(&[Scope::PeopleRead]), pair));
        assert!(schedule_meeting(&a, pair).is_ok());
        assert!(schedule_meeting(&outsider, pair).is_err());
        assert!(run_meeting(&b, pair).is_ok());
        assert!(run_meeting(&hr(), pair).is_err());
        assert!(run_meeting(&token(&[Scope::MeetingsWrite]), pair).is_ok());
    }

    #[test]
    fn content_is_for_participants_only() {
        let a = employee();
        let pair = [a.person_id().expect("a"), Uuid::now_v7()];
        assert_eq!(
            meeting_content(&a, pair),
            ContentAccess::Participant(pair[0])
        );
        assert_eq!(meeting_content(&hr(), pair), ContentAccess::MetadataOnly);
        assert_eq!(
            meeting_content(&token(&Scope::ALL), pair),
            ContentAccess::MetadataOnly
        );
        assert_eq!(meeting_content(&employee(), pair), ContentAccess::Hidden);
        assert_eq!(
            meeting_content(&token(&[Scope::PeopleRead]), pair),
            ContentAccess::Hidden
        );
    }

    #[test]
    fn passwords() {
        let me = employee();
        let id = me.person_id().expect("person");
        assert!(set_password(&hr(), id).is_ok());
        assert!(set_password(&me, id).is_err());
        assert!(set_password(&token(&Scope::ALL), id).is_err());
    }

    #[test]
    fn goals_belong_to_their_owner_and_manager_chain() {
        use crate::goal::GoalVisibility::{Private, Public};
        let person = |hr_admin| Actor::Person {
            id: Uuid::now_v7(),
            hr_admin,
        };
        let (owner, manager, skip, peer, hr) = (
            person(false),
            person(false),
            person(false),
            person(false),
            person(true),
        );
        let id = |a: &Actor| a.person_id().unwrap_or_default();
        let chain = [id(&manager), id(&skip)];
        for reader in [&owner, &manager, &skip, &hr] {
            assert!(see_goal(reader, id(&owner), &chain, Private));
        }
        assert!(!see_goal(&peer, id(&owner), &chain, Private));
        assert!(see_goal(&peer, id(&owner), &chain, Public));
        let token = |scopes: Vec<Scope>| Actor::Integration {
            token_id: Uuid::now_v7(),
            scopes,
        };
        let others = token(vec![
            Scope::PeopleWrite,
            Scope::MeetingsWrite,
            Scope::ReportsRead,
        ]);
        assert!(!see_goal(&others, id(&owner), &chain, Public));
        let goals = token(vec![Scope::GoalsRead]);
        assert!(see_goal(&goals, id(&owner), &chain, Private));
        let token = token(Scope::ALL.to_vec());
        for editor in [&owner, &manager, &skip] {
            assert!(edit_goal(editor, id(&owner), &chain).is_ok());
        }
        for other in [&peer, &hr, &token] {
            assert!(edit_goal(other, id(&owner), &chain).is_err());
        }
    }
}
