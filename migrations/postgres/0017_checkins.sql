-- Check-in cycles launched by HR, and one check-in per person of the population with the
-- manager they had at launch (moved with the person while open). `goals` is the JSON snapshot
-- of the person's goals at submission.
CREATE TABLE checkin_cycles (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    frequency     TEXT NOT NULL,
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    due_date      DATE NOT NULL,
    population    TEXT NOT NULL,
    department    TEXT,
    subtree_root  UUID REFERENCES people (id),
    created_by    UUID NOT NULL REFERENCES people (id),
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE checkins (
    id              UUID PRIMARY KEY,
    cycle_id        UUID NOT NULL REFERENCES checkin_cycles (id),
    person_id       UUID NOT NULL REFERENCES people (id),
    manager_id      UUID NOT NULL REFERENCES people (id),
    state           TEXT NOT NULL,
    went_well       TEXT,
    went_badly      TEXT,
    blockers        TEXT,
    next_focus      TEXT,
    manager_comment TEXT,
    goals           TEXT NOT NULL,
    submitted_at    TIMESTAMPTZ,
    reviewed_at     TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (cycle_id, person_id)
);
CREATE INDEX checkins_person ON checkins (person_id, id);
CREATE INDEX checkins_manager ON checkins (manager_id, id);
CREATE INDEX checkins_cycle ON checkins (cycle_id, state);
