//! The `reports` plan: the program report and a whole export on a seeded organisation, as HR.
//! Before the load: one export of every meeting (NDJSON), its rows per second and the server's
//! resident memory while it streams (from `/proc`, when `BENCH_SERVER_PID` names the server).

use std::time::{Duration, Instant};

use crate::{Kind, Plan, get_json};
use anyhow::Context;

/// The server's resident memory in MB, if it can be read.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Stream one export to its end, counting lines, while sampling the server's memory.
async fn export(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    what: &str,
) -> anyhow::Result<()> {
    let pid: Option<u32> = std::env::var("BENCH_SERVER_PID")
        .ok()
        .and_then(|p| p.parse().ok());
    let before = pid.and_then(rss_mb);
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut peak: Option<f64> = None;
        loop {
            if let Some(mb) = pid.and_then(rss_mb) {
                peak = Some(peak.map_or(mb, |p: f64| p.max(mb)));
            }
            tokio::select! {
                _ = &mut stop_rx => return peak,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
    });
    let started = Instant::now();
    let mut res = client
        .get(format!("{base}/api/v1/exports/{what}?format=ndjson"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?;
    let (mut rows, mut bytes) = (0u64, 0u64);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len() as u64;
        rows += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(());
    let peak = sampler.await.ok().flatten();
    let mb = |m: Option<f64>| m.map_or("?".to_owned(), |m| format!("{m:.0} MB"));
    println!(
        "export {what}: {rows} rows, {:.0} MB in {seconds:.1}s ({:.0} rows/s); server RSS {} before, {} at most while streaming",
        bytes as f64 / 1e6,
        rows as f64 / seconds,
        mb(before),
        mb(peak)
    );
    Ok(())
}

/// The program report for the organisation (90 days), a department and a manager's subtree,
/// and HR's attention list for the organisation and the subtree; one export of meetings and of
/// action items first.
pub async fn plan(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Plan> {
    export(client, base, token, "meetings").await?;
    export(client, base, token, "action-items").await?;
    let people = get_json(client, &format!("{base}/api/v1/people?limit=200"), token).await?;
    let people = people["data"].as_array().context("no people")?;
    let department = people
        .iter()
        .find_map(|p| p["department"].as_str())
        .context("no department: seed with --people first")?
        .replace(' ', "%20");
    // The manager most of this page reports to: a team with people below it.
    let mut counts = std::collections::HashMap::new();
    for m in people.iter().filter_map(|p| p["manager_id"].as_str()) {
        *counts.entry(m.to_owned()).or_insert(0) += 1;
    }
    // Ties go to the latest made (further down, a smaller subtree than the organisation's),
    // so every run loads the same one.
    let manager = counts
        .into_iter()
        .max_by_key(|(m, n)| (*n, m.clone()))
        .map(|(m, _)| m)
        .context("no manager")?;
    let report = format!("{base}/api/v1/reports/program");
    let launch = chrono::Utc::now().date_naive() - chrono::Days::new(89);
    // Each report twice: as HR's pollers get it (sent again while nothing was written), and
    // computed afresh for every request (what a report costs after a write).
    Ok(vec![
        ("GET program (org)", report.clone(), Kind::Get),
        ("GET program (org, fresh)", report.clone(), Kind::GetFresh),
        (
            "GET program (dept)",
            format!("{report}?department={department}"),
            Kind::Get,
        ),
        (
            "GET program (dept, fresh)",
            format!("{report}?department={department}"),
            Kind::GetFresh,
        ),
        (
            "GET program (team)",
            format!("{report}?manager_id={manager}"),
            Kind::Get,
        ),
        (
            "GET program (team, fresh)",
            format!("{report}?manager_id={manager}"),
            Kind::GetFresh,
        ),
        (
            // Fourteen weeks, each with every figure, for HR's charts.
            "GET program (org, weekly, fresh)",
            format!("{report}?weekly=true"),
            Kind::GetFresh,
        ),
        (
            // The 90 days since a launch beside the 90 before it.
            "GET program (org, launch, fresh)",
            format!("{report}?launch_date={launch}"),
            Kind::GetFresh,
        ),
        (
            "GET attention (org)",
            format!("{base}/api/v1/attention"),
            Kind::Get,
        ),
        (
            // A reason none or few are listed for: the whole organisation is read for a page.
            "GET attention (org, never met)",
            format!("{base}/api/v1/attention?reason=never_met"),
            Kind::Get,
        ),
        (
            "GET attention (team)",
            format!("{base}/api/v1/attention?manager_id={manager}"),
            Kind::Get,
        ),
    ])
}
