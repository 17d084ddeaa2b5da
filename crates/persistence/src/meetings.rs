//! Meeting series and meetings.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use oneonone_domain::cadence::{Cadence, Frequency, Occurrence, parse_time_zone};
use oneonone_domain::meeting::{Meeting, MeetingKind, MeetingSeries, MeetingStatus, ScheduleState};
use sqlx::QueryBuilder;
use uuid::Uuid;

pub use oneonone_domain::meeting::Rating;

use crate::{Database, StoreError, StoreResult, now, with_pool};

const SERIES_COLUMNS: &str = "id, kind, manager_id, report_id, frequency, interval_weeks, weekday, \
     nth, day_of_month, local_time, time_zone, duration_minutes, start_date, end_date, paused, \
     version, created_at, updated_at, agenda_template_id";

/// A meeting holding nothing both participants can see: no shared talking point (a template's
/// untouched points come with every meeting and do not count), no action item, no shared note.
/// Only such upcoming meetings may go when a series changes, and whether one goes never depends
/// on anything private (that would show the other participant where the author wrote something).
const NOTHING_SHARED: &str = "NOT EXISTS (SELECT 1 FROM agenda_items a WHERE a.meeting_id = meetings.id \
     AND a.private = FALSE AND (a.template_id IS NULL OR a.version > 1 OR a.checked = TRUE)) \
     AND NOT EXISTS (SELECT 1 FROM action_items c WHERE c.meeting_id = meetings.id) \
     AND NOT EXISTS (SELECT 1 FROM meeting_notes n WHERE n.meeting_id = meetings.id \
     AND n.owner_key = 'shared')";

/// What goes between two bodies of one author's private note when a removed meeting's note
/// joins the note they already have on the meeting it moves to.
const NOTE_JOINER: &str = "\n\n";

const MEETING_COLUMNS: &str = "id, series_id, occurrence_date, kind, manager_id, report_id, \
     starts_at, ends_at, status, held_at, actual_duration_minutes, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct SeriesRow {
    id: Uuid,
    kind: String,
    manager_id: Uuid,
    report_id: Uuid,
    frequency: String,
    interval_weeks: Option<i32>,
    weekday: Option<i32>,
    nth: Option<i32>,
    day_of_month: Option<i32>,
    local_time: String,
    time_zone: String,
    duration_minutes: i32,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    paused: bool,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    agenda_template_id: Option<Uuid>,
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Other(sqlx::Error::Decode(
        format!("stored {what} is invalid").into(),
    ))
}

fn weekday_from(n: Option<i32>) -> StoreResult<Weekday> {
    n.and_then(|n| u8::try_from(n).ok())
        .and_then(|n| Weekday::try_from(n).ok())
        .ok_or_else(|| corrupt("weekday"))
}

