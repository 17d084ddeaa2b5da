//! Changes from HTTP: each runs as one use-case transaction; creates accept `Idempotency-Key`,
//! and their response is stored in that same transaction (see `oneonone_usecases::once`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::BoxFuture;
use oneonone_domain::Actor;
use oneonone_usecases::once::{self, Answer, Key, Response};
use oneonone_usecases::{Precondition, Tx};
use serde::Serialize;

use crate::auth::sha256_hex;
use crate::extract::IfMatch;
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";
pub const REPLAYED: &str = "Idempotent-Replayed";

/// A response to store and send: status, JSON body, `Location` and `ETag`.
pub fn reply<T: Serialize>(
    status: StatusCode,
    body: &T,
    location: Option<String>,
    etag: Option<String>,
) -> oneonone_usecases::Result<Response> {
    Ok(Response {
        status: status.as_u16(),
        body: serde_json::to_string(body).map_err(oneonone_usecases::Error::internal)?,
        location,
        etag,
    })
}

/// `201 Created` with the new resource, its URL and (if it has one) its ETag.
pub fn created<T: Serialize>(
    body: &T,
    location: String,
    etag: Option<String>,
) -> oneonone_usecases::Result<Response> {
    reply(StatusCode::CREATED, body, Some(location), etag)
}

fn into_http(r: Response, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let mut res = HttpResponse::build(status);
    res.content_type("application/json");
    if let Some(l) = r.location {
        res.insert_header((header::LOCATION, l));
    }
    if let Some(e) = r.etag {
        res.insert_header((header::ETAG, e));
    }
    if replayed {
        res.insert_header((REPLAYED, "true"));
    }
    res.body(r.body)
}

/// The request's `Idempotency-Key`, if it sent one, with the fingerprint of the request.
fn key_of(actor: &Actor, req: &HttpRequest, raw_body: &[u8]) -> ApiResult<Option<Key>> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters")
        })?
        .to_owned();
    let mut fingerprint = Vec::with_capacity(raw_body.len() + 64);
    fingerprint.extend_from_slice(req.method().as_str().as_bytes());
    fingerprint.push(b' ');
    fingerprint.extend_from_slice(req.path().as_bytes());
    fingerprint.push(b'\n');
    fingerprint.extend_from_slice(raw_body);
    Ok(Some(Key {
        principal: actor.key(),
        key,
        request_hash: sha256_hex(&fingerprint),
    }))
}

/// Run a create at most once per `Idempotency-Key` (per principal): the change, its events and
/// its response commit together. Without the header it just runs. The same key with the same
/// body replays the stored response (`Idempotent-Replayed: true`); with another body it is a
/// 422.
pub async fn create_once<F>(
    state: &AppState,
    actor: &Actor,
    req: &HttpRequest,
    raw_body: &[u8],
    change: F,
) -> ApiResult<HttpResponse>
where
    F: for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, oneonone_usecases::Result<Response>>
        + Send
        + 'static,
{
    let key = key_of(actor, req, raw_body)?;
    match once::run(&state.db, &state.faults, key, Box::new(change)).await? {
        Answer::Fresh(r) => Ok(into_http(r, false)),
        Answer::Replayed(r) => Ok(into_http(r, true)),
    }
}

/// Run a change that is not a create in one transaction, answering with what it returns.
pub async fn change<T, F>(state: &AppState, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, oneonone_usecases::Result<T>>
        + Send
        + 'static,
{
    Ok(state.db.transact(work).await?)
}

impl IfMatch {
    /// The precondition as a use case checks it: versions of ours the header names.
    pub fn precondition(&self) -> Precondition {
        match self.0.as_deref().map(str::trim) {
            None | Some("*") => Precondition::none(),
            Some(list) => Precondition::versions(
                list.split(',')
                    .filter_map(|t| {
                        t.trim()
                            .strip_prefix("\"v")?
                            .strip_suffix('"')?
                            .parse()
                            .ok()
                    })
                    .collect(),
            ),
        }
    }
}
