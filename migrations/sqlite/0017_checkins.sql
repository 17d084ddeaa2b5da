-- Check-in cycles launched by HR, and one check-in per person of the population with the
-- manager they had at launch (moved with the person while open). `goals` is the JSON snapshot
-- of the person's goals at submission.
CREATE TABLE checkin_cycles (
    id            BLOB PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    frequency     TEXT NOT NULL,
    period_start  TEXT NOT NULL,
    period_end    TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    population    TEXT NOT NULL,
    department    TEXT,
    subtree_root  BLOB REFERENCES people (id),
    created_by    BLOB NOT NULL REFERENCES people (id),
    created_at    TEXT NOT NULL
);

CREATE TABLE checkins (
    id              BLOB PRIMARY KEY NOT NULL,
    cycle_id        BLOB NOT NULL REFERENCES checkin_cycles (id),
    person_id       BLOB NOT NULL REFERENCES people (id),
    manager_id      BLOB NOT NULL REFERENCES people (id),
    state           TEXT NOT NULL,
    went_well       TEXT,
    went_badly      TEXT,
    blockers        TEXT,
    next_focus      TEXT,
    manager_comment TEXT,
    goals           TEXT NOT NULL,
    submitted_at    TEXT,
    reviewed_at     TEXT,
    acknowledged_at TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (cycle_id, person_id)
);
CREATE INDEX checkins_person ON checkins (person_id, id);
CREATE INDEX checkins_manager ON checkins (manager_id, id);
CREATE INDEX checkins_cycle ON checkins (cycle_id, state);
