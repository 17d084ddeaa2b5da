//! `oneonone seed --demo`: a small, realistic organisation to explore the API with. Running it
//! again changes nothing.

use oneonone_domain::Actor;
use oneonone_domain::goal::{GoalDraft, GoalKind, GoalStatus, GoalVisibility, Measure, Reading};
use oneonone_domain::person::{PersonDraft, PersonFields};
use oneonone_persistence::{Database, ImportRow};
use oneonone_usecases as usecases;

use crate::auth::hash_password;

/// The demo password of every demo login.
pub const DEMO_PASSWORD: &str = "oneonone-demo-2026";

/// (external id, name, title, department, manager's external id)
const PEOPLE: [(&str, &str, &str, &str, Option<&str>); 20] = [
    (
        "demo-001",
        "Ada Lovelace",
        "Chief Executive Officer",
        "Leadership",
        None,
    ),
    (
        "demo-002",
        "Hannah Reyes",
        "Head of People",
        "People",
        Some("demo-001"),
    ),
    (
        "demo-003",
        "Grace Hopper",
        "VP Engineering",
        "Engineering",
        Some("demo-001"),
    ),
    (
        "demo-004",
        "Linus Okafor",
        "Engineering Manager, Platform",
        "Engineering",
        Some("demo-003"),
    ),
    (
        "demo-005",
        "Margaret Chen",
        "Engineering Manager, Apps",
        "Engineering",
        Some("demo-003"),
    ),
    (
        "demo-006",
        "Sam Novak",
        "Head of Sales",
        "Sales",
        Some("demo-001"),
    ),
    (
        "demo-007",
        "Priya Raman",
        "Senior Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-008",
        "Tom Becker",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-009",
        "Aisha Bello",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-010",
        "Jonas Berg",
        "Site Reliability Engineer",
        "Engineering",
        Some("demo-004"),
    ),
    (
        "demo-011",
        "Lucia Moreno",
        "Senior Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-012",
        "Kenji Sato",
        "Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-013",
        "Fatima Zahra",
        "Product Designer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-014",
        "Oliver Grant",
        "Engineer",
        "Engineering",
        Some("demo-005"),
    ),
    (
        "demo-015",
        "Mia Johansson",
        "Account Executive",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-016",
        "Diego Alvarez",
        "Account Executive",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-017",
        "Chloe Martin",
        "Sales Development Rep",
        "Sales",
        Some("demo-006"),
    ),
    (
        "demo-018",
        "Noah Williams",
        "People Partner",
        "People",
        Some("demo-002"),
    ),
    (
        "demo-019",
        "Emma Schulz",
        "Recruiter",
        "People",
        Some("demo-002"),
    ),
    (
        "demo-020",
        "Ravi Patel",
        "Engineer",
        "Engineering",
        Some("demo-004"),
    ),
];

/// The logins `make run` prints: (email, what they show).
pub const DEMO_LOGINS: [(&str, &str); 3] = [
    ("hannah.reyes@example.com", "HR admin"),
    ("grace.hopper@example.com", "manager of managers"),
    ("priya.raman@example.com", "employee"),
];

fn email_of(name: &str) -> String {
    format!("{}@example.com", name.to_lowercase().replace(' ', "."))
}

