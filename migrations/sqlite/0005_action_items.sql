-- Commitments made in a 1:1, open until done or cancelled.
CREATE TABLE action_items (
    id           BLOB PRIMARY KEY NOT NULL,
    meeting_id   BLOB NOT NULL REFERENCES meetings (id),
    series_id    BLOB REFERENCES meeting_series (id),
    assignee_id  BLOB NOT NULL REFERENCES people (id),
    created_by   BLOB NOT NULL REFERENCES people (id),
    manager_id   BLOB NOT NULL REFERENCES people (id),
    report_id    BLOB NOT NULL REFERENCES people (id),
    title        TEXT NOT NULL,
    due_date     TEXT,
    status       TEXT NOT NULL,
    completed_at TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX action_items_assignee ON action_items (assignee_id, status, due_date);
CREATE INDEX action_items_series ON action_items (series_id, status);
CREATE INDEX action_items_meeting ON action_items (meeting_id);
