-- Webhook subscriptions: where HR systems and scripts want events pushed, signed with a secret
-- of each subscription (the previous one stays valid until `previous_secret_until` after a
-- rotation, so a receiver can switch without losing a delivery).
CREATE TABLE webhook_subscriptions (
    id                    BLOB PRIMARY KEY NOT NULL,
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL,
    event_types           TEXT NOT NULL,
    secret                TEXT NOT NULL,
    previous_secret       TEXT,
    previous_secret_until TEXT,
    active                INTEGER NOT NULL,
    disabled_reason       TEXT,
    created_by            BLOB REFERENCES people (id),
    created_by_token      BLOB,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    version               BIGINT NOT NULL
);

-- The job queue of every outgoing channel (webhooks first). A job is one message to one
-- target; its id is the stable id the receiver de-duplicates on. Workers claim due jobs with
-- a lease (`claimed_until`): a worker that dies loses its claims when the lease ends. Jobs of
-- one target about one record go out in order (`seq`): a job waits while an older one of the
-- same (target, subject) is pending.
CREATE TABLE jobs (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              BLOB NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    target_id       BLOB NOT NULL,
    event_id        BLOB,
    kind            TEXT NOT NULL,
    subject_id      BLOB NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    deadline        TEXT NOT NULL,
    claimed_by      BLOB,
    claimed_until   TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE UNIQUE INDEX jobs_once ON jobs (target_id, event_id);
-- Claims take due jobs oldest first: pending ones in queue order, the due ones among them.
CREATE INDEX jobs_pending ON jobs (seq) WHERE state = 'pending';
CREATE INDEX jobs_in_order ON jobs (target_id, subject_id, seq) WHERE state = 'pending';
CREATE INDEX jobs_of_target ON jobs (target_id, seq);
CREATE INDEX jobs_unfinished ON jobs (channel) WHERE state <> 'delivered';

-- Every attempt of a job: when, how long, what the receiver answered.
CREATE TABLE job_attempts (
    job_id      BLOB NOT NULL,
    attempt     INTEGER NOT NULL,
    worker      BLOB NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error       TEXT,
    PRIMARY KEY (job_id, attempt)
);

-- How far each reader of the event log has turned it into jobs.
CREATE TABLE log_cursors (
    name     TEXT PRIMARY KEY,
    txid     BIGINT NOT NULL,
    position BIGINT NOT NULL
);
INSERT INTO log_cursors (name, txid, position) VALUES ('webhooks', 0, 0);