/// Create or refresh the demo organisation.
pub async fn demo(db: &Database) -> anyhow::Result<()> {
    let mut rows = Vec::with_capacity(PEOPLE.len());
    for (ext, name, title, department, manager) in PEOPLE {
        let fields = PersonFields {
            email: email_of(name),
            display_name: name.into(),
            title: Some(title.into()),
            department: Some(department.into()),
            external_id: Some(ext.into()),
            active: true,
            ..PersonFields::default()
        };
        let draft = PersonDraft::parse(&fields, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.push(ImportRow {
            draft,
            manager_external_id: manager.map(str::to_owned),
        });
    }
    let outcome = db
        .transact(move |tx| {
            Box::pin(async move { usecases::people::seed::import(tx, &rows).await })
        })
        .await?;
    anyhow::ensure!(
        outcome.applied,
        "the demo organisation did not import: {:?}",
        outcome.rows
    );
    for (email, role) in DEMO_LOGINS {
        let id = db
            .person_id_by_email(email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo person {email} missing"))?;
        let hash = match db.password_hash(id).await? {
            Some(_) => None,
            None => Some(
                hash_password(DEMO_PASSWORD.to_owned())
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            ),
        };
        let (email, hr_admin) = (email.to_owned(), role == "HR admin");
        db.transact(move |tx| {
            Box::pin(async move { usecases::people::seed::login(tx, &email, hr_admin, hash).await })
        })
        .await?;
    }
    demo_goals(db).await?;
    demo_checkins(db).await?;
    demo_enps(db).await
}

/// The demo's two eNPS surveys, before and after the 1:1 program's launch, answered by everyone
/// and closed, so the results, the trend and the change against the baseline are there to read.
async fn demo_enps(db: &Database) -> anyhow::Result<()> {
    if !db.list_surveys(None, false, None, 1).await?.is_empty() {
        return Ok(());
    }
    let hr = db
        .person_id_by_email(&email_of("Hannah Reyes"))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo HR admin is missing"))?;
    let mut people = Vec::with_capacity(PEOPLE.len());
    for (_, name, ..) in PEOPLE {
        if let Some(id) = db.person_id_by_email(&email_of(name)).await? {
            people.push(id);
        }
    }
    let surveys = [
        (
            "eNPS before the 1:1 program",
            true,
            150,
            [3, 6, 7, 9, 5, 8, 10, 4, 6, 7, 8, 2, 9, 6, 7, 5, 8, 6, 10, 7],
        ),
        (
            "eNPS three months in",
            false,
            30,
            [
                8, 9, 7, 10, 6, 9, 10, 7, 8, 9, 8, 5, 9, 7, 10, 6, 9, 8, 10, 9,
            ],
        ),
    ];
    for (name, baseline, days_ago, scores) in surveys {
        let answers: Vec<(Uuid, i64)> = people.iter().copied().zip(scores).collect();
        let id = run_survey(db, hr, name, baseline, &answers, true).await?;
        let closes = Utc::now() - Duration::days(days_ago);
        let opens = closes - Duration::days(14);
        db.transact(move |tx| Box::pin(async move { tx.backdate_survey(id, opens, closes).await }))
            .await?;
    }
    Ok(())
}

/// Create a survey for everyone (as HR admin `hr`), answer it as each of `answers` (a score,
/// and a second answer and comment derived from it) in batches, and close it. Returns its id.
async fn run_survey(
    db: &Database,
    hr: Uuid,
    name: &str,
    baseline: bool,
    answers: &[(Uuid, i64)],
    comments: bool,
) -> anyhow::Result<Uuid> {
    let hr = Actor::Person {
        id: hr,
        hr_admin: true,
    };
    let now = Utc::now();
    let draft = usecases::enps::SurveyDraft {
        name: name.into(),
        question: None,
        ask_expectations: true,
        allow_comment: true,
        audience: oneonone_domain::checkin::Population::Everyone,
        opens_at: now - Duration::minutes(1),
        closes_at: now + Duration::days(14),
        baseline,
        min_group_size: oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE,
    };
    let who = hr.clone();
    let (survey, _) = db
        .transact(move |tx| {
            Box::pin(async move { usecases::enps::create_survey(tx, &who, draft).await })
        })
        .await?;
    let id = survey.id;
    for batch in answers.chunks(500) {
        let batch = batch.to_vec();
        db.transact(move |tx| {
            Box::pin(async move {
                for (person, score) in batch {
                    let raw = usecases::enps::RawAnswer {
                        score,
                        expectations: Some((score / 2).clamp(1, 5)),
                        comment: (comments && score <= 6)
                            .then(|| "Fewer meetings, more time with my manager.".to_owned()),
                    };
                    let actor = Actor::Person {
                        id: person,
                        hr_admin: false,
                    };
                    usecases::enps::answer(tx, &actor, id, raw).await?;
                }
                Ok::<_, usecases::Error>(())
            })
        })
        .await?;
    }
    db.transact(move |tx| Box::pin(async move { usecases::enps::close(tx, &hr, id).await }))
        .await?;
    db.vacuum_pending_answers().await?;
    Ok(id)
}

/// The demo's finished check-in cycle: Linus's team each wrote, submitted and had their check-in
/// reviewed; three acknowledged it. Once (running it again changes nothing).
async fn demo_checkins(db: &Database) -> anyhow::Result<()> {
    use oneonone_domain::checkin::{CycleFrequency, Population, SelfAssessment, Step};
    if !db.list_cycles(None, 1).await?.is_empty() {
        return Ok(());
    }
    let id_of = |ext: &'static str| async move {
        let (_, name, ..) = PEOPLE
            .iter()
            .find(|p| p.0 == ext)
            .ok_or_else(|| anyhow::anyhow!("no demo person {ext}"))?;
        db.person_id_by_email(&email_of(name))
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo person {ext} missing"))
    };
    let as_person = |id| Actor::Person {
        id,
        hr_admin: false,
    };
    let hr = Actor::Person {
        id: id_of("demo-002").await?,
        hr_admin: true,
    };
    let today = Utc::now().date_naive();
    let draft = usecases::checkins::CycleDraft {
        name: "Last quarter's check-in".into(),
        frequency: CycleFrequency::Quarterly,
        period_start: today - Duration::days(100),
        period_end: today - Duration::days(10),
        due_date: today - Duration::days(3),
        population: Population::Everyone,
    };
    let (cycle, _) = db
        .transact(move |tx| {
            Box::pin(async move { usecases::checkins::launch_cycle(tx, &hr, draft).await })
        })
        .await?;
    let linus = id_of("demo-004").await?;
    let team = ["demo-007", "demo-008", "demo-009", "demo-010", "demo-020"];
    for (i, ext) in team.into_iter().enumerate() {
        let person = id_of(ext).await?;
        let filter = oneonone_persistence::checkins::CheckinFilter {
            participant: person,
            person_id: Some(person),
            manager_id: None,
            state: None,
            open: false,
            cycle_id: Some(cycle.id),
            after: None,
            limit: 1,
        };
        let Some(checkin) = db.list_checkins(&filter).await?.pop() else {
            continue;
        };
        let id = checkin.id;
        let none = usecases::Precondition::none;
        let edit = usecases::checkins::CheckinEdit {
            assessment: Some(SelfAssessment {
                went_well: Some("Shipped what we planned for the quarter.".into()),
                went_badly: Some("Too many context switches.".into()),
                blockers: (i % 2 == 0).then(|| "Waiting on the schema freeze.".into()),
                next_focus: Some("Latency work and on-call.".into()),
            }),
            manager_comment: None,
        };
        let comment = usecases::checkins::CheckinEdit {
            assessment: None,
            manager_comment: Some(Some(
                "A strong quarter; let's cut the context switches.".into(),
            )),
        };
        let (me, manager) = (as_person(person), as_person(linus));
        let acknowledge = i < 3;
        db.transact(move |tx| {
            Box::pin(async move {
                usecases::checkins::edit(tx, &me, id, &none(), edit).await?;
                usecases::checkins::step(tx, &me, id, &none(), Step::Submit).await?;
                usecases::checkins::edit(tx, &manager, id, &none(), comment).await?;
                usecases::checkins::step(tx, &manager, id, &none(), Step::Review).await?;
                if acknowledge {
                    usecases::checkins::step(tx, &me, id, &none(), Step::Acknowledge).await?;
                }
                Ok::<(), usecases::Error>(())
            })
        })
        .await?;
    }
    Ok(())
}

/// A demo goal: (owner's external id, the index of its parent among the earlier ones, title,
/// kind, public, key results as (title, start, target, unit) — a milestone without a unit).
type DemoGoal = (
    &'static str,
    Option<usize>,
    &'static str,
    GoalKind,
    bool,
    &'static [(&'static str, f64, f64, Option<&'static str>)],
);

const GOALS: [DemoGoal; 5] = [
    (
        "demo-001",
        None,
        "Become the 1:1 platform mid-size companies trust",
        GoalKind::Objective,
        true,
        &[
            ("New mid-market customers", 0.0, 40.0, Some("customers")),
            ("Net revenue retention", 100.0, 115.0, Some("%")),
        ],
    ),
    (
        "demo-003",
        Some(0),
        "A product that is fast and never down",
        GoalKind::Objective,
        true,
        &[
            ("Monthly uptime", 99.5, 99.95, Some("%")),
            ("p99 API latency", 800.0, 200.0, Some("ms")),
            ("Ship the status page", 0.0, 1.0, None),
        ],
    ),
    (
        "demo-004",
        Some(1),
        "Cut p99 API latency to 200 ms",
        GoalKind::Smart,
        true,
        &[("p99 API latency", 800.0, 200.0, Some("ms"))],
    ),
    (
        "demo-007",
        Some(2),
        "Move the meeting store to partitioned tables",
        GoalKind::Smart,
        false,
        &[("Tables migrated", 0.0, 12.0, Some("tables"))],
    ),
    (
        "demo-008",
        None,
        "Grow into the on-call rotation",
        GoalKind::Objective,
        false,
        &[
            ("Shadow on-call weeks", 0.0, 4.0, Some("weeks")),
            ("Lead an incident review", 0.0, 1.0, None),
        ],
    ),
];

/// Progress updates of the demo goals: (goal index, the reading of its first key result,
/// status, comment).
const GOAL_UPDATES: [(usize, f64, GoalStatus, &str); 7] = [
    (
        0,
        9.0,
        GoalStatus::OnTrack,
        "Nine signed in the first month.",
    ),
    (
        0,
        14.0,
        GoalStatus::AtRisk,
        "Two deals slipped into next quarter.",
    ),
    (1, 99.8, GoalStatus::OnTrack, "The failover drill passed."),
    (2, 620.0, GoalStatus::OnTrack, "Connection pooling is in."),
    (
        2,
        480.0,
        GoalStatus::AtRisk,
        "The next half needs the query rewrite.",
    ),
    (
        3,
        5.0,
        GoalStatus::OffTrack,
        "Blocked on the schema freeze.",
    ),
    (4, 2.0, GoalStatus::OnTrack, "Two shadow weeks done."),
];

/// Goals for the demo organisation, aligned company → engineering → platform → person, with
/// progress history; once (running it again changes nothing).
async fn demo_goals(db: &Database) -> anyhow::Result<()> {
    let mut owners = Vec::with_capacity(GOALS.len());
    for (ext, ..) in GOALS {
        let (_, name, ..) = PEOPLE
            .iter()
            .find(|p| p.0 == ext)
            .ok_or_else(|| anyhow::anyhow!("no demo person {ext}"))?;
        let id = db
            .person_id_by_email(&email_of(name))
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo person {ext} missing"))?;
        owners.push(id);
    }
    let reader = oneonone_persistence::goals::GoalFilter {
        reader: oneonone_persistence::goals::GoalReader::All,
        owner_id: owners.first().copied(),
        team_of: None,
        status: None,
        parent_id: None,
        after: None,
        limit: 1,
    };
    if !db.list_goals(&reader).await?.is_empty() {
        return Ok(());
    }
    let today = Utc::now().date_naive();
    let mut goals: Vec<oneonone_domain::goal::Goal> = Vec::with_capacity(GOALS.len());
    for ((_, parent, title, kind, public, krs), owner) in GOALS.into_iter().zip(owners) {
        let key_results = krs
            .iter()
            .map(|(t, start, target, unit)| {
                let measure = match unit {
                    Some(u) => Measure::numeric(*start, *target, *start, u, "key_results")
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                    None => Measure::Milestone { done: false },
                };
                Ok(((*t).to_owned(), measure))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let draft = GoalDraft {
            title: title.to_owned(),
            description: None,
            kind,
            start_date: today - Duration::days(45),
            due_date: today + Duration::days(45),
            visibility: if public {
                GoalVisibility::Public
            } else {
                GoalVisibility::Private
            },
            key_results,
        };
        let parent = parent.and_then(|i| goals.get(i)).map(|g| g.id);
        let actor = Actor::Person {
            id: owner,
            hr_admin: false,
        };
        let goal = db
            .transact(move |tx| {
                Box::pin(async move {
                    usecases::goals::create_goal(tx, &actor, owner, parent, draft).await
                })
            })
            .await?;
        goals.push(goal);
    }
    for (i, value, status, comment) in GOAL_UPDATES {
        let goal = goals
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("no demo goal {i}"))?;
        let (id, owner) = (goal.id, goal.owner_id);
        let kr = goal
            .key_results
            .first()
            .map(|k| k.id)
            .ok_or_else(|| anyhow::anyhow!("a goal without key results"))?;
        let actor = Actor::Person {
            id: owner,
            hr_admin: false,
        };
        let progress = usecases::goals::Progress {
            status: Some(status),
            readings: vec![(kr, Reading::Value(value))],
            comment: Some(comment.to_owned()),
        };
        seed_progress(db, actor, id, progress).await?;
    }
    Ok(())
}

use std::collections::HashMap;

use chrono::{Duration, NaiveTime, Utc, Weekday};
use oneonone_domain::agenda::AgendaCategory;
use oneonone_domain::cadence::{self, Cadence, Frequency};
use oneonone_domain::meeting::{MeetingKind, MeetingStatus};
use oneonone_persistence::PeopleFilter;
use oneonone_persistence::meetings::{NewSeries, PastMeeting};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// What a history run wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct HistoryStats {
    pub series: usize,
    pub past_meetings: usize,
    /// Months of ratings closed at the end.
    pub rating_months: usize,
}

/// How a manager runs 1:1s (seed 000): regular with everyone, partial (some reports, or
/// rarely), or absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Regular,
    Partial,
    Absent,
}

