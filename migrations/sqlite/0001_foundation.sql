-- People, credentials, API tokens, idempotency records and settings.
-- UUIDs are 16-byte BLOBs, instants RFC 3339 text in UTC (sqlx's encoding), booleans 0/1.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id               BLOB PRIMARY KEY NOT NULL,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    search_text      TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    title            TEXT,
    department       TEXT,
    manager_id       BLOB REFERENCES people (id),
    external_id      TEXT UNIQUE,
    hr_admin         INTEGER NOT NULL DEFAULT 0,
    active           INTEGER NOT NULL DEFAULT 1,
    password_hash    TEXT,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deactivated_at   TEXT
);
CREATE INDEX people_manager ON people (manager_id, id);
CREATE INDEX people_updated ON people (updated_at, id);
CREATE INDEX people_department ON people (department, id);

CREATE TABLE person_secondary_managers (
    person_id  BLOB NOT NULL REFERENCES people (id),
    manager_id BLOB NOT NULL REFERENCES people (id),
    PRIMARY KEY (person_id, manager_id)
);
CREATE INDEX person_secondary_managers_manager ON person_secondary_managers (manager_id);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_by   BLOB NOT NULL REFERENCES people (id),
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE idempotency_keys (
    principal     TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    response_body TEXT,
    location      TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
