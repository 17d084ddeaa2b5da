-- Commitments made in a 1:1, open until done or cancelled.
CREATE TABLE action_items (
    id           UUID PRIMARY KEY,
    meeting_id   UUID NOT NULL REFERENCES meetings (id),
    series_id    UUID REFERENCES meeting_series (id),
    assignee_id  UUID NOT NULL REFERENCES people (id),
    created_by   UUID NOT NULL REFERENCES people (id),
    manager_id   UUID NOT NULL REFERENCES people (id),
    report_id    UUID NOT NULL REFERENCES people (id),
    title        TEXT NOT NULL,
    due_date     DATE,
    status       TEXT NOT NULL,
    completed_at TIMESTAMPTZ,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX action_items_assignee ON action_items (assignee_id, status, due_date);
CREATE INDEX action_items_series ON action_items (series_id, status);
CREATE INDEX action_items_meeting ON action_items (meeting_id);