const TOPICS: [(AgendaCategory, &str); 10] = [
    (AgendaCategory::StatusUpdate, "Project status"),
    (AgendaCategory::Goals, "Priorities for the next two weeks"),
    (AgendaCategory::Career, "Growth plan"),
    (AgendaCategory::Feedback, "Feedback on the last release"),
    (AgendaCategory::Concerns, "Blocked on another team"),
    (AgendaCategory::Wellbeing, "Workload"),
    (AgendaCategory::Recognition, "Shout-out for the migration"),
    (AgendaCategory::Coaching, "Handling a difficult stakeholder"),
    (AgendaCategory::Ideas, "Idea: fewer recurring meetings"),
    (AgendaCategory::Goals, "Quarterly goals check"),
];

fn seed_of(a: Uuid, b: Uuid) -> u64 {
    let (x, y) = (a.as_u128(), b.as_u128());
    ((x ^ y.rotate_left(17)) as u64) ^ ((x >> 64) as u64)
}

/// Give every manager–report pair a recurring 1:1 with `months` of past meetings, unless the
/// pair has one already (so running it again changes nothing). About 40 % of managers meet
/// every report on cadence, 35 % only some reports or rarely, 25 % hardly ever.
pub async fn history(
    db: &Database,
    months: u32,
    time_zone: &str,
    progress: Option<&indicatif::ProgressBar>,
) -> anyhow::Result<HistoryStats> {
    let people = active_people(db).await?;
    let mut reports: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for p in &people {
        if let Some(m) = p.manager_id {
            reports.entry(m).or_default().push(p.id);
        }
    }
    if let Some(bar) = progress {
        bar.set_length(reports.values().map(|r| r.len() as u64).sum());
    }
    let tz = cadence::parse_time_zone(time_zone).map_err(|e| anyhow::anyhow!(e))?;
    let now = Utc::now();
    let start_date = (now - Duration::days(i64::from(months) * 30))
        .with_timezone(&tz)
        .date_naive();
    let mut stats = HistoryStats::default();
    let mut managers: Vec<_> = reports.iter().collect();
    managers.sort_by_key(|(m, _)| **m);
    let (mut pairs_done, mut next_stats) = (0usize, 500usize);
    db.begin_bulk_load().await?;
    for (manager, team) in managers {
        // A bulk load: refresh the planner's statistics as the tables grow (PostgreSQL), or the
        // plans it made while `meetings` was empty (a scan, for a lookup by id) stay in use —
        // measured at 10,000 people with autovacuum off: 3 series a second instead of 50.
        // Each time the tables have doubled is enough (every 500 pairs took 10 minutes of
        // ANALYZE at 100,000 people). (SQLite's log is checkpointed by the caller's
        // `startup::spawn_checkpoints`.)
        pairs_done += team.len();
        if pairs_done >= next_stats {
            next_stats *= 2;
            db.refresh_all_stats().await?;
        }
        let segment = match seed_of(*manager, Uuid::nil()) % 100 {
            0..=39 => Segment::Regular,
            40..=74 => Segment::Partial,
            _ => Segment::Absent,
        };
        for (index, report) in team.iter().enumerate() {
            if let Some(bar) = progress {
                bar.inc(1);
            }
            let existing = db.list_series(Some(*report), None, 200).await?;
            if existing
                .iter()
                .any(|s| s.manager_id == *manager && s.kind == MeetingKind::ManagerReport)
            {
                continue;
            }
            let mut rng = StdRng::seed_from_u64(seed_of(*manager, *report));
            let rec = cadence::recommend(team.len(), reports.contains_key(report));
            let weekday = Weekday::try_from(rng.random_range(0..5u8)).unwrap_or(Weekday::Tue);
            let frequency = if rec.monthly {
                Frequency::MonthlyByWeekday { nth: 1, weekday }
            } else {
                Frequency::Weekly {
                    interval_weeks: rec.interval_weeks.unwrap_or(1),
                    weekday,
                }
            };
            let hour = rng.random_range(9..17u32);
            let local = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or_default();
            let cadence =
                Cadence::new(frequency, local, tz, rec.duration_minutes, start_date, None)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let new = NewSeries {
                kind: MeetingKind::ManagerReport,
                manager_id: *manager,
                report_id: *report,
                cadence: cadence.clone(),
                agenda_template_id: None,
            };
            let series = db
                .transact(move |tx| {
                    Box::pin(async move {
                        tx.bulk_load();
                        usecases::meetings::seed_series(tx, &new).await
                    })
                })
                .await?;
            stats.series += 1;
            let held_share = match segment {
                Segment::Regular => 90,
                Segment::Partial if index % 2 == 0 => 70,
                Segment::Partial => 15,
                Segment::Absent => 8,
            };
            let start = cadence.instant_on(start_date);
            let past: Vec<PastMeeting> = cadence
                .occurrences_from(start, 400)
                .into_iter()
                .take_while(|o| o.ends_at < now)
                .map(|occurrence| {
                    let roll = rng.random_range(0..100);
                    let status = if roll < held_share {
                        MeetingStatus::Completed
                    } else if roll % 3 == 0 {
                        MeetingStatus::Cancelled
                    } else {
                        MeetingStatus::Skipped
                    };
                    let mut agenda = Vec::new();
                    if status == MeetingStatus::Completed {
                        for _ in 0..rng.random_range(1..4) {
                            let (category, title) = TOPICS[rng.random_range(0..TOPICS.len())];
                            let author = if rng.random_range(0..10) < 6 {
                                *report
                            } else {
                                *manager
                            };
                            agenda.push((author, category, title.to_owned()));
                        }
                    }
                    let base = match segment {
                        Segment::Regular => 4,
                        Segment::Partial => 3,
                        Segment::Absent => 2,
                    };
                    let ratings = (status == MeetingStatus::Completed
                        && rng.random_range(0..3) > 0)
                        .then(|| {
                            (
                                base + rng.random_range(0..2),
                                base + rng.random_range(0..2),
                                base + rng.random_range(0..2),
                            )
                        });
                    // An action item from about half the held ones, due a week later: done in
                    // time more often in a regular pair, some late, some still open.
                    let mut actions = Vec::new();
                    if status == MeetingStatus::Completed && rng.random_range(0..2) == 0 {
                        let due = occurrence.starts_at.date_naive() + chrono::Days::new(7);
                        let roll = rng.random_range(0..100);
                        let days = match (roll < held_share, roll % 4) {
                            (true, _) | (false, 0) => Some(rng.random_range(1..7)),
                            (false, 1) => Some(rng.random_range(8..20)),
                            _ => None,
                        };
                        let done_at = days
                            .map(|d| occurrence.starts_at + chrono::Duration::days(d))
                            .filter(|at| *at < now);
                        let assignee = if rng.random_range(0..4) == 0 {
                            *manager
                        } else {
                            *report
                        };
                        let (_, title) = TOPICS[rng.random_range(0..TOPICS.len())];
                        actions.push((assignee, format!("Follow up: {title}"), due, done_at));
                    }
                    PastMeeting {
                        occurrence,
                        status,
                        agenda,
                        ratings,
                        actions,
                    }
                })
                .collect();
            stats.past_meetings += past.len();
            db.insert_history(&series, &past).await?;
        }
    }
    db.run_pending_rebuilds().await?;
    // The history's months of ratings have closed: close them as the server's job would.
    let min_group = oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE;
    stats.rating_months = usecases::ratings::close_due(db, now, min_group).await?;
    Ok(stats)
}

