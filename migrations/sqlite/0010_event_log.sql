-- The event log: every change appends its events in the transaction that makes it. Readers
-- (sync, webhooks, reminders) follow it by position. On SQLite one writer commits in position
-- order, so `txid` is always 0 and `position` alone orders the log.
CREATE TABLE events (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    txid         INTEGER NOT NULL DEFAULT 0,
    id           BLOB NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   BLOB NOT NULL,
    actor_id     BLOB,
    actor_token  BLOB,
    manager_id   BLOB,
    report_id    BLOB,
    private_to   BLOB,
    content      INTEGER NOT NULL DEFAULT 0,
    data         TEXT NOT NULL DEFAULT '{}',
    occurred_at  TEXT NOT NULL
);
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
    created_at    TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
