//! The seeded library: conversation starters by category and agenda templates for the common
//! kinds of 1:1. HR admins edit both afterwards; these are only the first contents.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::agenda::AgendaCategory::{self, *};

/// A conversation starter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Starter {
    pub id: Uuid,
    pub category: AgendaCategory,
    pub question: String,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An agenda template: a named list of talking points for a kind of meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub id: Uuid,
    /// Who made it, for a person's own template; `None` for the shared library.
    pub owner_id: Option<Uuid>,
    pub kind: String,
    pub name: String,
    pub items: Vec<(AgendaCategory, String)>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Questions that open a good 1:1, by topic. Drawn from what the managers who already held good
/// 1:1s ask (seed 000) and the HR guide's topics (seed 004): career growth, coaching, feedback in
/// both directions, wellbeing, expectations and priorities, blockers, recognition, company
/// direction.
pub const STARTERS: [(AgendaCategory, &str); 44] = [
    (
        Career,
        "Where do you want to be in two years, and what would help you get there?",
    ),
    (Career, "Which skills would you like to build next?"),
    (Career, "What kind of work energises you most right now?"),
    (Career, "Is there a project you would like to lead?"),
    (
        Career,
        "What does the next level look like to you, and what is missing?",
    ),
    (
        Coaching,
        "What is the hardest problem on your plate this week?",
    ),
    (
        Coaching,
        "Which decision are you stuck on, and what options do you see?",
    ),
    (
        Coaching,
        "What would you do differently if you started this project again?",
    ),
    (Coaching, "Where would a second pair of eyes help you most?"),
    (Coaching, "What have you learned since we last talked?"),
    (
        Feedback,
        "What is one thing I could do differently to support you better?",
    ),
    (Feedback, "How do you prefer to receive feedback from me?"),
    (
        Feedback,
        "Was there a moment recently when I got in your way?",
    ),
    (
        Feedback,
        "What feedback have you been holding back, for me or the team?",
    ),
    (
        Feedback,
        "Here is something I noticed you did well, and one thing to try next time.",
    ),
    (
        Feedback,
        "How clear was the feedback you got on your last piece of work?",
    ),
    (Wellbeing, "How are you, really?"),
    (
        Wellbeing,
        "How sustainable does your workload feel on a scale of 1 to 5?",
    ),
    (
        Wellbeing,
        "Is anything outside work affecting how you feel at work?",
    ),
    (Wellbeing, "When did you last take a proper break?"),
    (Wellbeing, "What drains your energy at work at the moment?"),
    (
        Goals,
        "What are your top three priorities until we next meet?",
    ),
    (Goals, "Do you know what is expected of you this quarter?"),
    (Goals, "Which of your goals is most at risk, and why?"),
    (
        Goals,
        "Is there anything you are working on that you think does not matter?",
    ),
    (
        Goals,
        "How does your work connect to the company's goals this quarter?",
    ),
    (Concerns, "What is blocking you, and who can unblock it?"),
    (
        Concerns,
        "Is there a process that slows you down for no good reason?",
    ),
    (
        Concerns,
        "Is anything bothering you about how the team works together?",
    ),
    (Concerns, "What worries you about the next few weeks?"),
    (Concerns, "Is there a conversation you are avoiding?"),
    (Recognition, "What are you most proud of since we last met?"),
    (
        Recognition,
        "Who on the team deserves recognition, and for what?",
    ),
    (
        Recognition,
        "Which of your wins did not get the attention it deserved?",
    ),
    (Recognition, "How do you like your work to be recognised?"),
    (
        Ideas,
        "What do you think about the company's direction this quarter?",
    ),
    (
        Ideas,
        "If you ran the company for a day, what would you change first?",
    ),
    (
        Ideas,
        "What are customers telling you that leadership should hear?",
    ),
    (
        Ideas,
        "What rumours or worries are going around that I should know about?",
    ),
    (Ideas, "Which idea of yours have we not tried yet?"),
    (
        StatusUpdate,
        "What changed since last time that I should know about?",
    ),
    (Coaching, "What would make this 1:1 more useful for you?"),
    (Goals, "What does success look like for you this month?"),
    (
        Feedback,
        "What is one thing the team should start, stop or continue?",
    ),
];

/// A seeded template: (kind, name, talking points as (category, title)).
pub type SeedTemplate = (
    &'static str,
    &'static str,
    &'static [(AgendaCategory, &'static str)],
);

/// The seeded agenda templates.
pub const TEMPLATES: [SeedTemplate; 6] = [
    (
        "weekly",
        "Weekly 1:1",
        &[
            (Wellbeing, "How are you doing?"),
            (Goals, "Priorities since last time"),
            (Concerns, "Blockers"),
            (Feedback, "Feedback, both ways"),
            (Other, "Open action items"),
        ],
    ),
    (
        "first_one_on_one",
        "First 1:1 with a new manager",
        &[
            (Other, "How we will run our 1:1s (cadence, agenda, notes)"),
            (Career, "Your background and what motivates you"),
            (Feedback, "How you like to give and receive feedback"),
            (Goals, "What is expected of you in the first months"),
            (Other, "Questions for me"),
        ],
    ),
    (
        "career",
        "Career conversation",
        &[
            (Career, "Where you want to be in two to five years"),
            (Career, "Skills to build, and how"),
            (Career, "Opportunities on the team to stretch"),
            (Goals, "One development goal for this quarter"),
        ],
    ),
    (
        "skip_level",
        "Skip-level 1:1",
        &[
            (Wellbeing, "How is the team doing?"),
            (Ideas, "What would you change about how we work?"),
            (Ideas, "Questions about the company's direction"),
            (Feedback, "How can your manager and I support you better?"),
        ],
    ),
    (
        "peer",
        "Peer 1:1",
        &[
            (StatusUpdate, "What each of us is working on"),
            (Concerns, "Where our work depends on each other"),
            (Ideas, "Something we could learn from each other"),
        ],
    ),
    (
        "new_hire_30_60_90",
        "New hire 30/60/90",
        &[
            (Wellbeing, "How is onboarding going?"),
            (Goals, "The 30/60/90-day goals: where you stand"),
            (Concerns, "What is unclear or missing"),
            (Feedback, "Early feedback, both ways"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_library_is_broad_enough() {
        assert!(STARTERS.len() >= 40);
        let categories: HashSet<_> = STARTERS.iter().map(|(c, _)| *c).collect();
        for needed in [
            Career,
            Coaching,
            Feedback,
            Wellbeing,
            Goals,
            Concerns,
            Recognition,
            Ideas,
        ] {
            assert!(categories.contains(&needed), "{needed} missing");
        }
        let texts: HashSet<_> = STARTERS.iter().map(|(_, q)| *q).collect();
        assert_eq!(texts.len(), STARTERS.len(), "duplicate starters");
        assert_eq!(TEMPLATES.len(), 6);
    }
}
