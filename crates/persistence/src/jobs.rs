//! The job queue of outgoing channels (webhooks today): what is to be sent, to whom, how often
//! it was tried, and which worker holds it.
//!
//! **Claiming.** A worker claims due jobs in one statement that sets its id, a lease
//! (`claimed_until`) and counts the attempt. On PostgreSQL the candidates are locked with
//! `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take different jobs without waiting
//! on each other; on SQLite the one writer runs claims one after another. A job whose worker
//! died (SIGKILL, power) is claimed again when its lease ends: the receiver may then get it
//! twice, with the same id, which is what lets it de-duplicate. A job recorded as delivered is
//! never sent again (short of an explicit redelivery).
//!
//! **Order.** Jobs of one target about one record go out in the order they were queued: a job
//! is not claimed while an older job of the same (target, subject) is pending.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::events::{Event, LogPosition};
use crate::{Backend, Database, StoreError, StoreResult, Tx, now, on_tx, with_pool, with_writer};

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: Uuid,
    pub channel: &'static str,
    pub target_id: Uuid,
    /// The event it carries, if any: a target gets each event once.
    pub event_id: Option<Uuid>,
    pub kind: String,
    /// The record it is about (jobs about one record keep their order).
    pub subject_id: Uuid,
    pub payload: String,
    /// Retried until then, then dead.
    pub deadline: DateTime<Utc>,
    /// Not sent before then (a reminder queued ahead of its time); `None`: at once.
    pub not_before: Option<DateTime<Utc>>,
}

/// A job as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRecord {
    pub seq: i64,
    pub id: Uuid,
    pub channel: String,
    pub target_id: Uuid,
    pub event_id: Option<Uuid>,
    pub kind: String,
    pub subject_id: Uuid,
    pub payload: String,
    /// `pending`, `delivered`, `dead` or `dropped` (no longer needed, never sent).
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub claimed_by: Option<Uuid>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// One attempt of a job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRecord {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub job_id: Uuid,
    pub attempt: i32,
    pub worker: Uuid,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// `None`: delivered. `Some(at)`: failed, to be tried again at `at` (dead if that is past
    /// the job's deadline).
    pub retry_at: Option<DateTime<Utc>>,
}

/// What became of a job after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Delivered,
    Retrying,
    Dead,
    /// Someone else settled it first (a redelivery, a worker that took over the claim).
    Unchanged,
}

/// Counts of one channel's queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QueueCounts {
    pub channel: String,
    /// Due or waiting, never tried yet.
    pub pending: i64,
    /// Failed at least once, to be tried again.
    pub retrying: i64,
    /// Gave up after the retry window.
    pub dead: i64,
}

const JOB_COLUMNS: &str = "seq, id, channel, target_id, event_id, kind, subject_id, payload, \
    state, attempts, next_attempt_at, deadline, claimed_by, claimed_until, last_status, \
    last_error, created_at, finished_at";

const EVENT_COLUMNS: &str = "txid, position, id, kind, subject_type, subject_id, actor_id, \
    actor_token, manager_id, report_id, private_to, content, data, occurred_at";

/// Events after ($1, $2) that every reader may read now, in log order. On PostgreSQL, below
/// the oldest transaction still running (see `events`); on SQLite `txid` is always 0 and the
/// position (the row id) alone orders the log, so the condition is a range of row ids.
pub(crate) fn after_in_order(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "position > $2 AND txid >= $1 ORDER BY position",
        Backend::Postgres => {
            "(txid > $1 OR (txid = $1 AND position > $2)) \
             AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
             ORDER BY txid, position"
        }
    }
}