impl SeriesRow {
    fn into_series(self) -> StoreResult<MeetingSeries> {
        let frequency = match self.frequency.as_str() {
            "weekly" => Frequency::Weekly {
                interval_weeks: self
                    .interval_weeks
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| corrupt("interval"))?,
                weekday: weekday_from(self.weekday)?,
            },
            "monthly_weekday" => Frequency::MonthlyByWeekday {
                nth: self
                    .nth
                    .and_then(|n| i8::try_from(n).ok())
                    .ok_or_else(|| corrupt("nth"))?,
                weekday: weekday_from(self.weekday)?,
            },
            "monthly_day" => Frequency::MonthlyByDay {
                day: self
                    .day_of_month
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or_else(|| corrupt("day"))?,
            },
            _ => return Err(corrupt("frequency")),
        };
        let local_time = NaiveTime::parse_from_str(&self.local_time, "%H:%M")
            .map_err(|_| corrupt("local time"))?;
        let time_zone = parse_time_zone(&self.time_zone).map_err(|_| corrupt("time zone"))?;
        let cadence = Cadence::new(
            frequency,
            local_time,
            time_zone,
            u16::try_from(self.duration_minutes).map_err(|_| corrupt("duration"))?,
            self.start_date,
            self.end_date,
        )
        .map_err(|_| corrupt("cadence"))?;
        Ok(MeetingSeries {
            id: self.id,
            kind: self.kind.parse().map_err(|_| corrupt("kind"))?,
            manager_id: self.manager_id,
            report_id: self.report_id,
            cadence,
            paused: self.paused,
            agenda_template_id: self.agenda_template_id,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MeetingRow {
    pub(crate) id: Uuid,
    pub(crate) series_id: Option<Uuid>,
    pub(crate) occurrence_date: Option<NaiveDate>,
    pub(crate) kind: String,
    pub(crate) manager_id: Uuid,
    pub(crate) report_id: Uuid,
    pub(crate) starts_at: DateTime<Utc>,
    pub(crate) ends_at: DateTime<Utc>,
    pub(crate) status: String,
    pub(crate) held_at: Option<DateTime<Utc>>,
    pub(crate) actual_duration_minutes: Option<i32>,
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

impl MeetingRow {
    pub(crate) fn into_meeting(self) -> StoreResult<Meeting> {
        Ok(Meeting {
            id: self.id,
            series_id: self.series_id,
            occurrence_date: self.occurrence_date,
            kind: self.kind.parse().map_err(|_| corrupt("kind"))?,
            manager_id: self.manager_id,
            report_id: self.report_id,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            status: self.status.parse().map_err(|_| corrupt("status"))?,
            held_at: self.held_at,
            actual_duration_minutes: self.actual_duration_minutes,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A new series, validated.
#[derive(Debug, Clone)]
pub struct NewSeries {
    pub kind: MeetingKind,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub cadence: Cadence,
    pub agenda_template_id: Option<Uuid>,
}

/// Filters of the meetings list.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    pub participant: Option<Uuid>,
    pub series_id: Option<Uuid>,
    pub kind: Option<MeetingKind>,
    pub manager_id: Option<Uuid>,
    pub report_id: Option<Uuid>,
    pub status: Option<MeetingStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Page after this (starts_at, id).
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// How a meeting changes state.
#[derive(Debug, Clone)]
pub struct MeetingChange {
    pub status: MeetingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub held_at: Option<DateTime<Utc>>,
    pub actual_duration_minutes: Option<i32>,
}

fn frequency_columns(
    f: Frequency,
) -> (
    &'static str,
    Option<i32>,
    Option<i32>,
    Option<i32>,
    Option<i32>,
) {
    match f {
        Frequency::Weekly {
            interval_weeks,
            weekday,
        } => (
            "weekly",
            Some(i32::from(interval_weeks)),
            Some(weekday.num_days_from_monday() as i32),
            None,
            None,
        ),
        Frequency::MonthlyByWeekday { nth, weekday } => (
            "monthly_weekday",
            None,
            Some(weekday.num_days_from_monday() as i32),
            Some(i32::from(nth)),
            None,
        ),
        Frequency::MonthlyByDay { day } => ("monthly_day", None, None, None, Some(i32::from(day))),
    }
}

impl Database {
    /// A page of series, in creation order, optionally those of one participant.
    pub async fn list_series(
        &self,
        participant: Option<Uuid>,
        after: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<MeetingSeries>> {
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {SERIES_COLUMNS} FROM meeting_series WHERE 1 = 1"));
            if let Some(p) = participant {
                qb.push(" AND (manager_id = ").push_bind(p).push(" OR report_id = ").push_bind(p).push(")");
            }
            if let Some(a) = after {
                qb.push(" AND id > ").push_bind(a);
            }
            qb.push(" ORDER BY id LIMIT ").push_bind(limit);
            let rows: Vec<SeriesRow> = qb.build_query_as().fetch_all(pool).await?;
            rows.into_iter().map(SeriesRow::into_series).collect()
        })
    }

    /// A page of meetings ordered by start time, then id. A participant filter reads the two
    /// indexes (as manager, as report), each already in (starts_at, id) order, and merges them:
    /// no `OR` scan and no sort.
    pub async fn list_meetings(&self, f: &MeetingFilter) -> StoreResult<Vec<Meeting>> {
        fn conditions<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, f: &'a MeetingFilter)
        where
            Uuid: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        {
            if let Some(s) = f.series_id {
                qb.push(" AND series_id = ").push_bind(s);
            }
            if let Some(k) = f.kind {
                qb.push(" AND kind = ").push_bind(k.as_str());
            }
            if let Some(m) = f.manager_id {
                qb.push(" AND manager_id = ").push_bind(m);
            }
            if let Some(r) = f.report_id {
                qb.push(" AND report_id = ").push_bind(r);
            }
            if let Some(s) = f.status {
                qb.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some(from) = f.from {
                qb.push(" AND starts_at >= ").push_bind(from);
            }
            if let Some(to) = f.to {
                qb.push(" AND starts_at < ").push_bind(to);
            }
            if let Some((at, id)) = f.after {
                qb.push(" AND (starts_at, id) > (")
                    .push_bind(at)
                    .push(", ")
                    .push_bind(id)
                    .push(")");
            }
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new(format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE "));
            match f.participant {
                Some(p) => {
                    qb.push("manager_id = ").push_bind(p);
                    conditions(&mut qb, f);
                    qb.push(format!(" UNION ALL SELECT {MEETING_COLUMNS} FROM meetings WHERE report_id = "));
                    qb.push_bind(p);
                    qb.push(" AND manager_id <> ").push_bind(p);
                    conditions(&mut qb, f);
                }
                None => {
                    qb.push("1 = 1");
                    conditions(&mut qb, f);
                }
            }
            qb.push(" ORDER BY starts_at, id LIMIT ").push_bind(f.limit);
            let rows: Vec<MeetingRow> = qb.build_query_as().fetch_all(pool).await?;
            rows.into_iter().map(MeetingRow::into_meeting).collect()
        })
    }

    /// How many people report to `manager` (not erased), and whether `person` manages anyone.
    pub async fn span_of_control(&self, manager: Uuid) -> StoreResult<i64> {
        with_pool!(self, pool => {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM people WHERE manager_id = $1 AND deleted_at IS NULL AND active = $2",
            )
            .bind(manager)
            .bind(true)
            .fetch_one(pool)
            .await?)
        })
    }
}

impl Database {
    pub async fn meeting_ratings(&self, meeting_id: Uuid) -> StoreResult<Vec<Rating>> {
        with_pool!(self, pool => {
            let rows: Vec<(Uuid, i32, Option<i32>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT person_id, useful, expectations_clear, updated_at FROM meeting_ratings \
                 WHERE meeting_id = $1 ORDER BY person_id",
            )
            .bind(meeting_id)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(person_id, useful, expectations_clear, updated_at)| Rating {
                    person_id,
                    useful,
                    expectations_clear,
                    updated_at,
                })
                .collect())
        })
    }
}

impl Database {}

/// What a new cadence did to a series' meetings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescheduleEffects {
    /// Upcoming meetings moved to the new schedule (same ids, agendas kept).
    pub moved: Vec<Uuid>,
    /// Upcoming meetings the new schedule had no room for and that held nothing shared.
    pub removed: Removed,
}

/// What changing a series did to its meetings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeriesEffects {
    /// Upcoming meetings holding nothing shared that no longer fall in the series.
    pub removed: Removed,
}

/// Upcoming meetings a series change removed, and the private content that moved off them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// The meetings removed.
    pub meetings: Vec<Uuid>,
    /// Private talking points moved to another meeting of the series.
    pub private_items: Vec<MovedItem>,
}

/// A talking point that moved to another meeting of the pair: carried over undiscussed, or
/// private content moved off a meeting that went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedItem {
    pub id: Uuid,
    /// Its author, when the point is private (and so theirs alone).
    pub private_to: Option<Uuid>,
    pub from_meeting_id: Uuid,
    pub to_meeting_id: Uuid,
}

/// One past meeting of a series, for seeding history.
#[derive(Debug, Clone)]
pub struct PastMeeting {
    pub occurrence: oneonone_domain::cadence::Occurrence,
    pub status: MeetingStatus,
    /// Talking points discussed in it: (author, category, title).
    pub agenda: Vec<(Uuid, oneonone_domain::agenda::AgendaCategory, String)>,
    /// "Was this useful?" from each participant, and the report's "I know what is expected".
    pub ratings: Option<(i32, i32, i32)>,
    /// Action items agreed in it: (assignee, title, due date, done at).
    pub actions: Vec<(Uuid, String, NaiveDate, Option<DateTime<Utc>>)>,
}

