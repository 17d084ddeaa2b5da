//! Webhook subscriptions, and turning the event log into deliveries.
//!
//! Subscriptions are HR's (or a `webhooks:manage` token's) business: their events are for the
//! system's readers only. The fan-out is a change of its own: it takes the log's cursor, reads
//! what came after it, queues one job per (subscription, event) that may go out, and moves the
//! cursor, in one transaction; so an event becomes each subscription's delivery exactly once,
//! whichever replica does it and whenever one dies.

use chrono::{DateTime, Utc};
use oneonone_domain::policy::{self, Actor};
use oneonone_domain::webhook::{self, EventFilter};
use oneonone_persistence::events::Event;
use oneonone_persistence::jobs::{AttemptOutcome, NewJob, Settled};
use oneonone_persistence::webhooks::{NewWebhook, WebhookChange, WebhookRecord};
use oneonone_persistence::{EventActor, NewEvent, Tx};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{Error, Result, by};

/// The name of the webhooks' place in the event log.
pub const CURSOR: &str = "webhooks";
/// The channel of webhook jobs.
pub const CHANNEL: &str = "webhook";

fn event(kind: &'static str, id: Uuid) -> NewEvent {
    NewEvent::new(kind, "webhook_subscription", id).content()
}

pub async fn create(tx: &mut Tx<'_>, actor: &Actor, new: NewWebhook) -> Result<WebhookRecord> {
    policy::manage_webhooks(actor)?;
    let record = tx.create_webhook(new).await?;
    tx.append_events(
        by(actor),
        &[event("webhook_subscription.created", record.id)],
    )
    .await?;
    Ok(record)
}

pub async fn update(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    expected: Option<i64>,
    change: WebhookChange,
) -> Result<WebhookRecord> {
    policy::manage_webhooks(actor)?;
    let record = tx.update_webhook(id, expected, change).await?;
    tx.append_events(by(actor), &[event("webhook_subscription.updated", id)])
        .await?;
    Ok(record)
}

pub async fn rotate_secret(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: Uuid,
    secret: &str,
    previous_until: DateTime<Utc>,
) -> Result<WebhookRecord> {
    policy::manage_webhooks(actor)?;
    let record = tx.rotate_webhook_secret(id, secret, previous_until).await?;
    tx.append_events(
        by(actor),
        &[event("webhook_subscription.secret_rotated", id)],
    )
    .await?;
    Ok(record)
}

pub async fn delete(tx: &mut Tx<'_>, actor: &Actor, id: Uuid) -> Result<()> {
    policy::manage_webhooks(actor)?;
    tx.delete_webhook(id).await?;
    tx.append_events(by(actor), &[event("webhook_subscription.deleted", id)])
        .await?;
    Ok(())
}

/// Send a delivered or dead delivery again, retried until `deadline`.
pub async fn redeliver(
    tx: &mut Tx<'_>,
    actor: &Actor,
    subscription: Uuid,
    delivery: Uuid,
    deadline: DateTime<Utc>,
) -> Result<()> {
    policy::manage_webhooks(actor)?;
    tx.get_webhook(subscription).await?;
    if !tx.redeliver_job(subscription, delivery, deadline).await? {
        return Err(Error::Conflict {
            code: "delivery_pending",
            detail: "this delivery is still being sent; redeliver it once it is delivered or dead"
                .into(),
        });
    }
    Ok(())
}

/// Queue a test delivery (`webhook.ping`) to a subscription. Its id, the delivery's.
pub async fn ping(
    tx: &mut Tx<'_>,
    actor: &Actor,
    subscription: Uuid,
    deadline: DateTime<Utc>,
) -> Result<Uuid> {
    policy::manage_webhooks(actor)?;
    let record = tx.get_webhook(subscription).await?;
    let id = Uuid::now_v7();
    let payload = json!({
        "id": id,
        "type": "webhook.ping",
        "occurred_at": oneonone_persistence::now(),
        "subject": {"type": "webhook_subscription", "id": record.id},
        "actor": actor_json(by(actor)),
        "pair": null,
        "data": {},
    });
    tx.enqueue_jobs(&[NewJob {
        id,
        channel: CHANNEL,
        target_id: record.id,
        event_id: Some(id),
        kind: "webhook.ping".into(),
        subject_id: record.id,
        payload: payload.to_string(),
        deadline,
        not_before: None,
    }])
    .await?;
    Ok(id)
}

