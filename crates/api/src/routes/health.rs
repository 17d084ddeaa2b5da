//! Probes for load balancers and orchestrators, outside `/api/v1`.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// Status of a probe.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up. Never touches the database.
#[utoipa::path(operation_id = "healthz", tag = super::TAG_HEALTH, security(()), responses(
    (status = 200, description = "The process is up.", body = Health, example = json!({"status": "ok"}))
))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database answers. Fails with 503 while it does not; the server recovers by itself when
/// it returns.
#[utoipa::path(operation_id = "readyz", tag = super::TAG_HEALTH, security(()), responses(
    (status = 200, description = "Ready to serve.", body = Health, example = json!({"status": "ready"}))
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable
    })?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