impl Database {
    /// Where a reader of the log stands.
    pub async fn log_cursor(&self, name: &str) -> StoreResult<LogPosition> {
        let name = name.to_owned();
        with_pool!(self, pool => {
            let row: Option<(i64, i64)> =
                sqlx::query_as("SELECT txid, position FROM log_cursors WHERE name = $1")
                    .bind(&name)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(txid, position)| LogPosition { txid, position }).unwrap_or_default())
        })
    }

    /// The last event every reader may read now (`(0, 0)` for an empty log).
    pub async fn log_head(&self) -> StoreResult<LogPosition> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT txid, position FROM events ORDER BY position DESC LIMIT 1",
            Backend::Postgres => {
                "SELECT txid, position FROM events \
                 WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
                 ORDER BY txid DESC, position DESC LIMIT 1"
            }
        };
        with_pool!(self, pool => {
            let row: Option<(i64, i64)> = sqlx::query_as(sql).fetch_optional(pool).await?;
            Ok(row.map(|(txid, position)| LogPosition { txid, position }).unwrap_or_default())
        })
    }

    /// Move a reader's cursor from `from` to `to`, unless someone moved it meanwhile.
    pub async fn move_log_cursor(
        &self,
        name: &str,
        from: LogPosition,
        to: LogPosition,
    ) -> StoreResult<()> {
        let name = name.to_owned();
        with_writer!(self, conn => {
            sqlx::query(
                "UPDATE log_cursors SET txid = $2, position = $3 \
                 WHERE name = $1 AND txid = $4 AND position = $5",
            )
            .bind(&name)
            .bind(to.txid)
            .bind(to.position)
            .bind(from.txid)
            .bind(from.position)
            .execute(&mut *conn)
            .await?;
        })
    }

    /// Whether any job of the channel is due now (a cheap read before claiming).
    pub async fn jobs_due(&self, channel: &str, at: DateTime<Utc>) -> StoreResult<bool> {
        let channel = channel.to_owned();
        with_pool!(self, pool => {
            let due: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM jobs WHERE state = 'pending' AND next_attempt_at <= $1 \
                 AND channel = $2 AND (claimed_until IS NULL OR claimed_until < $1) LIMIT 1",
            )
            .bind(at)
            .bind(&channel)
            .fetch_optional(pool)
            .await?;
            Ok(due.is_some())
        })
    }

    /// Claim up to `limit` due jobs of a channel, for `worker`, until `lease_until`; each
    /// claim counts an attempt. A webhook's jobs wait while its subscription is off.
    pub async fn claim_jobs(
        &self,
        channel: &'static str,
        worker: Uuid,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<JobRecord>> {
        // Candidates in queue order (`jobs_pending`), each the oldest pending job of its
        // (target, subject): one probe of `jobs_in_order` per candidate.
        let lock = match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE OF j SKIP LOCKED",
        };
        // A correlated subquery, not a join: a join lets the planner start from the
        // subscriptions and sort every pending job before it takes the first few (measured:
        // ~200 ms a claim with 30,000 pending); this way the claim walks `jobs_pending` in
        // queue order and stops at `limit`.
        let active = if channel == "webhook" {
            "AND COALESCE((SELECT s.active FROM webhook_subscriptions s \
               WHERE s.id = j.target_id), FALSE) = TRUE"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE jobs SET claimed_by = $1, claimed_until = $3, attempts = attempts + 1 \
             WHERE seq IN (SELECT j.seq FROM jobs j \
               WHERE j.state = 'pending' AND j.channel = $5 AND j.next_attempt_at <= $2 {active} \
               AND (j.claimed_until IS NULL OR j.claimed_until < $2) \
               AND j.seq = (SELECT MIN(o.seq) FROM jobs o WHERE o.target_id = j.target_id \
                 AND o.subject_id = j.subject_id AND o.state = 'pending') \
               ORDER BY j.seq LIMIT $4 {lock}) \
             RETURNING {JOB_COLUMNS}"
        );
        with_writer!(self, conn => {
            let rows: Vec<JobRecord> = sqlx::query_as(&sql)
                .bind(worker)
                .bind(at)
                .bind(lease_until)
                .bind(limit)
                .bind(channel)
                .fetch_all(&mut *conn)
                .await?;
            rows
        })
    }

    /// Give up a claimed job that is no longer needed (a reminder for a 1:1 that moved or was
    /// cancelled, a kind of email its recipient turned off): it ends `dropped`, unsent.
    pub async fn drop_job(&self, id: Uuid, worker: Uuid, reason: &str) -> StoreResult<bool> {
        let (ts, reason) = (now(), reason.to_owned());
        with_writer!(self, conn => {
            sqlx::query(
                "UPDATE jobs SET state = 'dropped', finished_at = $3, last_error = $4, \
                 claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $1 AND state = 'pending' AND claimed_by = $2",
            )
            .bind(id)
            .bind(worker)
            .bind(ts)
            .bind(&reason)
            .execute(&mut *conn)
            .await?
            .rows_affected()
                > 0
        })
    }

    /// Record deliveries the receivers answered 2xx, and their attempts, at once (PostgreSQL:
    /// one statement; SQLite: one job of the writer). A delivered job stays delivered whoever
    /// holds its claim now: the receiver has it.
    pub async fn settle_delivered(&self, done: &[AttemptOutcome]) -> StoreResult<u64> {
        if done.is_empty() {
            return Ok(0);
        }
        let ts = now();
        match self {
            Database::Postgres(pool) => {
                let ids: Vec<Uuid> = done.iter().map(|o| o.job_id).collect();
                let attempts: Vec<i32> = done.iter().map(|o| o.attempt).collect();
                let workers: Vec<Uuid> = done.iter().map(|o| o.worker).collect();
                let started: Vec<DateTime<Utc>> = done.iter().map(|o| o.started_at).collect();
                let durations: Vec<i64> = done.iter().map(|o| o.duration_ms).collect();
                let statuses: Vec<Option<i32>> = done.iter().map(|o| o.status_code).collect();
                let updated = sqlx::query(
                    "WITH done AS (SELECT * FROM UNNEST($1::uuid[], $2::int4[], $3::uuid[], \
                       $4::timestamptz[], $5::int8[], $6::int4[]) \
                       AS d(job_id, attempt, worker, started_at, duration_ms, status_code)), \
                     attempts AS (INSERT INTO job_attempts (job_id, attempt, worker, started_at, \
                       duration_ms, status_code) \
                       SELECT job_id, attempt, worker, started_at, duration_ms, status_code FROM done \
                       ON CONFLICT (job_id, attempt) DO NOTHING) \
                     UPDATE jobs j SET state = 'delivered', finished_at = $7, \
                       last_status = d.status_code, last_error = NULL, claimed_by = NULL, \
                       claimed_until = NULL \
                     FROM done d WHERE j.id = d.job_id AND j.state = 'pending'",
                )
                .bind(ids)
                .bind(attempts)
                .bind(workers)
                .bind(started)
                .bind(durations)
                .bind(statuses)
                .bind(ts)
                .execute(pool)
                .await?
                .rows_affected();
                Ok(updated)
            }
            Database::Sqlite(_) => {
                let done = done.to_vec();
                with_writer!(self, conn => {
                    let mut updated = 0;
                    for o in &done {
                        sqlx::query(
                            "INSERT INTO job_attempts (job_id, attempt, worker, started_at, \
                             duration_ms, status_code) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (job_id, attempt) DO NOTHING",
                        )
                        .bind(o.job_id)
                        .bind(o.attempt)
                        .bind(o.worker)
                        .bind(o.started_at)
                        .bind(o.duration_ms)
                        .bind(o.status_code)
                        .execute(&mut *conn)
                        .await?;
                        updated += sqlx::query(
                            "UPDATE jobs SET state = 'delivered', finished_at = $2, \
                             last_status = $3, last_error = NULL, claimed_by = NULL, \
                             claimed_until = NULL WHERE id = $1 AND state = 'pending'",
                        )
                        .bind(o.job_id)
                        .bind(ts)
                        .bind(o.status_code)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected();
                    }
                    updated
                })
            }
        }
    }

    /// Refresh the planner's statistics of the queue after a burst of new jobs (PostgreSQL).
    /// Measured: with statistics taken while the queue was empty, the planner believes one
    /// pending job and sorts all 30,000 to claim 64 (50-200 ms a claim, against well under a
    /// millisecond walking `jobs_pending` in order); autovacuum catches up only a minute later.
    pub async fn refresh_job_stats(&self) -> StoreResult<()> {
        if let Database::Postgres(pool) = self {
            sqlx::query("ANALYZE jobs").execute(pool).await?;
        }
        Ok(())
    }

    /// Refresh the planner's statistics of every table after a bulk load (PostgreSQL; what
    /// autovacuum would do a while later). Measured after `seed --people 10000 --months 24`:
    /// the attention list's carried-over points took 238 ms (a hash of every meeting, the
    /// planner guessing many carried points) before, 0.02 ms after.
    pub async fn refresh_all_stats(&self) -> StoreResult<()> {
        if let Database::Postgres(pool) = self {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// After a bulk load, what autovacuum would do once it has seen it: on PostgreSQL, VACUUM
    /// (the visibility map lets the report's reads scan their indexes alone) and ANALYZE.
    pub async fn settle_bulk_load(&self) -> StoreResult<()> {
        if let Database::Postgres(pool) = self {
            sqlx::query("VACUUM (ANALYZE)").execute(pool).await?;
        }
        Ok(())
    }

    /// Give back the claims of a worker that stops (graceful shutdown) on jobs it did not
    /// finish: another worker takes them at once instead of after the lease.
    pub async fn release_claims(&self, worker: Uuid) -> StoreResult<u64> {
        with_writer!(self, conn => {
            sqlx::query(
                "UPDATE jobs SET claimed_by = NULL, claimed_until = NULL \
                 WHERE claimed_by = $1 AND state = 'pending'",
            )
            .bind(worker)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        })
    }

    /// A page of one target's jobs, newest first, before `before` (a `seq`).
    pub async fn list_jobs(
        &self,
        target: Uuid,
        state: Option<String>,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<JobRecord>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE target_id = $1 AND seq < $2 \
                 AND ($3 IS NULL OR state = $3) ORDER BY seq DESC LIMIT $4"
            ))
            .bind(target)
            .bind(before.unwrap_or(i64::MAX))
            .bind(&state)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// One job of a target, with its attempts (oldest first).
    pub async fn get_job(
        &self,
        target: Uuid,
        id: Uuid,
    ) -> StoreResult<(JobRecord, Vec<AttemptRecord>)> {
        with_pool!(self, pool => {
            let job: JobRecord = sqlx::query_as(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE target_id = $1 AND id = $2"
            ))
            .bind(target)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            let attempts: Vec<AttemptRecord> = sqlx::query_as(
                "SELECT attempt, started_at, duration_ms, status_code, error FROM job_attempts \
                 WHERE job_id = $1 ORDER BY attempt",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            Ok((job, attempts))
        })
    }

    /// The queue per channel: pending, retrying and dead jobs.
    pub async fn queue_counts(&self) -> StoreResult<Vec<QueueCounts>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(
                "SELECT channel, \
                 COALESCE(SUM(CASE WHEN state = 'pending' AND attempts = 0 THEN 1 ELSE 0 END), 0) AS pending, \
                 COALESCE(SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END), 0) AS retrying, \
                 COALESCE(SUM(CASE WHEN state = 'dead' THEN 1 ELSE 0 END), 0) AS dead \
                 FROM jobs WHERE state <> 'delivered' GROUP BY channel ORDER BY channel",
            )
            .fetch_all(pool)
            .await?)
        })
    }

    /// Every job a target was sent or is to be sent, oldest first (tests and audits).
    pub async fn jobs_of(&self, target: Uuid) -> StoreResult<Vec<JobRecord>> {
        with_pool!(self, pool => {
            Ok(sqlx::query_as(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE target_id = $1 ORDER BY seq"
            ))
            .bind(target)
            .fetch_all(pool)
            .await?)
        })
    }
}

