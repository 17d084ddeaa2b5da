//! `/exports`: meeting and action-item metadata in bulk for HR systems, streamed as CSV or
//! NDJSON in constant memory, with the change-log cursor they are current to so a nightly job
//! takes only what changed since.

use actix_web::http::header::{self, Accept, Header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Days, NaiveDate, Utc};
use futures_util::StreamExt;
use oneonone_persistence::LogPosition;
use oneonone_persistence::exports::{
    ActionItemExportRow, ExportQuery, MeetingExportRow, ProgramExportRow,
};
use oneonone_usecases as usecases;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Auth;
use crate::pagination;
use crate::problem::ApiResult;
use crate::state::AppState;

pub const TAG: &str = "exports";

/// The response header with the change-log cursor an export is current to.
pub const CURSOR_HEADER: &str = "Oneonone-Changes-Cursor";

/// Rows formatted into one chunk of the response.
const ROWS_PER_CHUNK: usize = 256;

/// How an export is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// `text/csv` (RFC 4180), a header line first; an absent value is an empty field.
    Csv,
    /// `application/x-ndjson`: one JSON object a line.
    Ndjson,
}

impl ExportFormat {
    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// `format` when given, else the first of the request's `Accept` types that is one of ours
    /// (by quality), else NDJSON.
    fn negotiate(format: Option<ExportFormat>, req: &HttpRequest) -> ExportFormat {
        if let Some(f) = format {
            return f;
        }
        let Ok(accept) = Accept::parse(req) else {
            return ExportFormat::Ndjson;
        };
        accept
            .ranked()
            .iter()
            .find_map(|m| match (m.type_().as_str(), m.subtype().as_str()) {
                ("text", "csv") => Some(ExportFormat::Csv),
                ("application", "x-ndjson" | "ndjson" | "jsonl") => Some(ExportFormat::Ndjson),
                _ => None,
            })
            .unwrap_or(ExportFormat::Ndjson)
    }
}

/// Which rows, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// `csv` or `ndjson`; without it, the `Accept` header decides (`text/csv`,
    /// `application/x-ndjson`), and NDJSON otherwise.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// First day (UTC), inclusive: meetings starting, action items created, on or after it.
    pub from: Option<NaiveDate>,
    /// Last day (UTC), inclusive.
    pub to: Option<NaiveDate>,
    /// Pairs whose report is in this department.
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// Pairs whose report is below this manager, at any depth.
    pub manager_id: Option<Uuid>,
    /// A cursor from an earlier export's `Oneonone-Changes-Cursor` header (or from
    /// `GET /changes`): only the records changed since, and, for meetings, a `deleted` row for
    /// each one removed since.
    pub changed_since: Option<String>,
}

/// A meeting's metadata: who, when, which kind, what became of it. Never its agenda, notes or
/// ratings.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e", "deleted": false,
    "series_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d00", "kind": "manager_report",
    "status": "completed", "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "manager_external_id": "E-1001", "report_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "report_external_id": "E-1002", "starts_at": "2026-12-01T09:00:00Z",
    "ends_at": "2026-12-01T09:30:00Z", "held_at": "2026-12-01T09:32:10Z",
    "actual_duration_minutes": 30, "created_at": "2026-11-03T10:00:00Z",
    "updated_at": "2026-12-01T09:32:10Z"}))]
pub struct MeetingExport {
    pub id: Uuid,
    /// `true`: a tombstone (only with `changed_since`): the meeting was removed (a pause, a
    /// shorter cadence); delete your copy. Only `id`, `manager_id` and `report_id` are set.
    pub deleted: bool,
    pub series_id: Option<Uuid>,
    /// `manager_report`, `skip_level`, `peer`, `cross_functional`, `secondary_manager`.
    pub kind: Option<String>,
    /// `scheduled`, `completed` (held), `skipped`, `cancelled`.
    pub status: Option<String>,
    pub manager_id: Option<Uuid>,
    /// The HR system's id of the manager (for readers who may see HR fields: HR admins and
    /// `people:read` tokens; empty otherwise).
    pub manager_external_id: Option<String>,
    pub report_id: Option<Uuid>,
    pub report_external_id: Option<String>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was marked held.
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub held_at: Option<DateTime<Utc>>,
    pub actual_duration_minutes: Option<i64>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<MeetingExportRow> for MeetingExport {
    fn from(r: MeetingExportRow) -> Self {
        Self {
            id: r.id,
            deleted: r.deleted,
            series_id: r.series_id,
            kind: r.kind,
            status: r.status,
            manager_id: r.manager_id,
            manager_external_id: r.manager_external_id,
            report_id: r.report_id,
            report_external_id: r.report_external_id,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            held_at: r.held_at,
            actual_duration_minutes: r.actual_duration_minutes,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An action item's metadata: whose, due when, done when. Never its title.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e01",
    "meeting_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e",
    "series_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d00",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001",
    "report_id": "019a6a5e-8f5e-7cc0-9a53-000000000002",
    "assignee_id": "019a6a5e-8f5e-7cc0-9a53-000000000002", "assignee_external_id": "E-1002",
    "status": "done", "due_date": "2026-12-08", "completed_at": "2026-12-05T16:20:00Z",
    "done_by_due_date": true, "created_at": "2026-12-01T09:20:00Z",
    "updated_at": "2026-12-05T16:20:00Z"}))]
