//! Every error is an RFC 9457 problem (`application/problem+json`) with a stable `code`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use oneonone_domain::ValidationErrors;
use oneonone_domain::policy::Denied;
use oneonone_persistence::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Path of the field in the request (`email`, `rows[3].manager_external_id`, `limit`).
    #[schema(example = "email")]
    pub field: String,
    #[schema(example = "must be a valid email address")]
    pub message: String,
}

/// Every `code` a problem can carry. The set is closed: a new one is a change of the contract.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a malformed request (header, path).
    BadRequest,
    /// 400: the body is not JSON.
    MalformedJson,
    /// 400: a query parameter is invalid.
    InvalidQuery,
    /// 400: a cursor this API did not issue.
    InvalidCursor,
    /// 401.
    Unauthorized,
    /// 403.
    Forbidden,
    /// 404: no such resource, or not yours to know about.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 409: a unique field (email, external id) is taken.
    Conflict,
    /// 409: the last active HR admin cannot be removed.
    LastHrAdmin,
    /// 409: people still report to this person.
    HasReports,
    /// 409: the meeting's status does not allow this change.
    InvalidTransition,
    /// 409: only a held meeting can be rated.
    NotHeld,
    /// 409: ratings close 14 days after their meeting started.
    RatingClosed,
    /// 409: the eNPS survey has not opened yet.
    SurveyNotOpen,
    /// 409: the eNPS survey has closed.
    SurveyClosed,
    /// 409: you have answered this survey (once is all).
    AlreadyAnswered,
    /// 409: this webhook delivery is still being sent.
    DeliveryPending,
    /// 409: the eNPS survey's results have not landed yet.
    ResultsNotReady,
    /// 409: the feedback request's due date has passed.
    RequestClosed,
    /// 409: a request with this Idempotency-Key is still running.
    IdempotencyInProgress,
    /// 412: the resource changed since you read it.
    PreconditionFailed,
    /// 408: the request's head did not arrive in time.
    RequestTimeout,
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 422: invalid fields, listed in `errors`.
    ValidationFailed,
    /// 422: a referenced record does not exist.
    UnknownReference,
    /// 422: this Idempotency-Key came with another request.
    IdempotencyKeyReused,
    /// 422: a person has as many chat destinations of this audience as allowed (10).
    TooManyDestinations,
    /// 431: the request's head (request line and headers) is too large.
    HeadersTooLarge,
    /// 429: retry after `Retry-After` seconds.
    RateLimited,
    /// 503: the database is unavailable; retry after `Retry-After` seconds.
    ServiceUnavailable,
    /// 500: a bug.
    InternalError,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:oneonone:problem:validation_failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request has invalid fields",
    "code": "validation_failed",
    "errors": [{"field": "email", "message": "must be a valid email address"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:oneonone:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong, for a person.
    pub detail: String,
    /// Stable machine-readable code, one of a closed set: switch on it.
    #[schema(value_type = ErrorCode)]
    pub code: String,
    /// The invalid fields, for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

/// Errors of the HTTP layer. Causes are logged, never returned.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("the resource changed since you read it")]
    PreconditionFailed,
    #[error("the request's head did not arrive in time")]
    RequestTimeout,
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request line and headers are larger than {limit} bytes")]
    HeadersTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request has invalid fields")]
    Validation(ValidationErrors),
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the database is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "bad_request",
            detail: detail.into(),
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(ValidationErrors::single(field, message))
    }

    /// For a record the request body refers to (`template_id`, `starter_id`): a missing one is
    /// the body's fault (422 on `field`), not a missing resource (404); other errors as usual.
    pub fn unless_found(
        field: &'static str,
        message: &'static str,
    ) -> impl FnOnce(StoreError) -> Self {
        move |e| match e {
            StoreError::NotFound => ApiError::validation(field, message),
            other => other.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(e.into())
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::PreconditionFailed => "precondition_failed",
            ApiError::RequestTimeout => "request_timeout",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::HeadersTooLarge { .. } => "headers_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unprocessable { code, .. } => code,
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            ApiError::NotFound => "no such resource, or it is not yours to see".to_owned(),
            ApiError::MethodNotAllowed { allow } => {
                format!("this resource does not support that method; it supports {allow}")
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("too many requests; retry in {retry_after_secs} s")
            }
            ApiError::Unavailable => "the database is unavailable; retry in a moment".to_owned(),
            ApiError::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation(v) => Some(
                v.0.iter()
                    .map(|e| FieldProblem {
                        field: e.field.clone(),
                        message: e.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        Problem {
            type_: format!("urn:oneonone:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) | ApiError::Unprocessable { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let problem = self.problem();
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"oneonone\""),
                ));
            }
            ApiError::MethodNotAllowed { allow } => {
                res.insert_header((header::ALLOW, allow.clone()));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Stale => ApiError::PreconditionFailed,
            StoreError::Conflict(what) => ApiError::Conflict {
                code: "conflict",
                detail: format!("another record already has this {what}"),
            },
            StoreError::Rule(errors) => ApiError::Validation(errors),
            StoreError::MissingReference => ApiError::Unprocessable {
                code: "unknown_reference",
                detail: "a referenced record does not exist".into(),
            },
            StoreError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::Unavailable
            }
            StoreError::Other(cause) => ApiError::Internal(cause.into()),
        }
    }
}

impl From<oneonone_usecases::Error> for ApiError {
    fn from(e: oneonone_usecases::Error) -> Self {
        use oneonone_usecases::Error as E;
        match e {
            E::Denied(d) => d.into(),
            E::NotFound => ApiError::NotFound,
            E::Invalid(v) => ApiError::Validation(v),
            E::Conflict { code, detail } => ApiError::Conflict { code, detail },
            E::Stale => ApiError::PreconditionFailed,
            E::Refused { code, detail } => ApiError::Unprocessable { code, detail },
            E::Store(s) => s.into(),
            E::Internal(cause) => ApiError::Internal(anyhow::anyhow!(cause)),
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Validation(e)
    }
}

impl From<Denied> for ApiError {
    fn from(d: Denied) -> Self {
        ApiError::Forbidden(d.0.to_owned())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