impl Database {
    /// Write the past meetings of a series in one transaction (seeding and benchmarks only).
    /// A bulk load: the program figures are not kept up to date meeting by meeting; the
    /// loader recomputes them once at the end ([`Database::run_pending_rebuilds`]).
    pub async fn insert_history(
        &self,
        series: &MeetingSeries,
        past: &[PastMeeting],
    ) -> StoreResult<()> {
        let (series, past) = (series.clone(), past.to_vec());
        // Many rows a statement (a bulk load): 100 meetings, then their talking points, action
        // items and ratings, each well under either database's limit of bound values.
        self.transact(move |tx| {
            Box::pin(async move {
                for chunk in past.chunks(100) {
                    let ids: Vec<Uuid> = chunk.iter().map(|_| Uuid::now_v7()).collect();
                    let inserted: Vec<Uuid> = crate::on_tx!(tx, conn => {
                        let mut qb = QueryBuilder::new(
                            "INSERT INTO meetings (id, series_id, occurrence_date, kind, manager_id, \
                             report_id, starts_at, ends_at, status, held_at, version, created_at, updated_at) ",
                        );
                        qb.push_values(chunk.iter().zip(&ids), |mut b, (p, id)| {
                            let held = (p.status == MeetingStatus::Completed).then_some(p.occurrence.starts_at);
                            b.push_bind(*id)
                                .push_bind(series.id)
                                .push_bind(p.occurrence.local_date)
                                .push_bind(series.kind.as_str())
                                .push_bind(series.manager_id)
                                .push_bind(series.report_id)
                                .push_bind(p.occurrence.starts_at)
                                .push_bind(p.occurrence.ends_at)
                                .push_bind(p.status.as_str())
                                .push_bind(held)
                                .push("1")
                                .push_bind(p.occurrence.starts_at)
                                .push_bind(p.occurrence.starts_at);
                        });
                        qb.push(" ON CONFLICT (series_id, occurrence_date) DO NOTHING RETURNING id");
                        qb.build_query_scalar().fetch_all(&mut *conn).await?
                    });
                    let inserted: std::collections::HashSet<Uuid> = inserted.into_iter().collect();
                    let rows: Vec<(&PastMeeting, Uuid)> = chunk
                        .iter()
                        .zip(ids)
                        .filter(|(_, id)| inserted.contains(id))
                        .collect();
                    let agenda: Vec<_> = rows
                        .iter()
                        .flat_map(|(p, id)| p.agenda.iter().map(move |a| (*p, *id, a)))
                        .collect();
                    let actions: Vec<_> = rows
                        .iter()
                        .flat_map(|(p, id)| p.actions.iter().map(move |a| (*p, *id, a)))
                        .collect();
                    let ratings: Vec<_> = rows
                        .iter()
                        .filter(|(p, _)| p.status == MeetingStatus::Completed)
                        .filter_map(|(p, id)| p.ratings.map(|r| (*p, *id, r)))
                        .flat_map(|(p, id, (m, r, e))| {
                            [(p, id, series.manager_id, m, None), (p, id, series.report_id, r, Some(e))]
                        })
                        .collect();
                    crate::on_tx!(tx, conn => {
                        if !agenda.is_empty() {
                            let mut qb = QueryBuilder::new(
                                "INSERT INTO agenda_items (id, meeting_id, author_id, title, category, private, \
                                 checked, checked_at, first_added_at, times_carried, version, created_at, updated_at) ",
                            );
                            qb.push_values(&agenda, |mut b, (p, id, (author, category, title))| {
                                let held = (p.status == MeetingStatus::Completed).then_some(p.occurrence.starts_at);
                                b.push_bind(Uuid::now_v7())
                                    .push_bind(*id)
                                    .push_bind(*author)
                                    .push_bind(title.clone())
                                    .push_bind(category.as_str())
                                    .push_bind(false)
                                    .push_bind(held.is_some())
                                    .push_bind(held)
                                    .push_bind(p.occurrence.starts_at)
                                    .push("0")
                                    .push("1")
                                    .push_bind(p.occurrence.starts_at)
                                    .push_bind(p.occurrence.starts_at);
                            });
                            qb.build().execute(&mut *conn).await?;
                        }
                        if !actions.is_empty() {
                            let mut qb = QueryBuilder::new(
                                "INSERT INTO action_items (id, meeting_id, series_id, assignee_id, created_by, \
                                 manager_id, report_id, title, due_date, status, completed_at, version, \
                                 created_at, updated_at) ",
                            );
                            qb.push_values(&actions, |mut b, (p, id, (assignee, title, due, done_at))| {
                                b.push_bind(Uuid::now_v7())
                                    .push_bind(*id)
                                    .push_bind(series.id)
                                    .push_bind(*assignee)
                                    .push_bind(series.manager_id)
                                    .push_bind(series.manager_id)
                                    .push_bind(series.report_id)
                                    .push_bind(title.clone())
                                    .push_bind(*due)
                                    .push_bind(if done_at.is_some() { "done" } else { "open" })
                                    .push_bind(*done_at)
                                    .push("1")
                                    .push_bind(p.occurrence.ends_at)
                                    .push_bind(done_at.unwrap_or(p.occurrence.ends_at));
                            });
                            qb.build().execute(&mut *conn).await?;
                        }
                        if !ratings.is_empty() {
                            let mut qb = QueryBuilder::new(
                                "INSERT INTO meeting_ratings (meeting_id, person_id, useful, expectations_clear, \
                                 created_at, updated_at) ",
                            );
                            qb.push_values(&ratings, |mut b, (p, id, person, useful, clear)| {
                                b.push_bind(*id)
                                    .push_bind(*person)
                                    .push_bind(*useful)
                                    .push_bind(*clear)
                                    .push_bind(p.occurrence.starts_at)
                                    .push_bind(p.occurrence.starts_at);
                            });
                            qb.build().execute(&mut *conn).await?;
                        }
                    });
                }
                StoreResult::Ok(())
            })
        })
        .await
    }
}

