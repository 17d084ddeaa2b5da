-- The agenda of a meeting (talking points, shared or private) and its notes.
CREATE TABLE agenda_items (
    id              UUID PRIMARY KEY,
    meeting_id      UUID NOT NULL REFERENCES meetings (id),
    author_id       UUID NOT NULL REFERENCES people (id),
    title           TEXT NOT NULL,
    details         TEXT,
    category        TEXT NOT NULL,
    private         BOOLEAN NOT NULL,
    position        INTEGER,
    checked         BOOLEAN NOT NULL DEFAULT FALSE,
    checked_at      TIMESTAMPTZ,
    first_added_at  TIMESTAMPTZ NOT NULL,
    times_carried   INTEGER NOT NULL DEFAULT 0,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, created_at);

-- One shared note per meeting (owner_key 'shared') and one private note per participant
-- (owner_key the participant's id).
CREATE TABLE meeting_notes (
    meeting_id  UUID NOT NULL REFERENCES meetings (id),
    owner_key   TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  UUID NOT NULL REFERENCES people (id),
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (meeting_id, owner_key)
);
