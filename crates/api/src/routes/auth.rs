//! `POST /auth/login`: a password for an access token.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::{client_address, verify_password};
use crate::extract::JsonBody;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ada@example.com", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 254))]
    #[schema(pattern = r"^[^\u0000]*$", min_length = 1, max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 256))]
    #[schema(pattern = r"^[^\u0000]*$", min_length = 1, max_length = 256)]
    pub password: String,
}

/// An access token for `Authorization: Bearer …`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_at": "2026-11-23T10:00:00Z",
    "person_id": "019a6a5e-8f5e-7cc0-9a53-2a3f4c1b2d3e"
}))]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    #[serde(serialize_with = "crate::timestamp::utc")]
    pub expires_at: DateTime<Utc>,
    /// The signed-in person.
    pub person_id: Uuid,
}

/// Sign in with email and password.
///
/// Attempts are limited per account and per client address; past the limit the answer is 429
/// with `Retry-After`. A wrong email and a wrong password get the same answer.
#[utoipa::path(operation_id = "login", tag = super::TAG_AUTH, security(()), request_body = LoginRequest, responses(
    (status = 200, description = "Signed in.", body = LoginResponse),
    (status = 401, description = "Wrong email or password, or the account is deactivated.", body = crate::problem::Problem, content_type = "application/problem+json"),
))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: JsonBody<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.into_inner();
    let email = body.email.trim().to_lowercase();
    let address = client_address(&req, state.settings.trust_proxy);
    state.limiter.check(&state.db, &email, address).await?;
    let record = state.db.login_record(&email).await?;
    let hash = record.as_ref().and_then(|r| r.password_hash.clone());
    let ok = verify_password(body.password, hash).await?;
    let record = match record {
        Some(r) if ok && r.active => r,
        _ => {
            return Err(ApiError::Unauthorized(
                "wrong email or password, or the account is deactivated".into(),
            ));
        }
    };
    let (access_token, exp) = state.jwt.issue(record.id, record.session_generation)?;
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token,
        token_type: "Bearer",
        expires_at: DateTime::from_timestamp(exp, 0).unwrap_or_else(Utc::now),
        person_id: record.id,
    }))
}