fn actor_json(a: EventActor) -> Value {
    if a.person_id.is_none() && a.token_id.is_none() {
        return Value::Null;
    }
    json!({"person_id": a.person_id, "token_id": a.token_id})
}

/// The body of a webhook for an event: metadata only (the event's data is metadata by
/// construction: ids, statuses, names of fields).
pub fn payload(e: &Event) -> Value {
    let data: Value = serde_json::from_str(&e.data).unwrap_or_else(|_| json!({}));
    let actor = if webhook::names_actor(&e.kind) {
        actor_json(EventActor {
            person_id: e.actor_id,
            token_id: e.actor_token,
        })
    } else {
        Value::Null
    };
    let pair = match (e.manager_id, e.report_id) {
        (Some(m), Some(r)) => json!({"manager_id": m, "report_id": r}),
        _ => Value::Null,
    };
    json!({
        "id": e.id,
        "type": e.kind,
        "occurred_at": e.occurred_at,
        "subject": {"type": e.subject_type, "id": e.subject_id},
        "actor": actor,
        "pair": pair,
        "data": data,
    })
}

pub use crate::outbox::FanOut;

/// Turn up to `limit` events after the cursor into deliveries, retried until `window` after
/// now. A subscription gets the events that occurred after it was created.
pub async fn fan_out(tx: &mut Tx<'_>, limit: i64, window: chrono::Duration) -> Result<FanOut> {
    crate::outbox::fan_out(
        tx,
        CURSOR,
        limit,
        async |tx: &mut Tx<'_>, events: &[Event]| {
            let subscriptions: Vec<(WebhookRecord, EventFilter)> = tx
                .all_webhooks()
                .await?
                .into_iter()
                .map(|s| {
                    let filter = EventFilter::from_stored(&s.event_types);
                    (s, filter)
                })
                .collect();
            let deadline = oneonone_persistence::now() + window;
            let mut jobs = Vec::new();
            for e in events {
                if !webhook::delivers(&e.kind, e.content, e.private_to.is_some()) {
                    continue;
                }
                let mut body: Option<String> = None;
                for (s, filter) in &subscriptions {
                    if e.occurred_at < s.created_at || !filter.matches(&e.kind) {
                        continue;
                    }
                    let body = body.get_or_insert_with(|| payload(e).to_string());
                    jobs.push(NewJob {
                        id: Uuid::now_v7(),
                        channel: CHANNEL,
                        target_id: s.id,
                        event_id: Some(e.id),
                        kind: e.kind.clone(),
                        subject_id: e.subject_id,
                        payload: body.clone(),
                        deadline,
                        not_before: None,
                    });
                }
            }
            Ok(jobs)
        },
    )
    .await
}

/// Record an attempt. A delivery that dies turns its subscription off when nothing reached
/// the receiver since the delivery was queued (a whole retry window of failures): the event
/// `webhook_subscription.disabled` tells the owner.
pub async fn settle(
    tx: &mut Tx<'_>,
    outcome: &AttemptOutcome,
    subscription: Uuid,
    queued_at: DateTime<Utc>,
) -> Result<Settled> {
    let settled = tx.settle_job(outcome).await?;
    if settled == Settled::Dead && tx.disable_failing_webhook(subscription, queued_at).await? {
        tx.append_events(
            EventActor::default(),
            &[event("webhook_subscription.disabled", subscription)
                .data(json!({"reason": "failing"}))],
        )
        .await?;
    }
    Ok(settled)
}