/// The synthetic department of person `i`: that of the branch below the top of the
/// organisation they sit in (so departments follow the reporting lines, as in most
/// organisations); the top's is 0.
fn branch(i: usize) -> usize {
    let mut at = i;
    while at > 8 {
        at = (at - 1) / 8;
    }
    at
}

/// A synthetic organisation of `people` people (a tree, eight reports per manager) for
/// benchmarks, with `months` of 1:1 history. Idempotent. Returns the login that `make bench`
/// uses: a manager with reports.
pub async fn synthetic(
    db: &Database,
    people: usize,
    months: u32,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(String, HistoryStats)> {
    let mut rows = Vec::with_capacity(people);
    for i in 0..people {
        let fields = PersonFields {
            email: format!("person{i}@synthetic.example.com"),
            display_name: format!("Person {i}"),
            title: Some(
                if i < people / 8 {
                    "Manager"
                } else {
                    "Engineer"
                }
                .into(),
            ),
            department: Some(format!("Department {}", branch(i))),
            external_id: Some(format!("syn-{i}")),
            active: true,
            ..PersonFields::default()
        };
        let draft = PersonDraft::parse(&fields, None).map_err(|e| anyhow::anyhow!("{e}"))?;
        rows.push(ImportRow {
            draft,
            manager_external_id: (i > 0).then(|| format!("syn-{}", (i - 1) / 8)),
        });
    }
    for chunk in rows.chunks(10_000) {
        let chunk = chunk.to_vec();
        let outcome = db
            .transact(move |tx| {
                Box::pin(async move { usecases::people::seed::import(tx, &chunk).await })
            })
            .await?;
        anyhow::ensure!(outcome.applied, "the synthetic organisation did not import");
    }
    let login = "person1@synthetic.example.com".to_owned();
    if let Some(id) = db.person_id_by_email(&login).await?
        && db.password_hash(id).await?.is_none()
    {
        let hash = hash_password(DEMO_PASSWORD.to_owned())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let email = login.clone();
        db.transact(move |tx| {
            Box::pin(
                async move { usecases::people::seed::login(tx, &email, false, Some(hash)).await },
            )
        })
        .await?;
    }
    let began = std::time::Instant::now();
    let stats = history(db, months, "Europe/Berlin", Some(progress)).await?;
    let phase = |what: &str, since: std::time::Instant| {
        // Printed when the bar is hidden too (a log, not a terminal).
        progress.suspend(|| eprintln!("{what}: {:.1} s", since.elapsed().as_secs_f64()));
        std::time::Instant::now()
    };
    let began = phase("1:1 history, figures and closed months of ratings", began);
    synthetic_goals(db).await?;
    let began = phase("goals and their progress", began);
    synthetic_enps(db).await?;
    phase("an eNPS survey", began);
    Ok((login, stats))
}

/// One closed eNPS survey of everyone in a synthetic organisation, once: seven in ten answer.
async fn synthetic_enps(db: &Database) -> anyhow::Result<()> {
    if !db.list_surveys(None, false, None, 1).await?.is_empty() {
        return Ok(());
    }
    let people = active_people(db).await?;
    // Run by an HR admin if there is one, else in the name of the top of the organisation.
    let Some(hr) = people
        .iter()
        .find(|p| p.hr_admin)
        .or_else(|| people.iter().find(|p| p.manager_id.is_none()))
        .map(|p| p.id)
    else {
        return Ok(());
    };
    let answers: Vec<(Uuid, i64)> = people
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 < 7)
        .map(|(i, p)| (p.id, [10, 9, 8, 7, 6, 9, 10, 3, 8, 9, 5][i % 11]))
        .collect();
    run_survey(db, hr, "eNPS (synthetic)", false, &answers, true).await?;
    Ok(())
}