pub struct ActionItemExport {
    pub id: Uuid,
    /// The 1:1 it was agreed in.
    pub meeting_id: Uuid,
    pub series_id: Option<Uuid>,
    pub manager_id: Uuid,
    pub report_id: Uuid,
    pub assignee_id: Uuid,
    /// The HR system's id of the assignee (HR admins and `people:read` tokens; empty otherwise).
    pub assignee_external_id: Option<String>,
    /// `open`, `done`, `cancelled`.
    pub status: String,
    pub due_date: Option<NaiveDate>,
    #[serde(serialize_with = "crate::timestamp::utc_opt")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Follow-through: done on or before its due date (`null` without a due date).
    pub done_by_due_date: Option<bool>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub updated_at: DateTime<Utc>,
}

impl From<ActionItemExportRow> for ActionItemExport {
    fn from(r: ActionItemExportRow) -> Self {
        let done_by_due_date = r.due_date.map(|due| {
            r.status == "done" && r.completed_at.is_some_and(|at| at.date_naive() <= due)
        });
        Self {
            id: r.id,
            meeting_id: r.meeting_id,
            series_id: r.series_id,
            manager_id: r.manager_id,
            report_id: r.report_id,
            assignee_id: r.assignee_id,
            assignee_external_id: r.assignee_external_id,
            status: r.status,
            due_date: r.due_date,
            completed_at: r.completed_at,
            done_by_due_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Check who asks and what, and say which rows.
async fn query_of(
    state: &AppState,
    actor: &oneonone_domain::policy::Actor,
    p: ExportParams,
) -> ApiResult<ExportQuery> {
    let external_ids = usecases::exports::authorize(actor)?;
    super::days_in_order(p.from, p.to)?;
    let changed_after = match p.changed_since.as_deref() {
        Some(c) => Some(pagination::decode::<LogPosition>(c)?),
        None => None,
    };
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    Ok(ExportQuery {
        slice: super::slice_of(state, p.department, p.manager_id).await?,
        from: p.from.map(midnight),
        until: p
            .to
            .and_then(|t| t.checked_add_days(Days::new(1)))
            .map(midnight),
        changed_after,
        external_ids,
    })
}

/// An export as asked: who may, which rows, which format, then the rows as they are read.
async fn serve<'a, R, O, Fut>(
    state: &'a AppState,
    actor: &oneonone_domain::policy::Actor,
    req: &HttpRequest,
    params: ExportParams,
    start: impl FnOnce(&'a usecases::Database, ExportQuery) -> Fut,
    name: &str,
) -> ApiResult<HttpResponse>
where
    R: Send + 'static,
    O: From<R> + Serialize + Default,
    Fut: std::future::Future<Output = usecases::Result<usecases::exports::Export<R>>>,
{
    let format = ExportFormat::negotiate(params.format, req);
    let q = query_of(state, actor, params).await?;
    let export = start(&state.db, q).await?;
    Ok(respond::<R, O>(export, format, name))
}

/// The response: the header line (CSV), then the rows as they come, a chunk at a time; a
/// failure midway ends the response unfinished (no closing chunk), never as a short success.
fn respond<R, O>(
    export: usecases::exports::Export<R>,
    format: ExportFormat,
    name: &str,
) -> HttpResponse
where
    R: Send + 'static,
    O: From<R> + Serialize + Default,
{
    let rows = futures_util::stream::unfold(export.rows, |mut rx| async move {
        rx.recv().await.map(|row| (row, rx))
    });
    let header = match format {
        ExportFormat::Csv => Some(Ok(csv_header::<O>())),
        ExportFormat::Ndjson => None,
    };
    let body = futures_util::stream::iter(header).chain(rows.ready_chunks(ROWS_PER_CHUNK).map(
        move |chunk| {
            let rows = chunk
                .into_iter()
                .map(|row| row.map(O::from).map_err(std::io::Error::other))
                .collect::<std::io::Result<Vec<O>>>()?;
            write_rows(format, &rows).map(Bytes::from)
        },
    ));
    let mut response = HttpResponse::Ok();
    response
        .content_type(format.content_type())
        .insert_header((CURSOR_HEADER, pagination::encode(&export.current_to)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if format == ExportFormat::Csv {
        response.insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ));
    }
    response.streaming(body)
}

/// Rows in `format`, one a line.
fn write_rows<O: Serialize>(format: ExportFormat, rows: &[O]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rows.len() * 256);
    match format {
        ExportFormat::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut out, row)?;
                out.push(b'\n');
            }
        }
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut out);
            for row in rows {
                w.serialize(row).map_err(std::io::Error::other)?;
            }
            w.flush()?;
        }
    }
    Ok(out)
}

