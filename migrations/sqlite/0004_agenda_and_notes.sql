-- The agenda of a meeting (talking points, shared or private) and its notes.
CREATE TABLE agenda_items (
    id              BLOB PRIMARY KEY NOT NULL,
    meeting_id      BLOB NOT NULL REFERENCES meetings (id),
    author_id       BLOB NOT NULL REFERENCES people (id),
    title           TEXT NOT NULL,
    details         TEXT,
    category        TEXT NOT NULL,
    private         INTEGER NOT NULL,
    position        INTEGER,
    checked         INTEGER NOT NULL DEFAULT 0,
    checked_at      TEXT,
    first_added_at  TEXT NOT NULL,
    times_carried   INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX agenda_items_meeting ON agenda_items (meeting_id, created_at);

-- One shared note per meeting (owner_key 'shared') and one private note per participant
-- (owner_key the participant's id).
CREATE TABLE meeting_notes (
    meeting_id  BLOB NOT NULL REFERENCES meetings (id),
    owner_key   TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_by  BLOB NOT NULL REFERENCES people (id),
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (meeting_id, owner_key)
);