/// Record a goal's progress as `actor`, in a change of its own.
async fn seed_progress(
    db: &Database,
    actor: Actor,
    id: Uuid,
    progress: usecases::goals::Progress,
) -> anyhow::Result<()> {
    db.transact(move |tx| {
        Box::pin(async move {
            usecases::goals::record_progress(
                tx,
                &actor,
                id,
                &usecases::Precondition::none(),
                progress,
            )
            .await
        })
    })
    .await?;
    Ok(())
}

/// Everyone active, in pages of 1,000.
async fn active_people(db: &Database) -> anyhow::Result<Vec<oneonone_domain::Person>> {
    let mut people = Vec::new();
    let mut filter = PeopleFilter {
        active: Some(true),
        limit: 1000,
        ..PeopleFilter::default()
    };
    loop {
        let page = db.list_people(&filter).await?;
        let Some(last) = page.last() else { break };
        filter.after = Some(oneonone_persistence::PeoplePageAfter::Id(last.id));
        people.extend(page);
    }
    Ok(people)
}

/// A synthetic goal to set, and the progress its owner records afterwards.
struct GoalPlan {
    owner: Uuid,
    /// The goal it aligns to (the team's objective).
    parent: Option<Uuid>,
    kind: GoalKind,
    public: bool,
    title: String,
    updates: Vec<(f64, GoalStatus)>,
}