/// The CSV header line of `O`: its field names, in order.
fn csv_header<O: Serialize + Default>() -> Bytes {
    let mut w = csv::Writer::from_writer(Vec::new());
    // The header is written with the first record; keep the line before that record.
    let all = w
        .serialize(O::default())
        .ok()
        .and_then(|()| w.into_inner().ok())
        .unwrap_or_default();
    let end = all
        .iter()
        .position(|b| *b == b'\n')
        .map_or(all.len(), |i| i + 1);
    Bytes::copy_from_slice(&all[..end])
}

/// Every meeting's metadata in a slice and window, streamed: one row a meeting in id (creation)
/// order, as CSV or NDJSON. With `changed_since`, only the meetings changed since that cursor and
/// a `deleted` row for each removed since. The `Oneonone-Changes-Cursor` header is the cursor to
/// pass next time: every change before it is in the rows (a change after it may be too, and
/// comes again). HR admins and `reports:read` tokens.
#[utoipa::path(operation_id = "export_meetings", tag = TAG, params(ExportParams),
    responses((status = 200, description = "The meetings, as they are read.",
        content((MeetingExport = "application/x-ndjson"),
            (String = "text/csv", example = json!("id,deleted,series_id,kind,status,manager_id,manager_external_id,report_id,report_external_id,starts_at,ends_at,held_at,actual_duration_minutes,created_at,updated_at\n019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e,false,019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d00,manager_report,completed,019a6a5e-8f5e-7cc0-9a53-000000000001,E-1001,019a6a5e-8f5e-7cc0-9a53-000000000002,E-1002,2026-12-01T09:00:00Z,2026-12-01T09:30:00Z,2026-12-01T09:32:10Z,30,2026-11-03T10:00:00Z,2026-12-01T09:32:10Z\n"))),
        headers(("Oneonone-Changes-Cursor" = String, description = "Pass as `changed_since` next time (a `/changes` cursor too)."))))
)]
#[get("/exports/meetings")]
pub async fn meetings(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    serve::<_, MeetingExport, _>(
        &state,
        &actor,
        &req,
        params.into_inner(),
        usecases::exports::meetings,
        "meetings",
    )
    .await
}

/// Every action item's metadata in a slice and window (by creation), streamed in id order as
/// CSV or NDJSON, with follow-through (`done_by_due_date`); never a title. With
/// `changed_since`, only the action items changed since. HR admins and `reports:read` tokens.
#[utoipa::path(operation_id = "export_action_items", tag = TAG, params(ExportParams),
    responses((status = 200, description = "The action items, as they are read.",
        content((ActionItemExport = "application/x-ndjson"),
            (String = "text/csv", example = json!("id,meeting_id,series_id,manager_id,report_id,assignee_id,assignee_external_id,status,due_date,completed_at,done_by_due_date,created_at,updated_at\n019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2e01,019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e,019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d00,019a6a5e-8f5e-7cc0-9a53-000000000001,019a6a5e-8f5e-7cc0-9a53-000000000002,019a6a5e-8f5e-7cc0-9a53-000000000002,E-1002,done,2026-12-08,2026-12-05T16:20:00Z,true,2026-12-01T09:20:00Z,2026-12-05T16:20:00Z\n"))),
        headers(("Oneonone-Changes-Cursor" = String, description = "Pass as `changed_since` next time (a `/changes` cursor too)."))))
)]
#[get("/exports/action-items")]
pub async fn action_items(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    params: web::Query<ExportParams>,
) -> ApiResult<HttpResponse> {
    serve::<_, ActionItemExport, _>(
        &state,
        &actor,
        &req,
        params.into_inner(),
        usecases::exports::action_items,
        "action-items",
    )
    .await
}

