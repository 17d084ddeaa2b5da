//! Request extractors every endpoint shares: JSON bodies that fail as problems, query and path
//! errors, `If-Match`.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use oneonone_domain::ValidationErrors;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrorsKind};

use crate::problem::ApiError;

/// Default largest JSON body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// A JSON request body, parsed and validated, with its raw bytes kept (idempotency hashes them).
///
/// - a content type other than `application/json` (or `application/*+json`): 415;
/// - larger than `LIMIT` bytes: 413;
/// - not JSON: 400 `malformed_json`;
/// - JSON of the wrong shape, a NUL character in any string, or a failed `validator` rule: 422
///   `validation_failed` naming each field.
pub struct JsonBody<T, const LIMIT: usize = DEFAULT_BODY_LIMIT> {
    pub value: T,
    pub raw: web::Bytes,
}

impl<T, const LIMIT: usize> JsonBody<T, LIMIT> {
    pub fn into_inner(self) -> T {
        self.value
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(ct) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: DeserializeOwned + Validate + 'static, const LIMIT: usize> FromRequest
    for JsonBody<T, LIMIT>
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json_content_type(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if declared.is_some_and(|n| n > LIMIT) {
                return Err(ApiError::PayloadTooLarge { limit: LIMIT });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::bad_request(e.to_string()))?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(ApiError::PayloadTooLarge { limit: LIMIT });
                }
                body.extend_from_slice(&chunk);
            }
            let raw = body.freeze();
            let value = parse_json::<T>(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Parse and validate a JSON document into `T`.
pub fn parse_json<T: DeserializeOwned + Validate>(raw: &[u8]) -> Result<T, ApiError> {
    let Strict(mut doc) = serde_json::from_slice(raw).map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        detail: format!("the body is not valid JSON: {e}"),
    })?;
    if !doc.is_object() {
        // serde would read a struct from an array too (`[null, null]`); the contract says object.
        return Err(ApiError::validation("body", "must be a JSON object"));
    }
    reject_nul(&doc, "")?;
    integral_numbers(&mut doc);
    let value: T = serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        ApiError::Validation(ValidationErrors::single(field, clean_serde(e.inner())))
    })?;
    value.validate().map_err(from_validator)?;
    Ok(value)
}

/// A JSON document read as a `serde_json::Value`, except that an object naming a key twice is
/// refused: an intermediary that keeps the first and a reader that keeps the last would see
/// different requests (`{"private": true, "private": false}`).
struct Strict(serde_json::Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(out.into())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the key `{key}` appears twice"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(out.into())
    }
}

/// serde's messages mention Rust types; keep them but drop the position suffix.
fn clean_serde(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// JSON Schema counts `39.0` as an integer, and so do generated clients that send every number
/// as a float: write such numbers as integers, so that an integer field accepts them (a float
/// field accepts an integer as well). `39.5` stays what it is, and an integer field refuses it.
fn integral_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact: |f| < 2^53, so the conversion loses nothing.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *v = serde_json::Value::from(i);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// PostgreSQL cannot store NUL characters and SQLite can: refuse them everywhere, the same way.
fn reject_nul(v: &serde_json::Value, path: &str) -> Result<(), ApiError> {
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Err(ApiError::validation(
            if path.is_empty() { "body" } else { path },
            "must not contain the NUL character",
        )),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| reject_nul(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, item)| {
            if k.contains('\0') {
                return Err(ApiError::validation(
                    "body",
                    "must not contain the NUL character",
                ));
            }
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            reject_nul(item, &p)
        }),
        _ => Ok(()),
    }
}

/// Turn `validator`'s nested errors into field paths.
pub fn from_validator(errors: validator::ValidationErrors) -> ApiError {
    fn walk(prefix: &str, errors: &validator::ValidationErrors, out: &mut ValidationErrors) {
        for (field, kind) in errors.errors() {
            let path = if prefix.is_empty() {
                field.to_string()
            } else {
                format!("{prefix}.{field}")
            };
            match kind {
                ValidationErrorsKind::Field(list) => {
                    for e in list {
                        let message = e
                            .message
                            .as_ref()
                            .map(|m| m.to_string())
                            .unwrap_or_else(|| describe(e));
                        out.push(path.clone(), message);
                    }
                }
                ValidationErrorsKind::Struct(inner) => walk(&path, inner, out),
                ValidationErrorsKind::List(items) => {
                    for (i, inner) in items {
                        walk(&format!("{path}[{i}]"), inner, out);
                    }
                }
            }
        }
    }
    let mut out = ValidationErrors::default();
    walk("", &errors, &mut out);
    out.0.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::Validation(out)
}

fn describe(e: &validator::ValidationError) -> String {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("length must be between {min} and {max}"),
            (Some(min), None) => format!("length must be at least {min}"),
            (None, Some(max)) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            _ => "out of range".into(),
        },
        "email" => "must be a valid email address".into(),
        other => format!("invalid ({other})"),
    }
}

/// Query strings that do not parse are a 400 problem naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::BadRequest {
            code: "invalid_query",
            detail: format!("invalid query parameters: {err}"),
        }
        .into()
    })
}

/// A JSON merge patch (RFC 7396) document, applied by the handler onto the current fields.
#[derive(Debug, serde::Deserialize)]
pub struct MergePatch(pub serde_json::Map<String, serde_json::Value>);

impl Validate for MergePatch {
    fn validate(&self) -> Result<(), validator::ValidationErrors> {
        Ok(())
    }
}