/// Goals changed per transaction: every change is still the use case's own (its checks,
/// events and figures), but one commit serves many (a commit each was a third of the seed on
/// PostgreSQL at 100,000 people: 400,000 changes at one flush to disk each).
const GOALS_PER_TRANSACTION: usize = 250;

/// Set the `plans`' goals and record their progress, each as its owner; the goals' ids in order.
async fn seed_goals(db: &Database, plans: Vec<GoalPlan>) -> anyhow::Result<Vec<Uuid>> {
    let today = Utc::now().date_naive();
    let mut ids = Vec::with_capacity(plans.len());
    let mut plans = plans.into_iter().peekable();
    while plans.peek().is_some() {
        let chunk: Vec<GoalPlan> = plans.by_ref().take(GOALS_PER_TRANSACTION).collect();
        let made = db
            .transact(move |tx| {
                Box::pin(async move {
                    let mut ids = Vec::with_capacity(chunk.len());
                    for plan in chunk {
                        let actor = Actor::Person {
                            id: plan.owner,
                            hr_admin: false,
                        };
                        let draft = GoalDraft {
                            title: plan.title,
                            description: None,
                            kind: plan.kind,
                            start_date: today - Duration::days(60),
                            due_date: today + Duration::days(30),
                            visibility: if plan.public {
                                GoalVisibility::Public
                            } else {
                                GoalVisibility::Private
                            },
                            key_results: vec![(
                                "Progress".to_owned(),
                                Measure::Numeric {
                                    start: 0.0,
                                    target: 100.0,
                                    current: 0.0,
                                    unit: "%".to_owned(),
                                },
                            )],
                        };
                        let goal = usecases::goals::create_goal(
                            tx,
                            &actor,
                            plan.owner,
                            plan.parent,
                            draft,
                        )
                        .await?;
                        if let Some(kr) = goal.key_results.first().map(|k| k.id) {
                            for (value, status) in plan.updates {
                                let progress = usecases::goals::Progress {
                                    status: Some(status),
                                    readings: vec![(kr, Reading::Value(value))],
                                    comment: None,
                                };
                                usecases::goals::record_progress(
                                    tx,
                                    &actor,
                                    goal.id,
                                    &usecases::Precondition::none(),
                                    progress,
                                )
                                .await?;
                            }
                        }
                        ids.push(goal.id);
                    }
                    Ok::<_, usecases::Error>(ids)
                })
            })
            .await?;
        ids.extend(made);
    }
    Ok(ids)
}

