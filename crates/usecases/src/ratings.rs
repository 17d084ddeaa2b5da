//! Closed months of 1:1 ratings: when a report first needs a month that has closed (no rating
//! of it can change any more), its raters are cut into cells and the shown groups' figures are
//! kept for good (see [`oneonone_domain::program::rating_groups`]). Each month is closed once,
//! in one transaction, whichever replica gets there first.

use chrono::{DateTime, NaiveDate, Utc};
use oneonone_domain::enps::{Lines, Position};
use oneonone_domain::program::{self, RaterScores};
use oneonone_persistence::ratings::{Measure, RatingGroupRow};

use crate::{Database, Result, Tx};

/// Close every month of `months` (first days, each closed by now) that is not closed yet.
pub async fn close_months(
    db: &Database,
    months: &[NaiveDate],
    now: DateTime<Utc>,
    min_group: u32,
) -> Result<()> {
    let closed = db.closed_rating_months(months).await?;
    for month in months.iter().copied().filter(|m| !closed.contains(m)) {
        db.transact(move |tx| Box::pin(async move { close(tx, month, now, min_group).await }))
            .await?;
    }
    Ok(())
}

async fn close(
    tx: &mut Tx<'_>,
    month: NaiveDate,
    now: DateTime<Utc>,
    min_group: u32,
) -> Result<()> {
    if !tx.claim_rating_month(month, now).await? {
        return Ok(());
    }
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let until = month
        .checked_add_months(chrono::Months::new(1))
        .map_or(now, midnight);
    let lines: Lines = tx
        .reporting_lines()
        .await?
        .into_iter()
        .filter_map(|(id, manager, _)| manager.map(|m| (id, m)))
        .collect();
    for measure in Measure::ALL {
        let raters: Vec<RaterScores> = tx
            .month_raters(measure, midnight(month), until)
            .await?
            .into_iter()
            .map(|r| RaterScores {
                position: Position {
                    department: r.department,
                    manager: r.manager_id,
                },
                ratings: u32::try_from(r.ratings).unwrap_or(0),
                total: u32::try_from(r.total).unwrap_or(0),
            })
            .collect();
        let rows: Vec<RatingGroupRow> = program::rating_groups(min_group as usize, &lines, &raters)
            .into_iter()
            .map(|g| {
                let (kind, key) = g.key.parts();
                let int = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
                RatingGroupRow {
                    month,
                    measure: measure.as_str().to_owned(),
                    group_kind: kind.to_owned(),
                    group_key: key,
                    raters: int(g.raters),
                    ratings: int(g.ratings),
                    total: int(g.total),
                }
            })
            .collect();
        tx.store_rating_groups(&rows).await?;
    }
    Ok(())
}