impl crate::Tx<'_> {
    /// Create a series (its meetings are scheduled by [`crate::Tx::schedule_meetings`]).
    pub async fn create_series(&mut self, new: &NewSeries) -> StoreResult<MeetingSeries> {
        let id = Uuid::now_v7();
        let ts = now();
        let (frequency, interval, weekday, nth, day) = frequency_columns(new.cadence.frequency);
        let series = MeetingSeries {
            id,
            kind: new.kind,
            manager_id: new.manager_id,
            report_id: new.report_id,
            cadence: new.cadence.clone(),
            paused: false,
            agenda_template_id: new.agenda_template_id,
            version: 1,
            created_at: ts,
            updated_at: ts,
        };
        let new = new.clone();
        crate::on_tx!(self, conn => {
            sqlx::query(&format!(
                "INSERT INTO meeting_series ({SERIES_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16, $17)"
            ))
            .bind(id)
            .bind(new.kind.as_str())
            .bind(new.manager_id)
            .bind(new.report_id)
            .bind(frequency)
            .bind(interval)
            .bind(weekday)
            .bind(nth)
            .bind(day)
            .bind(new.cadence.local_time.format("%H:%M").to_string())
            .bind(new.cadence.time_zone.name())
            .bind(i32::from(new.cadence.duration_minutes))
            .bind(new.cadence.start_date)
            .bind(new.cadence.end_date)
            .bind(false)
            .bind(ts)
            .bind(new.agenda_template_id)
            .execute(&mut *conn)
            .await?;
        });
        self.refresh_series_lines(&series).await?;
        Ok(series)
    }

    /// A series set up or given a new cadence: when it falls behind follows, and for a
    /// `manager_report` series (the pair's cadence), the manager's line facts.
    async fn refresh_series_lines(&mut self, series: &MeetingSeries) -> StoreResult<()> {
        self.refresh_series_due(crate::attention::SeriesDue::Ids(&[series.id]))
            .await?;
        if series.kind == MeetingKind::ManagerReport {
            self.refresh_lines([series.manager_id]).await?;
        }
        Ok(())
    }

    /// Give a series a new cadence from `from` (a local date) on: its scheduled meetings still
    /// ahead (from `now`, on or after `from`) move to the new schedule in order, keeping their
    /// ids and agendas; held, skipped and cancelled ones stay where they were. Moved meetings
    /// the new schedule has no room for (it ends sooner) are removed when empty and kept
    /// otherwise. Fails with [`StoreError::Stale`] unless the series is at `expected_version`.
    pub async fn reschedule_series(
        &mut self,
        series: &MeetingSeries,
        expected_version: i64,
        cadence: &oneonone_domain::cadence::Cadence,
        now: DateTime<Utc>,
    ) -> StoreResult<(MeetingSeries, RescheduleEffects)> {
        let ts = crate::now();
        let (frequency, interval, weekday, nth, day) = frequency_columns(cadence.frequency);
        let from = cadence.start_date;
        let mut no_room = Vec::new();
        let before = self.series_meeting_facts(series.id).await?;
        let mut effects = crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE meeting_series SET frequency = $1, interval_weeks = $2, weekday = $3, \
                 nth = $4, day_of_month = $5, local_time = $6, time_zone = $7, \
                 duration_minutes = $8, start_date = $9, end_date = $10, updated_at = $11, \
                 version = version + 1 WHERE id = $12 AND version = $13",
            )
            .bind(frequency)
            .bind(interval)
            .bind(weekday)
            .bind(nth)
            .bind(day)
            .bind(cadence.local_time.format("%H:%M").to_string())
            .bind(cadence.time_zone.name())
            .bind(i32::from(cadence.duration_minutes))
            .bind(cadence.start_date)
            .bind(cadence.end_date)
            .bind(ts)
            .bind(series.id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
            let ahead: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id FROM meetings WHERE series_id = $1 AND status = $2 AND starts_at >= $3 \
                 AND occurrence_date >= $4 ORDER BY starts_at, id",
            )
            .bind(series.id)
            .bind(MeetingStatus::Scheduled.as_str())
            .bind(now)
            .bind(from)
            .fetch_all(&mut *conn)
            .await?;
            for id in &ahead {
                sqlx::query("UPDATE meetings SET occurrence_date = NULL WHERE id = $1")
                    .bind(*id)
                    .execute(&mut *conn)
                    .await?;
            }
            // Dates that meetings staying where they are still hold remain theirs.
            let held: std::collections::HashSet<NaiveDate> = {
                let rows: Vec<Option<NaiveDate>> = sqlx::query_scalar(
                    "SELECT occurrence_date FROM meetings WHERE series_id = $1",
                )
                .bind(series.id)
                .fetch_all(&mut *conn)
                .await?;
                rows.into_iter().flatten().collect()
            };
            let start = std::cmp::max(now, cadence.instant_on(from));
            let slots = cadence.occurrences_from(start, ahead.len() + held.len());
            let mut free = slots.into_iter().filter(|o| !held.contains(&o.local_date));
            let mut effects = RescheduleEffects::default();
            for id in &ahead {
                match free.next() {
                    Some(o) => {
                        sqlx::query(
                            "UPDATE meetings SET occurrence_date = $1, starts_at = $2, ends_at = $3, \
                             updated_at = $4, version = version + 1 WHERE id = $5",
                        )
                        .bind(o.local_date)
                        .bind(o.starts_at)
                        .bind(o.ends_at)
                        .bind(ts)
                        .bind(*id)
                        .execute(&mut *conn)
                        .await?;
                        effects.moved.push(*id);
                    }
                    None => no_room.push(*id),
                }
            }
            StoreResult::Ok(effects)
        })?;
        let moved: std::collections::HashSet<Uuid> = effects.moved.iter().copied().collect();
        let before = before
            .into_iter()
            .filter(|f| moved.contains(&f.id))
            .collect();
        self.settle_meetings(before, &effects.moved).await?;
        effects.removed = self.remove_upcoming(series.id, &no_room, now).await?;
        let series = self.get_series(series.id).await?;
        self.refresh_series_lines(&series).await?;
        Ok((series, effects))
    }

    /// Create a one-off meeting.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_meeting(
        &mut self,
        kind: MeetingKind,
        manager_id: Uuid,
        report_id: Uuid,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    ) -> StoreResult<Meeting> {
        let ts = now();
        let meeting = Meeting {
            id: Uuid::now_v7(),
            series_id: None,
            occurrence_date: None,
            kind,
            manager_id,
            report_id,
            starts_at,
            ends_at,
            status: MeetingStatus::Scheduled,
            held_at: None,
            actual_duration_minutes: None,
            version: 1,
            created_at: ts,
            updated_at: ts,
        };
        let meeting = crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO meetings (id, kind, manager_id, report_id, starts_at, ends_at, status, \
                 version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8)",
            )
            .bind(meeting.id)
            .bind(meeting.kind.as_str())
            .bind(meeting.manager_id)
            .bind(meeting.report_id)
            .bind(meeting.starts_at)
            .bind(meeting.ends_at)
            .bind(meeting.status.as_str())
            .bind(ts)
            .execute(&mut *conn)
            .await?;
            meeting
        });
        self.settle_meetings(Vec::new(), &[meeting.id]).await?;
        Ok(meeting)
    }
}

