//! Closed months of 1:1 ratings: once a month has closed (no rating of it can change any
//! more), its raters are cut into cells and the shown groups' figures are kept for good (see
//! [`oneonone_domain::program::rating_groups`]). The background job closes each month as it
//! closes ([`close_due`]), the seed its history's; a report that finds one still open closes it
//! first. Each month is closed once, whichever replica gets there first.
//!
//! The month's raters and everyone's position are read before the change (two statements on
//! a reader: seconds at 100,000 people, which the writer would otherwise wait for); the change
//! only claims the month and keeps its groups.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use oneonone_domain::enps::{Lines, Position};
use oneonone_domain::program::{self, RaterScores};
use oneonone_persistence::ratings::{Measure, RatingGroupRow};

use crate::{Database, Result};

/// Close every month of `months` (first days, each closed by now) that is not closed yet.
pub async fn close_months(
    db: &Database,
    months: &[NaiveDate],
    now: DateTime<Utc>,
    min_group: u32,
) -> Result<()> {
    let closed = db.closed_rating_months(months).await?;
    for month in months.iter().copied().filter(|m| !closed.contains(m)) {
        close(db, month, now, min_group).await?;
    }
    Ok(())
}

/// Close every month that has closed by `now`, from the month of the first held 1:1 on, and
/// say how many were closed now. What the background job runs, and the seed at its end.
pub async fn close_due(db: &Database, now: DateTime<Utc>, min_group: u32) -> Result<usize> {
    let Some(first) = db.first_held_start().await? else {
        return Ok(0);
    };
    let (last, _) = oneonone_domain::attention::closed_months(now.date_naive())[1];
    let mut months = Vec::new();
    let mut month = first
        .date_naive()
        .with_day0(0)
        .unwrap_or(first.date_naive());
    while month <= last {
        months.push(month);
        let Some(next) = month.checked_add_months(Months::new(1)) else {
            break;
        };
        month = next;
    }
    let before = db.closed_rating_months(&months).await?.len();
    close_months(db, &months, now, min_group).await?;
    Ok(months.len() - before)
}

async fn close(db: &Database, month: NaiveDate, now: DateTime<Utc>, min_group: u32) -> Result<()> {
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let until = month
        .checked_add_months(Months::new(1))
        .map_or(now, midnight);
    let people = db.positions().await?;
    let raters = db.month_raters(midnight(month), until).await?;
    let lines: Lines = people
        .iter()
        .filter_map(|p| p.manager_id.map(|m| (p.id, m)))
        .collect();
    let position: std::collections::HashMap<_, _> = people
        .into_iter()
        .map(|p| {
            (
                p.id,
                Position {
                    department: p.department,
                    manager: p.manager_id,
                },
            )
        })
        .collect();
    let mut rows: Vec<RatingGroupRow> = Vec::new();
    for measure in Measure::ALL {
        let scores: Vec<RaterScores> = raters
            .iter()
            .filter_map(|r| {
                let (ratings, total) = r.of(measure);
                (ratings > 0).then_some(())?;
                Some(RaterScores {
                    position: position.get(&r.person_id)?.clone(),
                    ratings: u32::try_from(ratings).unwrap_or(0),
                    total: u32::try_from(total).unwrap_or(0),
                })
            })
            .collect();
        let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        rows.extend(
            program::rating_groups(min_group as usize, &lines, &scores)
                .into_iter()
                .map(|g| {
                    let (kind, key) = g.key.parts();
                    RatingGroupRow {
                        month,
                        measure: measure.as_str().to_owned(),
                        group_kind: kind.to_owned(),
                        group_key: key,
                        raters: int(g.raters),
                        ratings: int(g.ratings),
                        total: int(g.total),
                    }
                }),
        );
    }
    db.transact(move |tx| {
        Box::pin(async move {
            if tx.claim_rating_month(month, now).await? {
                tx.store_rating_groups(&rows).await?;
            }
            Ok(())
        })
    })
    .await
}
