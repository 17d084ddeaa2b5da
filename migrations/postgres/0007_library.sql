-- The conversation-starter library, its use by each pair, and agenda templates.
CREATE TABLE conversation_starters (
    id         UUID PRIMARY KEY,
    category   TEXT NOT NULL,
    question   TEXT NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE starter_uses (
    starter_id     UUID NOT NULL REFERENCES conversation_starters (id),
    meeting_id     UUID NOT NULL REFERENCES meetings (id),
    manager_id     UUID NOT NULL REFERENCES people (id),
    report_id      UUID NOT NULL REFERENCES people (id),
    agenda_item_id UUID NOT NULL,
    category       TEXT NOT NULL,
    used_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX starter_uses_pair ON starter_uses (manager_id, report_id, used_at);

CREATE TABLE agenda_templates (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    items      TEXT NOT NULL,
    version    BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
