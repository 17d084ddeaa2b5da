//! `Idempotency-Key` on creates: a retried request gets the first response back.

use std::future::Future;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use oneonone_domain::Actor;
use oneonone_persistence::idempotency::IdempotencyState;

use crate::auth::sha256_hex;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED: &str = "Idempotent-Replayed";

/// The result of a create: status, body, and where the new resource lives.
pub struct Created {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub location: Option<String>,
    pub etag: Option<String>,
}

impl Created {
    pub fn new(body: serde_json::Value, location: String, etag: Option<String>) -> Self {
        Self {
            status: StatusCode::CREATED,
            body,
            location: Some(location),
            etag,
        }
    }

    fn into_response(self, replayed: bool) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(l) = &self.location {
            res.insert_header((header::LOCATION, l.clone()));
        }
        if let Some(e) = &self.etag {
            res.insert_header((header::ETAG, e.clone()));
        }
        if replayed {
            res.insert_header((REPLAYED, "true"));
        }
        res.json(self.body)
    }
}

/// Run `create` at most once per `Idempotency-Key` (per principal). Without the header it just
/// runs. The same key with the same body replays the stored response; with another body it is
/// a 422; while the first request is still running, a 409.
pub async fn create_once<F, Fut>(
    state: &AppState,
    actor: &Actor,
    req: &HttpRequest,
    raw_body: &[u8],
    create: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<Created>>,
{
    let key = match req.headers().get(HEADER) {
        None => return Ok(create().await?.into_response(false)),
        Some(v) => v
            .to_str()
            .ok()
            .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
            })?
            .to_owned(),
    };
    let principal = actor.key();
    let mut fingerprint = Vec::with_capacity(raw_body.len() + 64);
    fingerprint.extend_from_slice(req.method().as_str().as_bytes());
    fingerprint.push(b' ');
    fingerprint.extend_from_slice(req.path().as_bytes());
    fingerprint.push(b'\n');
    fingerprint.extend_from_slice(raw_body);
    let hash = sha256_hex(&fingerprint);
    match state.db.begin_idempotency(&principal, &key, &hash).await? {
        IdempotencyState::Acquired => {}
        IdempotencyState::InProgress { request_hash }
        | IdempotencyState::Done { request_hash, .. }
            if request_hash != hash =>
        {
            return Err(ApiError::Unprocessable {
                code: "idempotency_key_reused",
                detail: "this Idempotency-Key was used with a different request".into(),
            });
        }
        IdempotencyState::InProgress { .. } => {
            return Err(ApiError::Conflict {
                code: "idempotency_in_progress",
                detail: "a request with this Idempotency-Key is still being processed".into(),
            });
        }
        IdempotencyState::Done {
            status_code,
            body,
            location,
            ..
        } => {
            let body = serde_json::from_str(&body).map_err(ApiError::internal)?;
            let status = StatusCode::from_u16(status_code).unwrap_or(StatusCode::CREATED);
            let etag = None;
            return Ok(Created {
                status,
                body,
                location,
                etag,
            }
            .into_response(true));
        }
    }
    match create().await {
        Ok(created) => {
            let body = created.body.to_string();
            state
                .db
                .finish_idempotency(
                    &principal,
                    &key,
                    created.status.as_u16(),
                    &body,
                    created.location.as_deref(),
                )
                .await?;
            Ok(created.into_response(false))
        }
        Err(e) => {
            if let Err(release) = state.db.release_idempotency(&principal, &key).await {
                tracing::warn!(error = %release, "could not release idempotency key");
            }
            Err(e)
        }
    }
}