/// Goals for a synthetic organisation, once: every manager a public objective for their team,
/// every person with a manager a private SMART goal aligned to it, with two progress updates.
async fn synthetic_goals(db: &Database) -> anyhow::Result<()> {
    let any = oneonone_persistence::goals::GoalFilter {
        reader: oneonone_persistence::goals::GoalReader::All,
        owner_id: None,
        team_of: None,
        status: None,
        parent_id: None,
        after: None,
        limit: 1,
    };
    if !db.list_goals(&any).await?.is_empty() {
        return Ok(());
    }
    let people = active_people(db).await?;
    let managers: std::collections::HashSet<Uuid> =
        people.iter().filter_map(|p| p.manager_id).collect();
    let leads: Vec<&oneonone_domain::Person> =
        people.iter().filter(|p| managers.contains(&p.id)).collect();
    let objectives = seed_goals(
        db,
        leads
            .iter()
            .map(|p| GoalPlan {
                owner: p.id,
                parent: None,
                kind: GoalKind::Objective,
                public: true,
                title: format!("{}'s team delivers", p.display_name),
                updates: Vec::new(),
            })
            .collect(),
    )
    .await?;
    let team_goals: HashMap<Uuid, Uuid> = leads.iter().map(|p| p.id).zip(objectives).collect();
    let statuses = [
        GoalStatus::AtRisk,
        GoalStatus::OnTrack,
        GoalStatus::OffTrack,
    ];
    let plans = people
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let manager = p.manager_id?;
            Some(GoalPlan {
                owner: p.id,
                parent: team_goals.get(&manager).copied(),
                kind: GoalKind::Smart,
                public: false,
                title: format!("{}'s quarter", p.display_name),
                updates: vec![
                    (30.0, GoalStatus::OnTrack),
                    (45.0 + (i % 3) as f64 * 20.0, statuses[i % 3]),
                ],
            })
        })
        .collect();
    seed_goals(db, plans).await?;
    Ok(())
}