impl Tx<'_> {
    /// Lock a reader's cursor for this change, or `None` when another change holds it (the
    /// other replica's turn: this one skips).
    pub async fn lock_log_cursor(&mut self, name: &str) -> StoreResult<Option<LogPosition>> {
        let sql = match self.backend() {
            Backend::Sqlite => "SELECT txid, position FROM log_cursors WHERE name = $1",
            Backend::Postgres => {
                "SELECT txid, position FROM log_cursors WHERE name = $1 FOR UPDATE SKIP LOCKED"
            }
        };
        let name = name.to_owned();
        let row: Option<(i64, i64)> = on_tx!(self, conn => {
            sqlx::query_as(sql).bind(&name).fetch_optional(&mut *conn).await?
        });
        Ok(row.map(|(txid, position)| LogPosition { txid, position }))
    }

    pub async fn set_log_cursor(&mut self, name: &str, to: LogPosition) -> StoreResult<()> {
        let name = name.to_owned();
        on_tx!(self, conn => {
            sqlx::query("UPDATE log_cursors SET txid = $2, position = $3 WHERE name = $1")
                .bind(&name)
                .bind(to.txid)
                .bind(to.position)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Events after `after`, every one (the caller decides who gets what), in log order.
    pub async fn log_after(&mut self, after: LogPosition, limit: i64) -> StoreResult<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE {} LIMIT $3",
            after_in_order(self.backend())
        );
        Ok(on_tx!(read self, conn => {
            sqlx::query_as(&sql)
                .bind(after.txid)
                .bind(after.position)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
        }))
    }

    /// Queue jobs; a job for an event its target already has is left out.
    /// Delete every job of a target (a subscription, a destination) with its attempts.
    pub async fn delete_jobs_of(&mut self, target: Uuid) -> StoreResult<()> {
        on_tx!(self, conn => {
            sqlx::query(
                "DELETE FROM job_attempts WHERE job_id IN (SELECT id FROM jobs WHERE target_id = $1)",
            )
            .bind(target)
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM jobs WHERE target_id = $1")
                .bind(target)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> StoreResult<u64> {
        let ts = now();
        let mut added = 0;
        for job in jobs {
            let job = job.clone();
            added += on_tx!(self, conn => {
                sqlx::query(
                    "INSERT INTO jobs (id, channel, target_id, event_id, kind, subject_id, \
                     payload, state, attempts, next_attempt_at, deadline, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $10, $9, $8) \
                     ON CONFLICT (target_id, event_id) DO NOTHING",
                )
                .bind(job.id)
                .bind(job.channel)
                .bind(job.target_id)
                .bind(job.event_id)
                .bind(&job.kind)
                .bind(job.subject_id)
                .bind(&job.payload)
                .bind(ts)
                .bind(job.deadline)
                .bind(job.not_before.map_or(ts, |t| t.max(ts)))
                .execute(&mut *conn)
                .await?
                .rows_affected()
            });
        }
        Ok(added)
    }

    /// Record an attempt and settle its job: delivered, to be retried, or dead.
    pub async fn settle_job(&mut self, outcome: &AttemptOutcome) -> StoreResult<Settled> {
        let ts = now();
        let o = outcome.clone();
        on_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO job_attempts (job_id, attempt, worker, started_at, duration_ms, \
                 status_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (job_id, attempt) DO NOTHING",
            )
            .bind(o.job_id)
            .bind(o.attempt)
            .bind(o.worker)
            .bind(o.started_at)
            .bind(o.duration_ms)
            .bind(o.status_code)
            .bind(&o.error)
            .execute(&mut *conn)
            .await?;
        });
        let state: Option<String> = match o.retry_at {
            // Delivered stays delivered whoever holds the claim now: the receiver has it.
            None => on_tx!(self, conn => {
                sqlx::query_scalar(
                    "UPDATE jobs SET state = 'delivered', finished_at = $2, last_status = $3, \
                     last_error = NULL, claimed_by = NULL, claimed_until = NULL \
                     WHERE id = $1 AND state = 'pending' RETURNING state",
                )
                .bind(o.job_id)
                .bind(ts)
                .bind(o.status_code)
                .fetch_optional(&mut *conn)
                .await?
            }),
            // A failure counts only for the worker that still holds the claim; past the
            // job's deadline it is dead.
            Some(at) => on_tx!(self, conn => {
                sqlx::query_scalar(
                    "UPDATE jobs SET \
                     state = CASE WHEN $2 > deadline THEN 'dead' ELSE 'pending' END, \
                     next_attempt_at = CASE WHEN $2 > deadline THEN next_attempt_at ELSE $2 END, \
                     finished_at = CASE WHEN $2 > deadline THEN $3 ELSE NULL END, \
                     last_status = $4, last_error = $5, claimed_by = NULL, claimed_until = NULL \
                     WHERE id = $1 AND state = 'pending' AND claimed_by = $6 RETURNING state",
                )
                .bind(o.job_id)
                .bind(at)
                .bind(ts)
                .bind(o.status_code)
                .bind(&o.error)
                .bind(o.worker)
                .fetch_optional(&mut *conn)
                .await?
            }),
        };
        Ok(match state.as_deref() {
            None => Settled::Unchanged,
            Some("delivered") => Settled::Delivered,
            Some("dead") => Settled::Dead,
            Some(_) => Settled::Retrying,
        })
    }

    /// Send a delivered or dead job again (from now, with a new retry window).
    pub async fn redeliver_job(
        &mut self,
        target: Uuid,
        id: Uuid,
        deadline: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let ts = now();
        let done = on_tx!(self, conn => {
            sqlx::query(
                "UPDATE jobs SET state = 'pending', next_attempt_at = $3, deadline = $4, \
                 finished_at = NULL, claimed_by = NULL, claimed_until = NULL \
                 WHERE target_id = $1 AND id = $2 AND state <> 'pending'",
            )
            .bind(target)
            .bind(id)
            .bind(ts)
            .bind(deadline)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(done > 0)
    }
}

impl crate::Tx<'_> {
    /// Forget the jobs that ended (delivered, dead or dropped) before `before`, with their
    /// attempts; how many.
    pub async fn purge_finished_jobs(&mut self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_tx!(self, conn => {
            sqlx::query(
                "DELETE FROM job_attempts WHERE job_id IN \
                 (SELECT id FROM jobs WHERE finished_at < $1)",
            )
            .bind(before)
            .execute(&mut *conn)
            .await?;
            Ok(sqlx::query("DELETE FROM jobs WHERE finished_at < $1")
                .bind(before)
                .execute(&mut *conn)
                .await?
                .rows_affected())
        })
    }
}
