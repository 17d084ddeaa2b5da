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
    /// Load data.
    Seed {
        /// A small demo organisation with sign-in credentials (idempotent).
        #[arg(long)]
        demo: bool,
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
        Command::Seed { demo } => {
            telemetry::init(&settings);
            anyhow::ensure!(demo, "say what to seed: --demo");
            let db = open_database(&settings, Duration::from_secs(30)).await?;
            seed::demo(&db).await?;
            println!(
                "Demo organisation ready. Sign in with password `{}` as:",
                seed::DEMO_PASSWORD
            );
            for (email, role) in seed::DEMO_LOGINS {
                println!("  {email:<28} ({role})");
            }
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
            app.run_until_stopped().await?;
            tracing::info!("stopped");
            Ok(())
        }
    }
}