/// Which managers and weeks, and how.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgramExportParams {
    /// `csv` or `ndjson`; without it, the `Accept` header decides, and NDJSON otherwise.
    #[param(inline)]
    pub format: Option<ExportFormat>,
    /// First day (UTC), inclusive. Default: the Monday eleven weeks before `to`'s (12 weeks).
    pub from: Option<NaiveDate>,
    /// Last day (UTC), inclusive. Default: yesterday. Days that have not ended are left out.
    pub to: Option<NaiveDate>,
    /// The managers of this department.
    #[param(max_length = 200)]
    pub department: Option<String>,
    /// This manager and every manager below them.
    pub manager_id: Option<Uuid>,
}

/// The most weeks one export holds.
const MAX_WEEKS: usize = 106;

/// One current manager's program figures for one week: their direct reports as the week ended
/// (as the program report counts them), and the 1:1s they held as manager that started in it.
/// Counts only: never a title, a note, a rating or anything private.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"week": "2026-11-30", "from": "2026-11-30", "to": "2026-12-06",
    "manager_id": "019a6a5e-8f5e-7cc0-9a53-000000000001", "manager_external_id": "E-1001",
    "department": "Engineering", "direct_reports": 6, "met_30_days": 5, "met_60_days": 6,
    "met_90_days": 6, "segment": "partial", "held_with_a_report": true, "scheduled": 5,
    "held": 4, "skipped": 1, "cancelled": 0, "not_recorded": 0, "adherence_pct": 80.0}))]
pub struct ProgramExport {
    /// The week's Monday.
    pub week: NaiveDate,
    /// The days of the week in the window (the first and last weeks may be partial).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub manager_id: Uuid,
    /// The HR system's id of the manager (HR admins and `people:read` tokens; empty otherwise).
    pub manager_external_id: Option<String>,
    pub department: Option<String>,
    /// Their current active direct reports.
    pub direct_reports: i64,
    /// Direct reports with a held `manager_report` 1:1 with them in the 30/60/90 days before
    /// the week's end.
    pub met_30_days: i64,
    pub met_60_days: i64,
    pub met_90_days: i64,
    /// `regular`, `partial` or `absent` as the week ended (the program report's segments).
    pub segment: String,
    /// They held a `manager_report` 1:1 with a current direct report in the week.
    pub held_with_a_report: bool,
    /// Their 1:1s as manager (every kind) that started in the week, and what became of them.
    pub scheduled: i64,
    pub held: i64,
    pub skipped: i64,
    pub cancelled: i64,
    pub not_recorded: i64,
    /// Held ÷ scheduled.
    pub adherence_pct: Option<f64>,
}

impl From<ProgramExportRow> for ProgramExport {
    fn from(r: ProgramExportRow) -> Self {
        let count = |status: &str| {
            r.meetings
                .iter()
                .filter(|(s, _)| s == status)
                .map(|(_, n)| n)
                .sum::<i64>()
        };
        let scheduled: i64 = r.meetings.iter().map(|(_, n)| n).sum();
        let (held, skipped, cancelled) = (count("completed"), count("skipped"), count("cancelled"));
        let segment = match r.lines.segment() {
            Some(oneonone_domain::program::Segment::Regular) => "regular",
            Some(oneonone_domain::program::Segment::Partial) => "partial",
            _ => "absent",
        };
        let [met_30_days, met_60_days, met_90_days] = r.lines.covered;
        Self {
            week: r.week,
            from: r.from,
            to: r.until.pred_opt().unwrap_or(r.until),
            manager_id: r.manager_id,
            manager_external_id: r.manager_external_id,
            department: r.department,
            direct_reports: r.lines.reports,
            met_30_days,
            met_60_days,
            met_90_days,
            segment: segment.to_owned(),
            held_with_a_report: r.lines.holding > 0,
            scheduled,
            held,
            skipped,
            cancelled,
            not_recorded: scheduled - held - skipped - cancelled,
            adherence_pct: oneonone_domain::program::pct(
                u64::try_from(held).unwrap_or(0),
                u64::try_from(scheduled).unwrap_or(0),
            ),
        }
    }
}

