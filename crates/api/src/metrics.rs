//! `/metrics` for Prometheus (OpenMetrics text): requests and latencies per route, the job
//! queue per channel, and what this process's job runner has done. Counts only: no person, no
//! id, no content.

use actix_web::{HttpResponse, get, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route's pattern (`/api/v1/meetings/{id}`), never the path itself.
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    channel: String,
    state: &'static str,
}

/// The registry and the metrics the server updates.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    queue: Family<QueueLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new(jobs: Option<oneonone_jobs::Stats>) -> Self {
        let mut registry = Registry::with_prefix("oneonone");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.25 ms to about 4 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by method and route",
            latency.clone(),
        );
        let queue = Family::<QueueLabels, Gauge>::default();
        registry.register(
            "jobs",
            "Outgoing jobs by channel and state (pending, retrying, dead), shared by every replica",
            queue.clone(),
        );
        if let Some(stats) = jobs {
            registry.register(
                "webhook_jobs_queued",
                "Deliveries this process queued from the event log",
                stats.jobs_queued,
            );
            registry.register(
                "webhook_attempts_succeeded",
                "Delivery attempts of this process the receiver answered 2xx",
                stats.attempts_ok,
            );
            registry.register(
                "webhook_attempts_failed",
                "Delivery attempts of this process that failed (status, timeout, connection)",
                stats.attempts_failed,
            );
            registry.register(
                "webhook_jobs_dead",
                "Deliveries this process gave up on after their retry window",
                stats.jobs_dead,
            );
        }
        Self {
            registry,
            requests,
            latency,
            queue,
        }
    }

    /// Count one answered request.
    pub fn observe(&self, method: &str, route: Option<String>, status: u16, seconds: f64) {
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                method: method.to_owned(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route,
                status,
            })
            .inc();
    }
}

/// Metrics for Prometheus, in the OpenMetrics text format. Counts only (no person, no id).
#[utoipa::path(operation_id = "metrics", tag = super::routes::TAG_HEALTH, security(()), responses(
    (status = 200, description = "OpenMetrics text.", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String,
        example = "# TYPE oneonone_jobs gauge\noneonone_jobs{channel=\"webhook\",state=\"pending\"} 3\n# EOF\n")
))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let counts = state.db.queue_counts().await?;
    state.metrics.queue.clear();
    for c in counts {
        for (name, value) in [
            ("pending", c.pending),
            ("retrying", c.retrying),
            ("dead", c.dead),
        ] {
            state
                .metrics
                .queue
                .get_or_create(&QueueLabels {
                    channel: c.channel.clone(),
                    state: name,
                })
                .set(value);
        }
    }
    let mut out = String::new();
    encode(&mut out, &state.metrics.registry)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(out))
}
