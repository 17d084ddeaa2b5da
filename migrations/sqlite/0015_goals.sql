-- Goals (an objective with key results, or a SMART goal with one target), their key results
-- and their progress history. `progress` is the percentage derived from the key results,
-- written with them in the same change (never typed in by a client); so is the last update's
-- author, comment and time, which a 1:1 shows.
CREATE TABLE goals (
    id                        BLOB PRIMARY KEY NOT NULL,
    owner_id                  BLOB NOT NULL REFERENCES people (id),
    parent_id                 BLOB REFERENCES goals (id),
    kind                      TEXT NOT NULL,
    title                     TEXT NOT NULL,
    description               TEXT,
    start_date                TEXT NOT NULL,
    due_date                  TEXT NOT NULL,
    visibility                TEXT NOT NULL,
    status                    TEXT NOT NULL,
    progress                  INTEGER NOT NULL,
    last_update_author_id     BLOB REFERENCES people (id),
    last_update_comment       TEXT,
    last_update_at            TEXT,
    last_discussed_meeting_id BLOB REFERENCES meetings (id),
    last_discussed_at         TEXT,
    created_by                BLOB NOT NULL REFERENCES people (id),
    version                   INTEGER NOT NULL DEFAULT 1,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
);
CREATE INDEX goals_owner ON goals (owner_id, id);
CREATE INDEX goals_parent ON goals (parent_id, id);

-- A measure: numeric (start, target, current, unit) or a milestone (done).
CREATE TABLE key_results (
    id            BLOB PRIMARY KEY NOT NULL,
    goal_id       BLOB NOT NULL REFERENCES goals (id),
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    measure       TEXT NOT NULL,
    start_value   REAL,
    target_value  REAL,
    current_value REAL,
    unit          TEXT,
    done          INTEGER
);
CREATE INDEX key_results_goal ON key_results (goal_id, position);

-- Every progress update, the first one written when the goal is set: who, when, the status,
-- the goal's progress after it, the readings of the key results it changed (JSON) and a
-- comment.
CREATE TABLE goal_updates (
    id         BLOB PRIMARY KEY NOT NULL,
    goal_id    BLOB NOT NULL REFERENCES goals (id),
    author_id  BLOB NOT NULL REFERENCES people (id),
    status     TEXT NOT NULL,
    progress   INTEGER NOT NULL,
    readings   TEXT NOT NULL,
    comment    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX goal_updates_goal ON goal_updates (goal_id, created_at, id);
