//! Authentication: password hashing, access tokens (JWT), API tokens, and the [`Auth`]
//! extractor that turns an `Authorization: Bearer …` header into an [`Actor`].

use std::net::IpAddr;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use oneonone_domain::{Actor, Scope};
use oneonone_persistence::Database;
use oneonone_persistence::Session;
use oneonone_persistence::people::PrincipalRecord;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::problem::ApiError;
use crate::state::AppState;

pub const ISSUER: &str = "oneonone";
pub const AUDIENCE: &str = "oneonone-api";
/// API tokens start with this, so they are easy to spot in logs and secret scanners.
pub const API_TOKEN_PREFIX: &str = "oo_";

/// Claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    /// Not valid before (the issue time).
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The person's session generation at sign-in: a password change, a reset, deactivation
    /// or "sign out everywhere" moves it on and ends this token.
    #[serde(default)]
    #[serde(rename = "gen")]
    pub generation: i64,
}

/// Clock skew tolerated between servers when checking `exp` and `nbf`, in seconds.
pub const CLOCK_LEEWAY_SECS: u64 = 5;

/// Keys and rules for access tokens (HS256).
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// Issue an access token for a person at their current session generation; returns the
    /// token and its expiry (Unix seconds).
    pub fn issue(&self, person: Uuid, generation: i64) -> Result<(String, i64), ApiError> {
        let now = Utc::now().timestamp();
        let exp = now + i64::try_from(self.ttl.as_secs()).unwrap_or(3600);
        let claims = Claims {
            sub: person,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            nbf: now,
            exp,
            jti: Uuid::now_v7(),
            generation,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)?;
        Ok((token, exp))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                let why = match e.kind() {
                    ErrorKind::ExpiredSignature => "the access token has expired",
                    ErrorKind::ImmatureSignature => "the access token is not valid yet",
                    ErrorKind::InvalidSignature => "the access token's signature is invalid",
                    ErrorKind::InvalidAudience | ErrorKind::InvalidIssuer => {
                        "the access token was not issued for this API"
                    }
                    ErrorKind::InvalidAlgorithm => "the access token's algorithm is not accepted",
                    _ => "the access token is malformed",
                };
                ApiError::Unauthorized(why.into())
            })
    }
}

/// A fresh random secret, URL-safe.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// SHA-256 in hex: how API tokens are stored and looked up. (Tokens carry 256 bits of
/// randomness, so a fast hash is enough; passwords get argon2.)
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Hash a password with argon2id (off the async workers: it is deliberately slow).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    web::block(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing failed: {e}")))
}

/// A hash of a password nobody has, verified against when the account does not exist so that a
/// login takes as long for an unknown email as for a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Hj8Yfvz8G1f7a9Qm4oR1mE3iQ0f8y9x5jJYV0vJc8mA";

/// Check a password against a stored hash (or the dummy one when there is none).
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    let exists = hash.is_some();
    let ok = web::block(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        match PasswordHash::new(&hash) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(ok && exists)
}

/// Login attempts per account and per client address, counted in the database so that every
/// replica shares them (three replicas must not allow three times the attempts).
pub struct LoginLimiter {
    per_minute: i64,
}

/// The window of [`LoginLimiter`].
const LOGIN_WINDOW_SECS: i64 = 60;

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute: i64::from(per_minute.max(1)),
        }
    }

    /// Count one attempt against the client address (which may stand for many people behind an
    /// office NAT, so it gets three times the room) and the account; 429 with the seconds to
    /// wait when either is over its limit.
    pub async fn check(
        &self,
        db: &Database,
        account: &str,
        address: Option<IpAddr>,
    ) -> Result<(), ApiError> {
        let now = Utc::now().timestamp();
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = address {
            keys.push((format!("login:address:{ip}"), self.per_minute * 3));
        }
        keys.push((format!("login:account:{account}"), self.per_minute));
        for (key, limit) in keys {
            let counted = db.count_attempt(&key, now, LOGIN_WINDOW_SECS).await?;
            if counted.attempts > limit {
                return Err(ApiError::TooManyRequests {
                    retry_after_secs: u64::try_from(counted.window_ends_in.max(1)).unwrap_or(1),
                });
            }
        }
        Ok(())
    }

    /// Forget windows that ended (housekeeping).
    pub async fn purge(db: &Database) -> Result<u64, oneonone_persistence::StoreError> {
        db.purge_attempts(Utc::now().timestamp() - LOGIN_WINDOW_SECS)
            .await
    }
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop behind a trusted proxy.
pub fn client_address(req: &HttpRequest, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// The authenticated principal of a request. Extracting it fails with 401 when the request has
/// no valid credentials, and with 503 when the database cannot be asked.
#[derive(Debug, Clone)]
pub struct Auth(pub Actor);

/// The bearer token of a request, or why there is none (401).
fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = match req.headers().get(header::AUTHORIZATION).map(|v| v.to_str()) {
        None => {
            return Err(ApiError::Unauthorized(
                "send an Authorization: Bearer <token> header".into(),
            ));
        }
        Some(Err(_)) => {
            return Err(ApiError::Unauthorized(
                "the Authorization header is malformed".into(),
            ));
        }
        Some(Ok(v)) => v,
    };
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::Unauthorized("the Authorization scheme must be Bearer".into()))
}

