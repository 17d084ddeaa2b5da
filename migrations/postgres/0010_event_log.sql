-- The event log: every change appends its events in the transaction that makes it. Readers
-- (sync, webhooks, reminders) follow it in (txid, position) order and only up to the oldest
-- transaction still running, so an event that commits late can never appear behind a reader's
-- cursor (see persistence/src/events.rs).
CREATE TABLE events (
    position     BIGSERIAL PRIMARY KEY,
    txid         BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    id           UUID NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   UUID NOT NULL,
    actor_id     UUID,
    actor_token  UUID,
    manager_id   UUID,
    report_id    UUID,
    private_to   UUID,
    content      BOOLEAN NOT NULL DEFAULT FALSE,
    data         TEXT NOT NULL DEFAULT '{}',
    occurred_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_order ON events (txid, position);
CREATE INDEX events_subject ON events (subject_type, subject_id, position);

-- Idempotent responses are written in the transaction of the change they answer, so there is
-- no longer a claimed-but-unanswered state: the old rows without a response were exactly the
-- keys a crash or a hung-up client left stuck.
DROP TABLE idempotency_keys;
CREATE TABLE idempotency_keys (
    principal     TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    location      TEXT,
    etag          TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
