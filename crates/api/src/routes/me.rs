//! `/me`: the signed-in person.

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, put, web};
use oneonone_domain::person::validate_password;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::people::PersonOut;
use crate::auth::{Auth, AuthReads, hash_password, verify_password};
use crate::extract::{JsonBody, etag};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

fn person_only(actor: &oneonone_domain::Actor) -> ApiResult<uuid::Uuid> {
    actor.person_id().ok_or_else(|| {
        ApiError::Forbidden("API tokens act for an integration, not a person".into())
    })
}

/// The signed-in person's own record. To change your display name or title, `PATCH
/// /api/v1/people/{your id}`.
#[utoipa::path(operation_id = "read_me", tag = super::TAG_AUTH, responses(
    (status = 200, description = "You.", body = PersonOut, headers(("ETag" = String)))
))]
#[get("/me")]
pub async fn read(AuthReads(actor, mut reads): AuthReads) -> ApiResult<HttpResponse> {
    let id = person_only(&actor)?;
    let person = reads.get_person(id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(person.version)))
        .json(PersonOut::from_person(person, &actor)))
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "the old one", "new_password": "a new long passphrase"}))]
pub struct ChangePassword {
    #[schema(pattern = r"^[^\u0000]*$", min_length = 1, max_length = 256)]
    pub current_password: String,
    #[schema(pattern = r"^[^\u0000]*$", min_length = 12, max_length = 256)]
    pub new_password: String,
}

/// Change your own password. Needs the current one.
#[utoipa::path(operation_id = "change_my_password", tag = super::TAG_AUTH, request_body = ChangePassword, responses(
    (status = 204, description = "Changed.")
))]
#[put("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    body: JsonBody<ChangePassword>,
) -> ApiResult<HttpResponse> {
    let id = person_only(&actor)?;
    let body = body.into_inner();
    validate_password("new_password", &body.new_password)?;
    let current = state.db.password_hash(id).await?;
    if !verify_password(body.current_password, current).await? {
        return Err(ApiError::validation(
            "current_password",
            "does not match your current password",
        ));
    }
    let hash = hash_password(body.new_password).await?;
    crate::idempotency::change(&state, move |tx| {
        Box::pin(
            async move { oneonone_usecases::people::change_own_password(tx, &actor, &hash).await },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of yours: each access token issued to you so far stops working (this one
/// too), on every device. Sign in again to go on. Changing your password does the same.
#[utoipa::path(operation_id = "sign_out_everywhere", tag = super::TAG_AUTH, responses(
    (status = 204, description = "Every access token issued to you so far has ended.")
))]
#[post("/me/sign-out-everywhere")]
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    Auth(actor): Auth,
) -> ApiResult<HttpResponse> {
    person_only(&actor)?;
    crate::idempotency::change(&state, move |tx| {
        Box::pin(async move { oneonone_usecases::people::sign_out_everywhere(tx, &actor).await })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
