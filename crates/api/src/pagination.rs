//! Cursor pagination: `{"data": [...], "next_cursor": "…" | null}` with opaque cursors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;

/// Paging parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

pub const MAX_LIMIT: u32 = 200;

/// Check `limit` (1..=200, default 50).
pub fn limit(raw: Option<u32>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(i64::from(DEFAULT_LIMIT)),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(i64::from(n)),
        Some(_) => Err(ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("limit must be between 1 and {MAX_LIMIT}"),
        }),
    }
}

/// Encode a position as an opaque cursor.
pub fn encode<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Decode a cursor this server issued; anything else is a 400.
pub fn decode<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(ApiError::BadRequest {
            code: "invalid_cursor",
            detail: "the cursor is not one this API issued; start again without it".into(),
        })
}

/// The position a request's `cursor` continues after, if it sent one (400 for a cursor this API
/// did not issue).
pub fn after<K: DeserializeOwned>(cursor: Option<&str>) -> Result<Option<K>, ApiError> {
    cursor.map(decode).transpose()
}

/// A page from `limit + 1` fetched rows: the rows to send, and the cursor of the next page
/// (the `key` of the last row sent) when more follow.
pub fn page<T, K: Serialize>(
    rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<String>) {
    let (rows, more) = split_page(rows, limit);
    let next = rows.last().filter(|_| more).map(|last| encode(&key(last)));
    (rows, next)
}

/// Split a fetched page of `limit + 1` rows into the page and whether more follow.
pub fn split_page<T>(mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    (rows, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = encode(&("a", 1));
        assert_eq!(decode::<(String, i32)>(&c).ok(), Some(("a".into(), 1)));
        assert!(decode::<(String, i32)>("!!").is_err());
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(201)).is_err());
        assert_eq!(limit(None).ok(), Some(50));
        assert_eq!(split_page(vec![1, 2, 3], 2), (vec![1, 2], true));
    }
}
