//! Building and running the server: one [`Application::build`] for `serve` and for tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::AppConfig;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, get, web};
use anyhow::Context;
use oneonone_persistence::{Backend, ConnectOptions, Database, StoreError, backend_of};
use tracing::Instrument;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config, SwaggerUi};
use uuid::Uuid;

use crate::auth::{JwtKeys, LoginLimiter, hash_password, random_secret};
use crate::config::Settings;
use crate::extract::query_config;
use crate::openapi;
use crate::problem::ApiError;
use crate::routes;
use crate::state::AppState;
use crate::wire::ProblemIo;

const JWT_SETTING: &str = "jwt_secret";

/// A path segment that does not parse (an id that is not a UUID) names nothing: 404 — or 405
/// when the path is a literal route with other methods (`PATCH /people/import`).
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_, req| openapi::unrouted(req.method().as_str(), req.path()).into())
}

/// A running server: its port, its state (tests use the database directly), and a handle.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// The job runner beside the API (none when `ONEONONE_JOBS=off`).
    jobs: Option<oneonone_jobs::Runner>,
}

/// Open the database and bring its schema up to date, waiting up to `patience` for a database
/// that is still starting.
pub async fn open_database(settings: &Settings, patience: Duration) -> anyhow::Result<Database> {
    let mut opts = ConnectOptions::new(settings.database_url.clone());
    opts.sqlite_sync = settings.sqlite_sync;
    opts.max_connections =
        settings
            .db_max_connections
            .unwrap_or(match backend_of(&settings.database_url) {
                Backend::Sqlite => 16,
                Backend::Postgres => 32,
            });
    let db = Database::connect(&opts)
        .await
        .context("opening the database")?;
    let deadline = Instant::now() + patience;
    loop {
        match db.migrate().await {
            Ok(()) => return Ok(db),
            Err(StoreError::Unavailable(e)) if Instant::now() < deadline => {
                tracing::warn!(error = %e, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e).context("running migrations"),
        }
    }
}

/// Where email goes, when the operator set a relay.
fn email_config(
    settings: &Settings,
    links: &oneonone_usecases::notify::LinkKeys,
    local: std::net::SocketAddr,
) -> Option<oneonone_jobs::email::EmailConfig> {
    let smtp_url = settings.smtp_url.as_ref()?.expose().to_owned();
    let public_url = settings
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    Some(oneonone_jobs::email::EmailConfig {
        smtp_url,
        from: settings.mail_from.clone(),
        app_url: settings
            .app_url
            .clone()
            .unwrap_or_else(|| public_url.clone()),
        public_url,
        links: links.clone(),
    })
}

/// The access-token key: from the settings, or generated once and kept in the database so that
/// tokens survive restarts and every replica agrees.
async fn jwt_secret(settings: &Settings, db: &Database) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt_secret {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let generated = random_secret(48);
    let stored = db
        .setting_or_insert(JWT_SETTING, &generated)
        .await
        .context("storing the generated JWT key")?;
    Ok(stored.into_bytes())
}

/// Create the bootstrap HR admin when the database has no active one.
async fn bootstrap_admin(settings: &Settings, db: &Database) -> anyhow::Result<()> {
    let Some((email, password)) = &settings.bootstrap_admin else {
        return Ok(());
    };
    // Hashing a password is deliberately slow: not on every start of an organisation that has
    // its admins already (the use case checks again, in its transaction).
    if db.has_active_hr_admin().await? {
        return Ok(());
    }
    oneonone_domain::person::validate_password(
        "ONEONONE_BOOTSTRAP_ADMIN_PASSWORD",
        password.expose(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = hash_password(password.expose().to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let address = email.clone();
    let changed = db
        .transact(move |tx| {
            Box::pin(async move {
                oneonone_usecases::people::bootstrap_admin(tx, &address, "HR admin", &hash).await
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !changed {
        return Ok(());
    }
    tracing::info!(email = %email, "created the bootstrap HR admin");
    Ok(())
}

/// Request ids (`X-Request-Id`, taken from the client when sane), a span per request and one
/// log line per response.
async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.path());
    req.extensions_mut().insert(RequestId(id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    if let Some(state) = state {
        state.metrics.observe(
            res.request().method().as_str(),
            res.request().match_pattern(),
            res.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    let status = res.status().as_u16();
    let elapsed_us = started.elapsed().as_micros();
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, elapsed_us, "response");
        } else {
            tracing::info!(status, elapsed_us, "response");
        }
    });
    Ok(res)
}

/// The id of the current request.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Anything no route matched: 405 with `Allow` for a known path, else 404.
async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(openapi::unrouted(req.method().as_str(), req.path()))
}

/// The contract, the same bytes as `openapi/openapi.json`.
#[get("/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::spec_json())
}

#[get("/docs")]
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600);
    if origins.iter().any(|o| o == "*") {
        cors = cors.allow_any_origin();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}

impl Application {
    /// Open the database, migrate, prepare keys and bind the listener (port 0 picks a free
    /// port). The server runs once [`Application::run_until_stopped`] is awaited.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = open_database(&settings, Duration::from_secs(30)).await?;
        Self::build_with_database(settings, db).await
    }

    pub async fn build_with_database(settings: Settings, db: Database) -> anyhow::Result<Self> {
        let secret = jwt_secret(&settings, &db).await?;
        bootstrap_admin(&settings, &db).await?;
        db.seed_library()
            .await
            .context("seeding the starter library")?;
        // Build the contract before serving, so a broken spec fails at start, not mid-request.
        let _ = openapi::spec_json();
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let local = listener.local_addr()?;
        let links = oneonone_usecases::notify::LinkKeys::new(&secret);
        let mut jobs_config = settings.jobs.clone();
        jobs_config.schedule_every = settings.reminder_scan;
        jobs_config.email = email_config(&settings, &links, local);
        jobs_config.app_url = settings
            .app_url
            .clone()
            .or_else(|| settings.public_url.clone())
            .unwrap_or_else(|| format!("http://{local}"));
        let jobs = settings
            .jobs_enabled
            .then(|| oneonone_jobs::Runner::start(db.clone(), jobs_config));
        let metrics = crate::metrics::Metrics::new(jobs.as_ref().map(|j| j.stats()));
        let state = AppState {
            db,
            jwt: Arc::new(JwtKeys::new(&secret, settings.jwt_ttl)),
            links: Arc::new(links),
            limiter: Arc::new(LoginLimiter::new(settings.login_attempts_per_minute)),
            settings: Arc::new(settings.clone()),
            faults: Arc::default(),
            enps_results: Arc::new(crate::state::ResultsCache::new(
                crate::state::RESULTS_CACHED,
            )),
            goal_histories: Arc::new(crate::state::history_cache()),
            program_reports: Arc::new(crate::state::report_cache()),
            metrics: Arc::new(metrics),
        };
        let port = local.port();
        let data = web::Data::new(state.clone());
        let origins = settings.cors_origins.clone();
        let shutdown = actix_server::Server::build();
        let signal = shutdown.graceful_shutdown_signal();
        let mut server = shutdown
            .listen("oneonone", listener, move || {
                let (app, _) = App::new()
                    .app_data(data.clone())
                    .app_data(query_config())
                    .app_data(path_config())
                    .wrap(cors(&origins))
                    .wrap(from_fn(request_context))
                    .into_utoipa_app()
                    .service(routes::health::healthz)
                    .service(routes::health::readyz)
                    .service(crate::metrics::metrics)
                    .service(routes::api_v1())
                    .split_for_parts();
                let app = app
                    .service(openapi_json)
                    .service(docs_redirect)
                    .service(
                        SwaggerUi::new("/docs/{_:.*}").config(
                            Config::new(["/openapi.json"])
                                .persist_authorization(true)
                                .try_it_out_enabled(true),
                        ),
                    )
                    .default_service(web::to(fallback))
                    .into_factory()
                    .map_err(|e: actix_web::Error| e.error_response());
                let signal = signal.clone();
                let http = actix_http::HttpService::build()
                    .graceful_shutdown_signal(move || {
                        let signal = signal.clone();
                        async move { signal.notified().await }
                    })
                    .keep_alive(actix_http::KeepAlive::Timeout(Duration::from_secs(5)))
                    .client_request_timeout(Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .local_addr(local)
                    .h1(map_config(app, |_| AppConfig::default()));
                fn_service(|io: actix_rt::net::TcpStream| async move {
                    let peer = io.peer_addr().ok();
                    let _ = io.set_nodelay(true);
                    Ok::<_, actix_http::error::DispatchError>((ProblemIo::new(io), peer))
                })
                .and_then(http)
            })?
            .shutdown_timeout(30);
        if let Some(workers) = settings.workers {
            server = server.workers(workers.max(1));
        }
        if !settings.handle_signals {
            server = server.disable_signals();
        }
        let server = server.run();
        spawn_housekeeping(state.clone());
        Ok(Self {
            port,
            server,
            state,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn database(&self) -> &Database {
        &self.state.db
    }

    /// The fault hooks of this server's changes (tests arm them).
    pub fn faults(&self) -> Arc<oneonone_usecases::once::Faults> {
        Arc::clone(&self.state.faults)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serve until stopped (SIGINT/SIGTERM or the handle); in-flight requests finish first,
    /// then the job runner finishes its sends in flight and gives back what it still holds.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if let Some(jobs) = self.jobs {
            jobs.stop().await;
        }
        served
    }
}

/// Copy SQLite's write-ahead log back into the database file every second (the pools turn the
/// automatic checkpoint off); anything that writes for long — the server, the seed — runs this.
/// Between checkpoints the log holds every page each commit touched, so the interval bounds it.
pub fn spawn_checkpoints(db: oneonone_persistence::Database) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = db.checkpoint().await {
                tracing::debug!(error = %e, "checkpoint skipped");
            }
        }
    })
}

/// Periodic work: series topped up, months of ratings closed, expired idempotency keys and
/// idle rate-limit entries purged, and (SQLite) the write-ahead log checkpoint.
fn spawn_housekeeping(state: AppState) {
    spawn_checkpoints(state.db.clone());
    let db = state.db.clone();
    tokio::spawn(async move {
        // Keep every series stocked with its upcoming meetings as time passes.
        let mut tick = tokio::time::interval(Duration::from_secs(900));
        loop {
            tick.tick().await;
            if let Err(e) = oneonone_usecases::meetings::top_up_all(&db, chrono::Utc::now()).await {
                tracing::warn!(error = %e, "could not top up meeting series");
            }
        }
    });
    let months = state.db.clone();
    tokio::spawn(async move {
        // Close each month of ratings as it closes (at start, then hourly): the first report
        // that needs one then finds it kept instead of closing it (seconds at 100,000 people).
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let min_group = oneonone_domain::enps::DEFAULT_MIN_GROUP_SIZE;
            match oneonone_usecases::ratings::close_due(&months, chrono::Utc::now(), min_group)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(months = n, "closed months of ratings"),
                Err(e) => tracing::warn!(error = %e, "could not close months of ratings"),
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = LoginLimiter::purge(&state.db).await {
                tracing::warn!(error = %e, "could not purge login attempt counters");
            }
            let cutoff = chrono::Utc::now() - oneonone_persistence::idempotency::retention();
            if let Err(e) = state.db.purge_idempotency(cutoff).await {
                tracing::warn!(error = %e, "could not purge idempotency keys");
            }
        }
    });
}