impl crate::Tx<'_> {
    /// Apply a status change or a reschedule, if the meeting is still at `expected_version`.
    /// (What follows from it — a top-up, talking points carried over — the use case decides.)
    pub async fn change_meeting(
        &mut self,
        id: Uuid,
        expected_version: i64,
        change: &MeetingChange,
    ) -> StoreResult<Meeting> {
        let ts = now();
        let change = change.clone();
        let before = self.meeting_facts(&[id]).await?;
        crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE meetings SET status = $1, starts_at = $2, ends_at = $3, held_at = $4, \
                 actual_duration_minutes = $5, updated_at = $6, version = version + 1 \
                 WHERE id = $7 AND version = $8",
            )
            .bind(change.status.as_str())
            .bind(change.starts_at)
            .bind(change.ends_at)
            .bind(change.held_at)
            .bind(change.actual_duration_minutes)
            .bind(ts)
            .bind(id)
            .bind(expected_version)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
        });
        self.settle_meetings(before, &[id]).await?;
        self.get_meeting(id).await
    }
    /// Pause or resume a series, or change its end date, if it is still at `expected_version`.
    /// Pausing (or ending earlier) removes the upcoming scheduled meetings that no longer fall in
    /// the series, as [`Tx::remove_upcoming`] does. Resuming fills the next meetings again.
    pub async fn change_series(
        &mut self,
        series: &MeetingSeries,
        expected_version: i64,
        paused: bool,
        end_date: Option<NaiveDate>,
        agenda_template_id: Option<Uuid>,
    ) -> StoreResult<(MeetingSeries, SeriesEffects)> {
        let ts = now();
        let mut updated = series.clone();
        updated.paused = paused;
        updated.cadence.end_date = end_date;
        updated.agenda_template_id = agenda_template_id;
        let new_template = agenda_template_id.filter(|t| series.agenda_template_id != Some(*t));
        let series_id = series.id;
        let candidates = crate::on_tx!(self, conn => {
            let done = sqlx::query(
                "UPDATE meeting_series SET paused = $1, end_date = $2, updated_at = $3, \
                 version = version + 1, agenda_template_id = $6 WHERE id = $4 AND version = $5",
            )
            .bind(paused)
            .bind(end_date)
            .bind(ts)
            .bind(series_id)
            .bind(expected_version)
            .bind(agenda_template_id)
            .execute(&mut *conn)
            .await?;
            crate::one_row_or_stale(done.rows_affected())?;
            let mut qb = QueryBuilder::new("SELECT id FROM meetings WHERE series_id = ");
            qb.push_bind(series_id)
                .push(" AND status = ")
                .push_bind(MeetingStatus::Scheduled.as_str())
                .push(" AND starts_at >= ")
                .push_bind(ts);
            if !paused {
                match end_date {
                    Some(end) => {
                        qb.push(" AND occurrence_date > ").push_bind(end);
                    }
                    None => {
                        qb.push(" AND 1 = 0");
                    }
                }
            }
            let candidates: Vec<Uuid> = qb.build_query_scalar().fetch_all(&mut *conn).await?;
            StoreResult::Ok(candidates)
        })?;
        let removed = self.remove_upcoming(series_id, &candidates, ts).await?;
        crate::on_tx!(self, conn => {
            if let Some(t) = new_template {
                // A new default template also reaches the meetings already scheduled.
                let template = crate::library::fetch_template!(&mut *conn, t);
                let waiting: Vec<Uuid> = sqlx::query_scalar(
                    "SELECT id FROM meetings WHERE series_id = $1 AND status = $2 AND starts_at >= $3 \
                     AND NOT EXISTS (SELECT 1 FROM agenda_items a WHERE a.meeting_id = meetings.id \
                     AND a.template_id = $4)",
                )
                .bind(series_id)
                .bind(MeetingStatus::Scheduled.as_str())
                .bind(ts)
                .bind(t)
                .fetch_all(&mut *conn)
                .await?;
                for meeting_id in waiting {
                    crate::agenda::insert_template_items!(
                        &mut *conn, meeting_id, updated.manager_id, &template, ts
                    );
                }
            }
            StoreResult::Ok(())
        })?;
        let series = self.get_series(series.id).await?;
        self.refresh_series_lines(&series).await?;
        Ok((series, SeriesEffects { removed }))
    }
    /// Remove those of these upcoming meetings of a series that hold nothing both participants
    /// can see ([`NOTHING_SHARED`]); meetings with shared content stay, so nothing shared is
    /// lost. What is private on a meeting that goes (its author's talking points, their starter
    /// uses, their private note) moves to the series' next meeting that stays, or when none
    /// does to its latest one, so nothing private is lost either, and what stays reveals nothing
    /// of it. Should no meeting of the series stay at all, the earliest of those that would go
    /// stays (a rule on what both see). A template's untouched points go with their meeting.
    pub async fn remove_upcoming(
        &mut self,
        series_id: Uuid,
        candidates: &[Uuid],
        now: DateTime<Utc>,
    ) -> StoreResult<Removed> {
        if candidates.is_empty() {
            return Ok(Removed::default());
        }
        let candidates = candidates.to_vec();
        let plan = crate::on_tx!(self, conn => {
            let mut going_q = QueryBuilder::new("SELECT id FROM meetings WHERE id IN (");
            let mut list = going_q.separated(", ");
            for id in &candidates {
                list.push_bind(*id);
            }
            going_q.push(") AND ").push(NOTHING_SHARED).push(" ORDER BY starts_at, id");
            let mut going: Vec<Uuid> = going_q.build_query_scalar().fetch_all(&mut *conn).await?;
            if going.is_empty() {
                return Ok(Removed::default());
            }
            let mut staying_q = QueryBuilder::new("SELECT id, status, starts_at FROM meetings WHERE series_id = ");
            staying_q.push_bind(series_id).push(" AND id NOT IN (");
            let mut list = staying_q.separated(", ");
            for id in &going {
                list.push_bind(*id);
            }
            staying_q.push(")");
            let staying: Vec<(Uuid, String, DateTime<Utc>)> =
                staying_q.build_query_as().fetch_all(&mut *conn).await?;
            let upcoming = |status: &str, starts_at: DateTime<Utc>| {
                status == MeetingStatus::Scheduled.as_str() && starts_at >= now
            };
            let next = staying
                .iter()
                .filter(|(_, status, at)| upcoming(status, *at))
                .min_by_key(|(id, _, at)| (*at, *id))
                .or_else(|| staying.iter().max_by_key(|(id, _, at)| (*at, *id)))
                .map(|(id, _, _)| *id);
            let to = match next {
                Some(to) => to,
                None => going.remove(0),
            };
            StoreResult::Ok(Some((going, to)))
        })?;
        let Some((going, to)) = plan else {
            return Ok(Removed::default());
        };
        let mut removed = Removed::default();
        let before = self.meeting_facts(&going).await?;
        let holding = self.holding_private_content(&going, None).await?;
        for from in going {
            if holding.contains(&from) {
                let moved = self.move_private_content(from, to, None).await?;
                removed.private_items.extend(moved);
            }
            crate::on_tx!(self, conn => {
                sqlx::query("DELETE FROM agenda_items WHERE meeting_id = $1")
                    .bind(from)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM meetings WHERE id = $1")
                    .bind(from)
                    .execute(&mut *conn)
                    .await?;
                StoreResult::Ok(())
            })?;
            removed.meetings.push(from);
        }
        self.settle_meetings(before, &removed.meetings).await?;
        Ok(removed)
    }

    /// Those of `meetings` that hold private content (talking points or notes), of `author`
    /// alone or of anyone: one query, so that moving it costs nothing where there is none.
    pub async fn holding_private_content(
        &mut self,
        meetings: &[Uuid],
        author: Option<Uuid>,
    ) -> StoreResult<Vec<Uuid>> {
        if meetings.is_empty() {
            return Ok(Vec::new());
        }
        let meetings = meetings.to_vec();
        crate::on_tx!(read self, conn => {
            let mut q = QueryBuilder::new("SELECT id FROM meetings WHERE id IN (");
            let mut list = q.separated(", ");
            for id in &meetings {
                list.push_bind(*id);
            }
            q.push(") AND (EXISTS (SELECT 1 FROM agenda_items a WHERE a.meeting_id = meetings.id AND a.private = ")
                .push_bind(true);
            if let Some(a) = author {
                q.push(" AND a.author_id = ").push_bind(a);
            }
            q.push(") OR EXISTS (SELECT 1 FROM meeting_notes n WHERE n.meeting_id = meetings.id AND ");
            match author {
                Some(a) => q.push("n.owner_key = ").push_bind(a.to_string()),
                None => q.push("n.owner_key <> 'shared'"),
            };
            q.push("))");
            Ok(q.build_query_scalar().fetch_all(&mut *conn).await?)
        })
    }

    /// Move the private content on meeting `from` (of `author` alone, or of anyone) to meeting
    /// `to`, where its author can still reach it: talking points with their starter uses, and
    /// private notes (joining the note the author already has there, if any).
    pub async fn move_private_content(
        &mut self,
        from: Uuid,
        to: Uuid,
        author: Option<Uuid>,
    ) -> StoreResult<Vec<MovedItem>> {
        let ts = crate::now();
        let owner = author.map(|a| a.to_string());
        crate::on_tx!(self, conn => {
            let items: Vec<(Uuid, Uuid)> = sqlx::query_as(
                "UPDATE agenda_items SET meeting_id = $1, position = NULL, updated_at = $2, \
                 version = version + 1 WHERE meeting_id = $3 AND private = $4 \
                 AND ($5 IS NULL OR author_id = $5) RETURNING id, author_id",
            )
            .bind(to)
            .bind(ts)
            .bind(from)
            .bind(true)
            .bind(author)
            .fetch_all(&mut *conn)
            .await?;
            // The starter uses of the points that just moved.
            sqlx::query(
                "UPDATE starter_uses SET meeting_id = $1 WHERE meeting_id = $2 AND agenda_item_id \
                 IN (SELECT id FROM agenda_items WHERE meeting_id = $1)",
            )
            .bind(to)
            .bind(from)
            .execute(&mut *conn)
            .await?;
            // The private notes to move: all but the shared one, or the author's.
            let notes = "owner_key <> 'shared' AND ($3 IS NULL OR owner_key = $3)";
            sqlx::query(&format!(
                "UPDATE meeting_notes SET body = body || $1 || (SELECT f.body FROM \
                 meeting_notes f WHERE f.meeting_id = $2 AND f.owner_key = meeting_notes.owner_key), \
                 version = version + 1, updated_at = $4 WHERE meeting_id = $5 AND owner_key IN \
                 (SELECT owner_key FROM meeting_notes WHERE meeting_id = $2 AND {notes})"
            ))
            .bind(NOTE_JOINER)
            .bind(from)
            .bind(owner.as_deref())
            .bind(ts)
            .bind(to)
            .execute(&mut *conn)
            .await?;
            sqlx::query(&format!(
                "DELETE FROM meeting_notes WHERE meeting_id = $1 AND {notes} AND owner_key IN \
                 (SELECT owner_key FROM meeting_notes WHERE meeting_id = $2)"
            ))
            .bind(from)
            .bind(to)
            .bind(owner.as_deref())
            .execute(&mut *conn)
            .await?;
            sqlx::query(&format!(
                "UPDATE meeting_notes SET meeting_id = $1 WHERE meeting_id = $2 AND {notes}"
            ))
            .bind(to)
            .bind(from)
            .bind(owner.as_deref())
            .execute(&mut *conn)
            .await?;
            Ok(items
                .into_iter()
                .map(|(id, author_id)| MovedItem {
                    id,
                    private_to: Some(author_id),
                    from_meeting_id: from,
                    to_meeting_id: to,
                })
                .collect())
        })
    }

    /// The latest meeting of `meeting`'s series that `manager` holds (held, or still theirs):
    /// where a previous manager's private content goes when the series is handed over.
    pub async fn latest_meeting_held_by(
        &mut self,
        meeting: Uuid,
        manager: Uuid,
    ) -> StoreResult<Option<Uuid>> {
        crate::on_tx!(read self, conn => {
            Ok(sqlx::query_scalar(
                "SELECT id FROM meetings WHERE manager_id = $1 AND series_id = \
                 (SELECT series_id FROM meetings WHERE id = $2) ORDER BY starts_at DESC, id DESC \
                 LIMIT 1",
            )
            .bind(manager)
            .bind(meeting)
            .fetch_optional(&mut *conn)
            .await?)
        })
    }
    /// Record (or replace) `person`'s rating of a meeting.
    pub async fn rate_meeting(
        &mut self,
        meeting_id: Uuid,
        person: Uuid,
        useful: i32,
        expectations_clear: Option<i32>,
    ) -> StoreResult<Rating> {
        let ts = now();
        let rating = Rating {
            person_id: person,
            useful,
            expectations_clear,
            updated_at: ts,
        };
        StoreResult::Ok(crate::on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO meeting_ratings (meeting_id, person_id, useful, expectations_clear, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                 ON CONFLICT (meeting_id, person_id) DO UPDATE SET useful = $3, \
                 expectations_clear = $4, updated_at = $5",
            )
            .bind(meeting_id)
            .bind(rating.person_id)
            .bind(rating.useful)
            .bind(rating.expectations_clear)
            .bind(ts)
            .execute(&mut *conn)
            .await?;
            rating
        }))
    }
}