fn app_state(req: &HttpRequest) -> Option<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned()
}

fn no_state() -> ApiError {
    ApiError::internal(anyhow::anyhow!("no state"))
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (state, token) = (app_state(req), bearer(req));
        Box::pin(async move {
            let state = state.ok_or_else(no_state)?;
            authenticate(&state, &token?).await.map(Auth)
        })
    }
}

/// The authenticated principal and one pooled connection for the handler's reads, the one the
/// principal was read on (for a person; an API token is checked first, then a connection is
/// taken): one pool checkout a request instead of two. Never waits for a second connection
/// while holding one.
pub struct AuthReads(pub Actor, pub Session);

impl FromRequest for AuthReads {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pending = AuthPending::from_request(req, payload);
        Box::pin(async move {
            let AuthPending(bearer, mut reads) = pending.await?;
            let principal = match bearer.person_id() {
                Some(id) => reads.principal(id).await?,
                None => None,
            };
            Ok(AuthReads(bearer.into_actor(principal)?, reads))
        })
    }
}

/// A verified bearer whose principal is still to be checked, with a pooled connection: for a
/// page that reads the principal's record in its own query (one round trip less). The handler
/// must turn it into an actor with [`Bearer::into_actor`] before it uses anything it read.
pub struct AuthPending(pub Bearer, pub Session);

/// A verified bearer credential.
pub enum Bearer {
    /// An API token, checked in full already.
    Integration(Actor),
    /// A person's access token: signature and lifetime checked, their record not yet.
    Person(Claims),
}

impl Bearer {
    /// The person whose record [`Bearer::into_actor`] needs.
    pub fn person_id(&self) -> Option<Uuid> {
        match self {
            Bearer::Integration(_) => None,
            Bearer::Person(claims) => Some(claims.sub),
        }
    }

    /// The actor, if the person's account and session still hold (`principal` is the record
    /// of [`Bearer::person_id`]).
    pub fn into_actor(self, principal: Option<PrincipalRecord>) -> Result<Actor, ApiError> {
        match self {
            Bearer::Integration(actor) => Ok(actor),
            Bearer::Person(claims) => person(&claims, principal),
        }
    }
}

impl FromRequest for AuthPending {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let (state, token) = (app_state(req), bearer(req));
        Box::pin(async move {
            let state = state.ok_or_else(no_state)?;
            let token = token?;
            if token.starts_with(API_TOKEN_PREFIX) {
                let actor = authenticate(&state, &token).await?;
                return Ok(AuthPending(
                    Bearer::Integration(actor),
                    state.db.session().await?,
                ));
            }
            let claims = state.jwt.verify(&token)?;
            Ok(AuthPending(
                Bearer::Person(claims),
                state.db.session().await?,
            ))
        })
    }
}

async fn authenticate(state: &AppState, token: &str) -> Result<Actor, ApiError> {
    if let Some(secret) = token.strip_prefix(API_TOKEN_PREFIX) {
        let hash = sha256_hex(secret.as_bytes());
        let record = state
            .db
            .token_for_auth(&hash)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("unknown API token".into()))?;
        if record.revoked_at.is_some() {
            return Err(ApiError::Unauthorized("this API token was revoked".into()));
        }
        if !record.creator_active || !record.creator_hr_admin {
            return Err(ApiError::Unauthorized(
                "this API token's owner is no longer an active HR admin".into(),
            ));
        }
        let stale = record
            .last_used_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::seconds(60));
        if stale && let Err(e) = state.db.touch_api_token(record.id).await {
            tracing::warn!(error = %e, "could not record API token use");
        }
        let scopes = record
            .scopes
            .split_whitespace()
            .filter_map(|s| s.parse::<Scope>().ok())
            .collect();
        return Ok(Actor::Integration {
            token_id: record.id,
            scopes,
        });
    }
    let claims = state.jwt.verify(token)?;
    let principal = state.db.principal(claims.sub).await?;
    person(&claims, principal)
}

/// The person an access token stands for, if their account and session still hold.
fn person(claims: &Claims, principal: Option<PrincipalRecord>) -> Result<Actor, ApiError> {
    let principal =
        principal.ok_or_else(|| ApiError::Unauthorized("the account no longer exists".into()))?;
    if !principal.active {
        return Err(ApiError::Unauthorized("the account is deactivated".into()));
    }
    if claims.generation != principal.session_generation {
        return Err(ApiError::Unauthorized(
            "this session has ended (a password change, a sign-out everywhere or a \
             deactivation since it began): sign in again"
                .into(),
        ));
    }
    Ok(Actor::Person {
        id: claims.sub,
        hr_admin: principal.hr_admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_round_trip_and_rejections() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let id = Uuid::now_v7();
        let (token, _) = keys.issue(id, 3).expect("issue");
        let claims = keys.verify(&token).expect("valid");
        assert_eq!((claims.sub, claims.generation), (id, 3));
        // A token that is not valid yet (beyond the leeway) is refused.
        let early = Claims {
            nbf: Utc::now().timestamp() + 600,
            ..claims
        };
        let early = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &early, &keys.encoding)
            .expect("encode");
        assert!(keys.verify(&early).is_err());
        let other = JwtKeys::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&token).is_err());
        assert!(keys.verify("not.a.jwt").is_err());
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
