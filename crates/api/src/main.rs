//! The `oneonone` binary.

use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use oneonone_api::startup::open_database;
use oneonone_api::{Application, Settings, openapi, seed, telemetry};

// Many small allocations across many threads (a worker thread per SQLite connection): mimalloc
// spends far less time on them than the system allocator did in `make bench`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// oneonone: the system of record for a company's 1:1 program.
///
/// Configuration comes from ONEONONE_* environment variables (see the README).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrations run first).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Load data (idempotent).
    Seed {
        /// A small demo organisation with sign-in credentials and months of 1:1 history.
        #[arg(long)]
        demo: bool,
        /// A synthetic organisation of this many people, for benchmarks.
        #[arg(long)]
        people: Option<usize>,
        /// Months of 1:1 history to generate (default 4 for --demo, 12 for --people).
        #[arg(long)]
        months: Option<u32>,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env().context("reading the configuration")?;
    match cli.command {
        Command::Openapi => {
            print!("{}", openapi::spec_json());
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(&settings);
            open_database(&settings, Duration::from_secs(30)).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed {
            demo,
            people,
            months,
        } => {
            telemetry::init(&settings);
            anyhow::ensure!(
                demo || people.is_some(),
                "say what to seed: --demo, or --people N [--months M]"
            );
            let db = open_database(&settings, Duration::from_secs(30)).await?;
            let checkpoints = oneonone_api::startup::spawn_checkpoints(db.clone());
            db.seed_library().await?;
            if demo {
                seed::demo(&db).await?;
                let stats = seed::history(&db, months.unwrap_or(4), "Europe/Berlin", None).await?;
                seed::demo_feedback(&db).await?;
                seed::demo_escalations(&db).await?;
                println!(
                    "Demo organisation ready ({} new series, {} past meetings, {} months of ratings closed). Sign in with password `{}` as:",
                    stats.series,
                    stats.past_meetings,
                    stats.rating_months,
                    seed::DEMO_PASSWORD
                );
                for (email, role) in seed::DEMO_LOGINS {
                    println!("  {email:<28} ({role})");
                }
            }
            if let Some(n) = people {
                anyhow::ensure!((2..=200_000).contains(&n), "--people must be 2 to 200000");
                let bar = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} {bar:40} {pos}/{len} pairs ({eta})",
                    )?,
                );
                bar.set_message("1:1 history");
                let (login, stats) = seed::synthetic(&db, n, months.unwrap_or(12), &bar).await?;
                bar.finish();
                // Plans and visibility as a running server's would be once autovacuum has
                // seen the load.
                db.settle_bulk_load().await?;
                println!(
                    "Synthetic organisation of {n} people ready ({} new series, {} past meetings, \
                     {} months of ratings closed). A manager to sign in as: {login} / {}",
                    stats.series,
                    stats.past_meetings,
                    stats.rating_months,
                    seed::DEMO_PASSWORD
                );
            }
            checkpoints.abort();
            db.close().await;
            Ok(())
        }
        Command::Serve => {
            telemetry::init(&settings);
            let app = Application::build(settings.clone()).await?;
            let host = settings
                .bind
                .rsplit_once(':')
                .map(|(h, _)| h)
                .unwrap_or("127.0.0.1");
            tracing::info!(port = app.port(), backend = ?app.database().backend(), "serving");
            println!("oneonone is listening on http://{host}:{}", app.port());
            println!("  Swagger UI:  http://{host}:{}/docs/", app.port());
            println!("  OpenAPI:     http://{host}:{}/openapi.json", app.port());
            let db = app.database().clone();
            app.run_until_stopped().await?;
            db.close().await;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
