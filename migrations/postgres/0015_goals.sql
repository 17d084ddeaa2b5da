-- Goals (an objective with key results, or a SMART goal with one target), their key results
-- and their progress history. `progress` is the percentage derived from the key results,
-- written with them in the same change (never typed in by a client); so is the last update's
-- author, comment and time, which a 1:1 shows.
CREATE TABLE goals (
    id                        UUID PRIMARY KEY,
    owner_id                  UUID NOT NULL REFERENCES people (id),
    parent_id                 UUID REFERENCES goals (id),
    kind                      TEXT NOT NULL,
    title                     TEXT NOT NULL,
    description               TEXT,
    start_date                DATE NOT NULL,
    due_date                  DATE NOT NULL,
    visibility                TEXT NOT NULL,
    status                    TEXT NOT NULL,
    progress                  INTEGER NOT NULL,
    last_update_author_id     UUID REFERENCES people (id),
    last_update_comment       TEXT,
    last_update_at            TIMESTAMPTZ,
    last_discussed_meeting_id UUID REFERENCES meetings (id),
    last_discussed_at         TIMESTAMPTZ,
    created_by                UUID NOT NULL REFERENCES people (id),
    version                   BIGINT NOT NULL DEFAULT 1,
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL
);
CREATE INDEX goals_owner ON goals (owner_id, id);
CREATE INDEX goals_parent ON goals (parent_id, id);

-- A measure: numeric (start, target, current, unit) or a milestone (done).
CREATE TABLE key_results (
    id            UUID PRIMARY KEY,
    goal_id       UUID NOT NULL REFERENCES goals (id),
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    measure       TEXT NOT NULL,
    start_value   DOUBLE PRECISION,
    target_value  DOUBLE PRECISION,
    current_value DOUBLE PRECISION,
    unit          TEXT,
    done          BOOLEAN
);
CREATE INDEX key_results_goal ON key_results (goal_id, position);

-- Every progress update, the first one written when the goal is set: who, when, the status,
-- the goal's progress after it, the readings of the key results it changed (JSON) and a
-- comment.
CREATE TABLE goal_updates (
    id         UUID PRIMARY KEY,
    goal_id    UUID NOT NULL REFERENCES goals (id),
    author_id  UUID NOT NULL REFERENCES people (id),
    status     TEXT NOT NULL,
    progress   INTEGER NOT NULL,
    readings   TEXT NOT NULL,
    comment    TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX goal_updates_goal ON goal_updates (goal_id, created_at, id);
