//! API tokens for integrations.

use oneonone_domain::policy::{self, Actor};
use oneonone_persistence::tokens::ApiTokenRecord;
use oneonone_persistence::{NewEvent, Tx};
use uuid::Uuid;

use crate::{Result, by};

/// Create an API token (HR admins) from its hash; the secret never reaches storage or events.
pub async fn create(
    tx: &mut Tx<'_>,
    actor: &Actor,
    name: &str,
    token_hash: &str,
    prefix: &str,
    scopes: &str,
    created_by: Uuid,
) -> Result<ApiTokenRecord> {
    policy::manage_tokens(actor)?;
    let record = tx
        .create_api_token(name, token_hash, prefix, scopes, created_by)
        .await?;
    // Tokens are HR's business: the event is for the system's readers only (content, no pair).
    tx.append_events(
        by(actor),
        &[NewEvent::new("api_token.created", "api_token", record.id).content()],
    )
    .await?;
    Ok(record)
}

/// Revoke a live API token (HR admins); it stops working at once.
pub async fn revoke(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<()> {
    policy::manage_tokens(actor)?;
    tx.revoke_api_token(id).await?;
    tx.append_events(
        by(actor),
        &[NewEvent::new("api_token.revoked", "api_token", id).content()],
    )
    .await?;
    Ok(())
}
