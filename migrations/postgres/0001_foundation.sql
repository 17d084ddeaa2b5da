-- People, credentials, API tokens, idempotency records and settings.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE people (
    id               UUID PRIMARY KEY,
    email            TEXT NOT NULL,
    email_normalized TEXT NOT NULL UNIQUE,
    search_text      TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    title            TEXT,
    department       TEXT,
    manager_id       UUID REFERENCES people (id),
    external_id      TEXT UNIQUE,
    hr_admin         BOOLEAN NOT NULL DEFAULT FALSE,
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    password_hash    TEXT,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deactivated_at   TIMESTAMPTZ
);
CREATE INDEX people_manager ON people (manager_id, id);
CREATE INDEX people_updated ON people (updated_at, id);
CREATE INDEX people_department ON people (department, id);

CREATE TABLE person_secondary_managers (
    person_id  UUID NOT NULL REFERENCES people (id),
    manager_id UUID NOT NULL REFERENCES people (id),
    PRIMARY KEY (person_id, manager_id)
);
CREATE INDEX person_secondary_managers_manager ON person_secondary_managers (manager_id);

CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    created_by   UUID NOT NULL REFERENCES people (id),
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE idempotency_keys (
    principal     TEXT NOT NULL,
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   INTEGER,
    response_body TEXT,
    location      TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