impl MergePatch {
    /// Apply this patch onto `current` (RFC 7396) and parse the result back, with the same
    /// validation and problems as a request body.
    pub fn apply<T: serde::Serialize + DeserializeOwned + Validate>(
        self,
        current: &T,
    ) -> Result<T, ApiError> {
        let mut merged = serde_json::to_value(current).map_err(ApiError::internal)?;
        json_patch::merge(&mut merged, &serde_json::Value::Object(self.0));
        parse_json(merged.to_string().as_bytes())
    }
}

/// The `If-Match` precondition of a request, if it sent one.
#[derive(Debug, Clone)]
pub struct IfMatch(pub Option<String>);

impl IfMatch {
    /// `Ok` when there is no precondition or it matches `etag`; 412 otherwise.
    pub fn check(&self, etag: &str) -> Result<(), ApiError> {
        match &self.0 {
            None => Ok(()),
            Some(v) if v.trim() == "*" => Ok(()),
            Some(v) => {
                if v.split(',').any(|candidate| candidate.trim() == etag) {
                    Ok(())
                } else {
                    Err(ApiError::PreconditionFailed)
                }
            }
        }
    }

    /// The version an `If-Match` names, when it names exactly one of ours.
    pub fn version(&self) -> Option<i64> {
        let v = self.0.as_deref()?.trim();
        v.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req
            .headers()
            .get(header::IF_MATCH)
            .map(|v| v.to_str().map(str::to_owned));
        std::future::ready(match value {
            None => Ok(IfMatch(None)),
            Some(Ok(v)) if v.len() <= 1024 => Ok(IfMatch(Some(v))),
            _ => Err(ApiError::bad_request(
                "the If-Match header must be an ETag list of at most 1024 characters",
            )),
        })
    }
}

/// The `If-Match` header as the contract documents it.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// The `ETag` you read. When the resource changed since, the answer is 412 and nothing
    /// changes.
    #[serde(rename = "If-Match")]
    #[param(rename = "If-Match", example = "\"v3\"", max_length = 1024)]
    pub if_match: Option<String>,
}

/// The `Idempotency-Key` header as the contract documents it.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// A key of your choice (a UUID works well), 1 to 255 visible ASCII characters. The same key
    /// with the same body within 24 hours returns the first response (with
    /// `Idempotent-Replayed: true`) instead of creating again; with another body it is a 422.
    #[serde(rename = "Idempotency-Key")]
    #[param(
        rename = "Idempotency-Key",
        pattern = "^[!-~]{1,255}$",
        min_length = 1,
        max_length = 255,
        example = "6f1f3b1e-8a39-4a51-9f7e-4d6c1e2b9a10"
    )]
    pub idempotency_key: Option<String>,
}

/// The strong ETag of a versioned resource.
pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_named_twice_is_refused_and_everything_else_reads_as_serde_json_does() {
        let twice =
            serde_json::from_slice::<Strict>(br#"{"a": {"private": true, "private": false}}"#);
        assert!(twice.is_err_and(|e| e.to_string().contains("`private` appears twice")));
        let doc = br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        let Strict(strict) = serde_json::from_slice(doc).expect("strict");
        let plain: serde_json::Value = serde_json::from_slice(doc).expect("plain");
        assert_eq!(strict, plain);
    }

    #[test]
    fn integral_floats_are_integers() {
        #[derive(Debug, serde::Deserialize, Validate)]
        struct T {
            n: u16,
            x: f64,
        }
        let t: T = parse_json(br#"{"n": 39.0, "x": 2}"#).expect("39.0 is an integer");
        assert_eq!((t.n, t.x), (39, 2.0));
        assert!(parse_json::<T>(br#"{"n": 39.5, "x": 2}"#).is_err());
        assert!(parse_json::<T>(br#"{"n": 1e3, "x": 0.5}"#).is_ok());
    }
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[validate(length(min = 1, max = 3))]
        name: String,
    }

    #[test]
    fn json_errors_are_specific() {
        assert!(matches!(
            parse_json::<Body>(b"{"),
            Err(ApiError::BadRequest {
                code: "malformed_json",
                ..
            })
        ));
        match parse_json::<Body>(br#"{"name": 5}"#) {
            Err(ApiError::Validation(v)) => assert_eq!(v.0[0].field, "name"),
            other => panic!("unexpected {other:?}"),
        }
        match parse_json::<Body>(br#"{"name": "toolong"}"#) {
            Err(ApiError::Validation(v)) => assert_eq!(v.0[0].field, "name"),
            other => panic!("unexpected {other:?}"),
        }
        match parse_json::<Body>(br#"{"name": "a\u0000"}"#) {
            Err(ApiError::Validation(v)) => assert_eq!(v.0[0].field, "name"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(parse_json::<Body>(br#"{"name": "ok", "x": 1}"#).is_err());
        // A struct is an object, never an array (serde alone would take `["ok"]`).
        match parse_json::<Body>(br#"["ok"]"#) {
            Err(ApiError::Validation(v)) => assert_eq!(v.0[0].field, "body"),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            parse_json::<Body>(br#"{"name": "ok"}"#)
                .map(|b| b.name)
                .ok(),
            Some("ok".into())
        );
    }

    #[test]
    fn if_match() {
        assert!(IfMatch(None).check("\"v1\"").is_ok());
        assert!(IfMatch(Some("*".into())).check("\"v1\"").is_ok());
        assert!(
            IfMatch(Some("\"v2\", \"v1\"".into()))
                .check("\"v1\"")
                .is_ok()
        );
        assert!(IfMatch(Some("\"v2\"".into())).check("\"v1\"").is_err());
        assert_eq!(IfMatch(Some("\"v7\"".into())).version(), Some(7));
    }
}