/// The demo's feedback: praise shared with Priya's manager and a constructive note to her alone,
/// a public thank-you, her request "How did I do in the Q3 launch?" answered by four colleagues
/// (one under their name, three anonymously, so those are released together), and the
/// constructive note brought into her next 1:1 as a private talking point with an action item.
/// Run after the history (it needs her upcoming 1:1). Once.
pub async fn demo_feedback(db: &Database) -> anyhow::Result<()> {
    use oneonone_domain::feedback::{FeedbackKind, Visibility};
    use oneonone_usecases::feedback::{NewFeedback, NewRequest};
    let priya = db
        .person_id_by_email(DEMO_LOGINS[2].0)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo person Priya missing"))?;
    let reading = oneonone_persistence::feedback::FeedbackFilter::ReceivedBy(priya);
    if !db
        .list_feedback(&reading, None, 1, None)
        .await?
        .rows
        .is_empty()
    {
        return Ok(());
    }
    let manager = db
        .get_person(priya)
        .await?
        .manager_id
        .ok_or_else(|| anyhow::anyhow!("Priya has no manager in the demo"))?;
    let colleagues: Vec<Uuid> = active_people(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .filter(|id| *id != priya && *id != manager)
        .take(5)
        .collect();
    anyhow::ensure!(colleagues.len() == 5, "the demo needs five colleagues");
    let person = |id| Actor::Person {
        id,
        hr_admin: false,
    };
    let today = Utc::now().date_naive();
    let gifts = [
        (
            colleagues[0],
            FeedbackKind::Praise,
            Visibility::RecipientAndManager,
            "Your Q3 launch demo was crisp: clear story, no jargon, and you took the hard \
             questions head on.",
        ),
        (
            colleagues[1],
            FeedbackKind::Constructive,
            Visibility::Recipient,
            "The rollout notes reached support a day late; a checklist with owners would have \
             caught it.",
        ),
        (
            colleagues[2],
            FeedbackKind::Recognition,
            Visibility::Organisation,
            "Thank you for covering on-call over the holidays!",
        ),
    ];
    let mut constructive = None;
    for (giver, kind, visibility, body) in gifts {
        let actor = person(giver);
        let new = NewFeedback {
            recipient_id: priya,
            kind,
            body: body.to_owned(),
            visibility,
            category: None,
            goal_id: None,
        };
        let given = db
            .transact(move |tx| {
                Box::pin(async move { usecases::feedback::give(tx, &actor, new).await })
            })
            .await?;
        if kind == FeedbackKind::Constructive {
            constructive = Some(given.id);
        }
    }
    let asker = person(priya);
    let new = NewRequest {
        subject_id: priya,
        question: "How did I do in the Q3 launch?".to_owned(),
        respondent_ids: colleagues[1..5].to_vec(),
        due_date: today + Duration::days(7),
    };
    let request = db
        .transact(move |tx| {
            Box::pin(async move { usecases::feedback::request(tx, &asker, new, today).await })
        })
        .await?;
    let answers = [
        (
            colleagues[1],
            false,
            FeedbackKind::Praise,
            "Calm under pressure on launch day.",
        ),
        (
            colleagues[2],
            true,
            FeedbackKind::Constructive,
            "Share the plan earlier: we learned about the freeze the day before.",
        ),
        (
            colleagues[3],
            true,
            FeedbackKind::Praise,
            "The runbook was the best we've had.",
        ),
        (
            colleagues[4],
            true,
            FeedbackKind::Praise,
            "You kept every stakeholder in the loop.",
        ),
    ];
    for (who, anonymous, kind, text) in answers {
        let actor = person(who);
        let id = request.id;
        db.transact(move |tx| {
            Box::pin(async move {
                usecases::feedback::answer(tx, &actor, id, kind, text, anonymous, today).await
            })
        })
        .await?;
    }
    // The constructive note, brought into her next 1:1 with her manager, privately.
    let next = db
        .list_meetings(&oneonone_persistence::meetings::MeetingFilter {
            manager_id: Some(manager),
            report_id: Some(priya),
            status: Some(oneonone_domain::meeting::MeetingStatus::Scheduled),
            from: Some(Utc::now()),
            limit: 1,
            ..Default::default()
        })
        .await?;
    if let (Some(meeting), Some(feedback)) = (next.first().map(|m| m.id), constructive) {
        let actor = person(priya);
        db.transact(move |tx| {
            Box::pin(async move {
                let check = usecases::meetings::ParticipantCheck::InChange(meeting);
                let (meeting, _) =
                    usecases::feedback::bring_to_meeting(tx, &actor, feedback, check, None, true)
                        .await?;
                usecases::feedback::agree_action(
                    tx,
                    &actor,
                    feedback,
                    &meeting,
                    actor.person_id().unwrap_or(meeting.report_id),
                    "Draft a launch checklist with owners",
                    Some(today + Duration::days(14)),
                )
                .await
                .map(|_| ())
            })
        })
        .await?;
    }
    Ok(())
}

/// The demo's escalation record: two cases HR recorded, one two weeks ago about someone whose
/// 1:1s are on record, one seven months ago (before the demo's history begins), so the report
/// at `/reports/escalations` has one of each. Does nothing once any record exists.
pub async fn demo_escalations(db: &Database) -> anyhow::Result<()> {
    use oneonone_domain::escalation::EscalationKind;
    use oneonone_persistence::escalations::EscalationFilter;
    if !db
        .list_escalations(&EscalationFilter::default(), None, Some(1))
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let hr = db
        .person_id_by_email(DEMO_LOGINS[0].0)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo HR admin missing"))?;
    let priya = db.person_id_by_email(DEMO_LOGINS[2].0).await?;
    let cases: Vec<Uuid> = active_people(db)
        .await?
        .into_iter()
        .filter(|p| p.manager_id.is_some() && p.id != hr && Some(p.id) != priya)
        .map(|p| p.id)
        .take(2)
        .collect();
    anyhow::ensure!(cases.len() == 2, "the demo needs two people with a manager");
    let today = Utc::now().date_naive();
    let actor = Actor::Person {
        id: hr,
        hr_admin: true,
    };
    for (person, kind, days_ago, reference) in [
        (cases[0], EscalationKind::Escalation, 14, "HR-1042"),
        (cases[1], EscalationKind::Pip, 210, "HR-0877"),
    ] {
        let record = usecases::escalations::Record {
            person_id: person,
            kind,
            occurred_on: today - Duration::days(days_ago),
            external_ref: Some(reference.to_owned()),
        };
        let actor = actor.clone();
        db.transact(move |tx| {
            Box::pin(async move { usecases::escalations::record(tx, &actor, record).await })
        })
        .await?;
    }
    Ok(())
}