/// The weeks of `[from, to]` that have begun, each `(monday, first day, day after the last)`,
/// clipped to the window and to the days that have ended by `today`.
fn weeks_of(
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<(NaiveDate, NaiveDate, NaiveDate)> {
    let end = to.succ_opt().unwrap_or(to).min(today);
    let mut out = Vec::new();
    let mut monday = oneonone_domain::program::week_of(from);
    while monday < end {
        let next = monday + Days::new(7);
        let (first, until) = (monday.max(from), next.min(end));
        if first < until {
            out.push((monday, first, until));
        }
        monday = next;
    }
    out
}

/// Program figures per manager and per week, streamed as CSV or NDJSON: one row for each
/// current manager of the slice (managers with an active direct report, by id) and each week
/// of the window (Monday to Sunday, UTC; whole days that have ended): direct reports, coverage
/// over 30/60/90 days and the manager's segment as the week ended, whether they held a 1:1 with
/// a report in it, and their 1:1s that started in it by what became of them. Read from the
/// kept figures and the meetings' counts, a batch of managers at a time. HR admins and
/// `reports:read` tokens.
#[utoipa::path(operation_id = "export_program", tag = TAG, params(ProgramExportParams),
    responses((status = 200, description = "The managers' weeks, as they are read.",
        content((ProgramExport = "application/x-ndjson"),
            (String = "text/csv", example = json!("week,from,to,manager_id,manager_external_id,department,direct_reports,met_30_days,met_60_days,met_90_days,segment,held_with_a_report,scheduled,held,skipped,cancelled,not_recorded,adherence_pct\n2026-11-30,2026-11-30,2026-12-06,019a6a5e-8f5e-7cc0-9a53-000000000001,E-1001,Engineering,6,5,6,6,partial,true,5,4,1,0,0,80.0\n"))),
        headers(("Oneonone-Changes-Cursor" = String, description = "The change-log position the figures are current to."))))
)]
#[get("/exports/program")]
pub async fn program(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    req: HttpRequest,
    params: web::Query<ProgramExportParams>,
) -> ApiResult<HttpResponse> {
    let p = params.into_inner();
    let format = ExportFormat::negotiate(p.format, &req);
    let external_ids = usecases::exports::authorize(&actor)?;
    super::days_in_order(p.from, p.to)?;
    let today = Utc::now().date_naive();
    let to = p.to.unwrap_or(today - Days::new(1));
    let from = p
        .from
        .unwrap_or(oneonone_domain::program::week_of(to) - Days::new(77));
    super::days_in_order(Some(from), Some(to))?;
    let weeks = weeks_of(from, to, today);
    if weeks.len() > MAX_WEEKS {
        return Err(crate::problem::ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("an export holds at most {MAX_WEEKS} weeks"),
        });
    }
    let q = ExportQuery {
        slice: super::slice_of(&state, p.department, p.manager_id).await?,
        from: None,
        until: None,
        changed_after: None,
        external_ids,
    };
    let export = usecases::exports::program(&state.db, q, weeks).await?;
    Ok(respond::<ProgramExportRow, ProgramExport>(
        export, format, "program",
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn weeks_run_monday_to_sunday_within_the_window_and_the_days_ended() {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Wednesday 18 November to Sunday 6 December, read on Friday 4 December.
        let weeks = super::weeks_of(d(11, 18), d(12, 6), d(12, 4));
        assert_eq!(
            weeks,
            vec![
                (d(11, 16), d(11, 18), d(11, 23)),
                (d(11, 23), d(11, 23), d(11, 30)),
                (d(11, 30), d(11, 30), d(12, 4)),
            ]
        );
        assert!(super::weeks_of(d(12, 4), d(12, 6), d(12, 4)).is_empty());
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn the_csv_header_names_every_field_in_order() {
        let header = csv_header::<ActionItemExport>();
        assert_eq!(
            std::str::from_utf8(&header).ok(),
            Some(
                "id,meeting_id,series_id,manager_id,report_id,assignee_id,assignee_external_id,\
                 status,due_date,completed_at,done_by_due_date,created_at,updated_at\n"
            )
        );
    }

    #[test]
    fn a_csv_row_quotes_what_needs_it_and_leaves_absent_values_empty() {
        let row = MeetingExport {
            report_external_id: Some("E,\"1\"".into()),
            ..MeetingExport::default()
        };
        let out = write_rows(ExportFormat::Csv, &[row]).unwrap_or_default();
        let line = String::from_utf8(out).unwrap_or_default();
        assert!(line.contains(",\"E,\"\"1\"\"\","), "{line}");
        assert!(line.ends_with(",,,,,\n"), "{line}");
    }
}