crate::read_both! {
    pub async fn get_series(id: Uuid) -> StoreResult<MeetingSeries>, ex => {
            let row: Option<SeriesRow> = sqlx::query_as(&format!(
                "SELECT {SERIES_COLUMNS} FROM meeting_series WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(ex)
            .await?;
            row.ok_or(StoreError::NotFound)?.into_series()
        }
}

crate::read_both! {
    pub async fn get_meeting(id: Uuid) -> StoreResult<Meeting>, ex => {
            let row: Option<MeetingRow> = sqlx::query_as(&format!(
                "SELECT {MEETING_COLUMNS} FROM meetings WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(ex)
            .await?;
            row.ok_or(StoreError::NotFound)?.into_meeting()
        }
}

/// `SELECT` where the series `s` stands at `at` (for deciding its top-up): (id, its last
/// meeting's start, how many scheduled ones lie ahead) `FROM meeting_series s`. Both read the
/// index by (series, start): its last entry, and the few from `at` on (not every meeting the
/// series ever had).
fn push_schedule_state<'a, DB: sqlx::Database>(qb: &mut QueryBuilder<'a, DB>, at: DateTime<Utc>)
where
    DateTime<Utc>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    qb.push(
        "SELECT s.id, (SELECT MAX(m.starts_at) FROM meetings m WHERE m.series_id = s.id), \
         (SELECT COUNT(*) FROM meetings m WHERE m.series_id = s.id AND m.starts_at >= ",
    )
    .push_bind(at)
    .push(" AND m.status = 'scheduled') FROM meeting_series s WHERE s.id IN (");
}

type StateRow = (Uuid, Option<DateTime<Utc>>, i64);

fn schedule_state_of((_, last_start, upcoming): StateRow) -> ScheduleState {
    ScheduleState {
        last_start,
        upcoming: usize::try_from(upcoming).unwrap_or(0),
    }
}

impl Database {
    /// Where each of these series stands at `at`, read without a transaction: a pass over
    /// every series opens one only for those with something to schedule. A series missing
    /// from the answer no longer exists.
    pub async fn schedule_states(
        &self,
        series: &[Uuid],
        at: DateTime<Utc>,
    ) -> StoreResult<std::collections::HashMap<Uuid, ScheduleState>> {
        if series.is_empty() {
            return Ok(Default::default());
        }
        let rows: Vec<StateRow> = with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("");
            push_schedule_state(&mut qb, at);
            let mut list = qb.separated(", ");
            for id in series {
                list.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|row| (row.0, schedule_state_of(row)))
            .collect())
    }
}

impl crate::Tx<'_> {
    /// Where a series' meetings stand at `at` (for deciding its top-up), in one query.
    pub async fn schedule_state(
        &mut self,
        series_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<ScheduleState> {
        crate::on_tx!(read self, conn => {
            let mut qb = QueryBuilder::new("");
            push_schedule_state(&mut qb, at);
            qb.push_bind(series_id).push(")");
            let row: Option<StateRow> = qb.build_query_as().fetch_optional(&mut *conn).await?;
            Ok(row.map_or(ScheduleState::default(), schedule_state_of))
        })
    }

    /// Schedule these occurrences of a series as meetings, each with the series' template's
    /// talking points; a slot already taken is left alone. The ids of the meetings added.
    pub async fn schedule_meetings(
        &mut self,
        series: &MeetingSeries,
        occurrences: &[Occurrence],
    ) -> StoreResult<Vec<Uuid>> {
        let ts = now();
        let scheduled = crate::on_tx!(self, conn => {
            let template = match series.agenda_template_id {
                Some(t) => Some(crate::library::fetch_template!(&mut *conn, t)),
                None => None,
            };
            let mut scheduled = Vec::with_capacity(occurrences.len());
            for occ in occurrences {
                let meeting_id = Uuid::now_v7();
                let added = sqlx::query(
                    "INSERT INTO meetings (id, series_id, occurrence_date, kind, manager_id, \
                     report_id, starts_at, ends_at, status, version, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) \
                     ON CONFLICT (series_id, occurrence_date) DO NOTHING",
                )
                .bind(meeting_id)
                .bind(series.id)
                .bind(occ.local_date)
                .bind(series.kind.as_str())
                .bind(series.manager_id)
                .bind(series.report_id)
                .bind(occ.starts_at)
                .bind(occ.ends_at)
                .bind(MeetingStatus::Scheduled.as_str())
                .bind(ts)
                .execute(&mut *conn)
                .await?;
                if added.rows_affected() == 1 {
                    scheduled.push(meeting_id);
                    if let Some(template) = &template {
                        crate::agenda::insert_template_items!(
                            &mut *conn,
                            meeting_id,
                            series.manager_id,
                            template,
                            ts
                        );
                    }
                }
            }
            scheduled
        });
        self.settle_meetings(Vec::new(), &scheduled).await?;
        Ok(scheduled)
    }

    /// Move a meeting's undiscussed talking points (unchecked, except those of `keep_template`,
    /// which come with every meeting by themselves) to meeting `to`.
    pub async fn carry_items(
        &mut self,
        from: Uuid,
        to: Uuid,
        keep_template: Option<Uuid>,
    ) -> StoreResult<Vec<MovedItem>> {
        let ts = now();
        let before = self.meeting_facts(&[from, to]).await?;
        let moved = crate::on_tx!(self, conn => {
            let carried: Vec<(Uuid, Uuid, bool)> = sqlx::query_as(
                "UPDATE agenda_items SET meeting_id = $1, times_carried = times_carried + 1, \
                 position = NULL, updated_at = $2, version = version + 1 \
                 WHERE meeting_id = $3 AND checked = $4 \
                 AND ($5 IS NULL OR template_id IS NULL OR template_id <> $5) \
                 RETURNING id, author_id, private",
            )
            .bind(to)
            .bind(ts)
            .bind(from)
            .bind(false)
            .bind(keep_template)
            .fetch_all(&mut *conn)
            .await?;
            carried
                .into_iter()
                .map(|(id, author, private)| MovedItem {
                    id,
                    private_to: private.then_some(author),
                    from_meeting_id: from,
                    to_meeting_id: to,
                })
                .collect::<Vec<_>>()
        });
        self.settle_meetings(before, &[from, to]).await?;
        Ok(moved)
    }

    /// The latest meeting of a series starting before `before`, when it is no longer scheduled
    /// (held, skipped or cancelled): where talking points wait when the series had no next
    /// meeting to carry them to.
    pub async fn last_past_meeting(
        &mut self,
        series_id: Uuid,
        before: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>> {
        crate::on_tx!(read self, conn => {
            let last: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT id, status FROM meetings WHERE series_id = $1 AND starts_at < $2 \
                 ORDER BY starts_at DESC, id DESC LIMIT 1",
            )
            .bind(series_id)
            .bind(before)
            .fetch_optional(&mut *conn)
            .await?;
            Ok(last
                .filter(|(_, status)| status != MeetingStatus::Scheduled.as_str())
                .map(|(id, _)| id))
        })
    }

    /// The next scheduled meeting after `meeting` (starting after `after`): of its series, or
    /// for a one-off, of the same pair.
    pub async fn next_scheduled(
        &mut self,
        meeting: &Meeting,
        after: DateTime<Utc>,
    ) -> StoreResult<Option<Uuid>> {
        crate::on_tx!(read self, conn => {
            let mut next = QueryBuilder::new("SELECT id FROM meetings WHERE ");
            match meeting.series_id {
                Some(series) => next.push("series_id = ").push_bind(series),
                None => next
                    .push("manager_id = ")
                    .push_bind(meeting.manager_id)
                    .push(" AND report_id = ")
                    .push_bind(meeting.report_id),
            };
            next.push(" AND status = ")
                .push_bind(MeetingStatus::Scheduled.as_str())
                .push(" AND id <> ")
                .push_bind(meeting.id)
                .push(" AND starts_at > ")
                .push_bind(after)
                .push(" ORDER BY starts_at, id LIMIT 1");
            Ok(next.build_query_scalar().fetch_optional(&mut *conn).await?)
        })
    }
}

impl Database {
    /// What a person's calendar shows: the series they take part in, and the meetings of those
    /// series and their own meetings (one-offs, and the history of series since handed over).
    pub async fn calendar_of(
        &self,
        person: Uuid,
    ) -> StoreResult<(Vec<MeetingSeries>, Vec<Meeting>)> {
        with_pool!(self, pool => {
            let series: Vec<SeriesRow> = sqlx::query_as(&format!(
                "SELECT {SERIES_COLUMNS} FROM meeting_series WHERE manager_id = $1 \
                 UNION SELECT {SERIES_COLUMNS} FROM meeting_series WHERE report_id = $1"
            ))
            .bind(person)
            .fetch_all(pool)
            .await?;
            let meetings: Vec<MeetingRow> = sqlx::query_as(&format!(
                "SELECT {MEETING_COLUMNS} FROM meetings WHERE manager_id = $1 \
                 UNION SELECT {MEETING_COLUMNS} FROM meetings WHERE report_id = $1 \
                 UNION SELECT {MEETING_COLUMNS} FROM meetings WHERE series_id IN \
                 (SELECT id FROM meeting_series WHERE manager_id = $1 OR report_id = $1) \
                 ORDER BY starts_at, id"
            ))
            .bind(person)
            .fetch_all(pool)
            .await?;
            let mut series = series
                .into_iter()
                .map(SeriesRow::into_series)
                .collect::<StoreResult<Vec<_>>>()?;
            series.sort_by_key(|s| s.id);
            let meetings = meetings
                .into_iter()
                .map(MeetingRow::into_meeting)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((series, meetings))
        })
    }
}
