-- The conversation-starter library, its use by each pair, and agenda templates.
CREATE TABLE conversation_starters (
    id         BLOB PRIMARY KEY NOT NULL,
    category   TEXT NOT NULL,
    question   TEXT NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE starter_uses (
    starter_id     BLOB NOT NULL REFERENCES conversation_starters (id),
    meeting_id     BLOB NOT NULL REFERENCES meetings (id),
    manager_id     BLOB NOT NULL REFERENCES people (id),
    report_id      BLOB NOT NULL REFERENCES people (id),
    agenda_item_id BLOB NOT NULL,
    category       TEXT NOT NULL,
    used_at        TEXT NOT NULL
);
CREATE INDEX starter_uses_pair ON starter_uses (manager_id, report_id, used_at);

CREATE TABLE agenda_templates (
    id         BLOB PRIMARY KEY NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    items      TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
