//! Run a change once: in one transaction with its events and, for a request with an
//! `Idempotency-Key`, with the response it answers, so that a retry after any failure either
//! replays that response or performs the change (once).

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::future::BoxFuture;
use oneonone_persistence::idempotency::{KEY_TAKEN, StoredResponse};
use oneonone_persistence::{Database, StoreError, Tx};

use crate::{Error, Result};

/// A request's idempotency key: whose, which, and a fingerprint of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// The actor's key (`person:…`, `token:…`): keys are per principal.
    pub principal: String,
    pub key: String,
    /// A hash of the method, path and body: the same key with another request is refused.
    pub request_hash: String,
}

/// A response as a client sees it; stored as is for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    pub etag: Option<String>,
}

/// What [`run`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The change happened now.
    Fresh(Response),
    /// An earlier request with the same key and body made it; this is its response.
    Replayed(Response),
}

/// Test hooks that make the next change fail at a chosen point, to show that nothing is left
/// half done. Each counter is the number of upcoming changes to fail there.
#[derive(Debug, Default)]
pub struct Faults {
    /// After the change, its events and its response are written, before the commit: the
    /// transaction rolls back.
    pub before_commit: AtomicU32,
    /// After the commit, before the answer: the change is made but the client hears a 500.
    pub after_commit: AtomicU32,
}

impl Faults {
    fn take(counter: &AtomicU32) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// A change to run in a transaction, answering with its response.
pub type Change = Box<dyn for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, Result<Response>> + Send>;

fn replay(stored: StoredResponse, key: &Key) -> Result<Answer> {
    if stored.request_hash != key.request_hash {
        return Err(Error::Refused {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was used with a different request".into(),
        });
    }
    Ok(Answer::Replayed(Response {
        status: stored.status_code,
        body: stored.body,
        location: stored.location,
        etag: stored.etag,
    }))
}

/// Run `change` in one transaction. With a `key`, a response stored for it is replayed instead
/// (or refused when the key came with another request), and otherwise the change's response is
/// stored in its transaction. Two requests racing with one key both run their change; the one
/// that commits second finds the key taken, rolls back, and replays the first one's response.
pub async fn run(
    db: &Database,
    faults: &Arc<Faults>,
    key: Option<Key>,
    change: Change,
) -> Result<Answer> {
    if let Some(k) = &key
        && let Some(stored) = db.stored_response(&k.principal, &k.key).await?
    {
        return replay(stored, k);
    }
    let faults_in_tx = Arc::clone(faults);
    let key_in_tx = key.clone();
    let outcome = db
        .transact(move |tx| {
            Box::pin(async move {
                let response = change(tx).await?;
                if let Some(k) = &key_in_tx {
                    let stored = StoredResponse {
                        request_hash: k.request_hash.clone(),
                        status_code: response.status,
                        body: response.body.clone(),
                        location: response.location.clone(),
                        etag: response.etag.clone(),
                    };
                    tx.save_response(&k.principal, &k.key, &stored).await?;
                }
                if Faults::take(&faults_in_tx.before_commit) {
                    return Err(Error::internal("injected fault before commit"));
                }
                Ok(response)
            })
        })
        .await;
    match outcome {
        Ok(response) => {
            if Faults::take(&faults.after_commit) {
                return Err(Error::internal("injected fault after commit"));
            }
            Ok(Answer::Fresh(response))
        }
        // The change failed, perhaps because a request with the same key made the same change
        // first (a taken email, say) or took the key: then that request's answer is this one's.
        Err(e) => match &key {
            Some(k) => match db.stored_response(&k.principal, &k.key).await? {
                Some(stored) => replay(stored, k),
                None if matches!(e, Error::Store(StoreError::Conflict(KEY_TAKEN))) => {
                    Err(Error::Conflict {
                        code: "idempotency_in_progress",
                        detail: "a request with this Idempotency-Key is still being processed"
                            .into(),
                    })
                }
                None => Err(e),
            },
            None => Err(e),
        },
    }
}
