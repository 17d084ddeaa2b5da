-- Escalations: HR's record that a performance problem reached HR (`escalation`) or that a
-- performance-improvement plan started (`pip`). No free text: a person, a day, a kind and,
-- optionally, the HR system's reference. `window_start`/`window_end` hold the instants between
-- which a documented conversation counts as having set expectations (the 90 days before the day
-- and the day itself), so both databases compare instants alike.
CREATE TABLE escalations (
    id           BLOB PRIMARY KEY NOT NULL,
    person_id    BLOB NOT NULL REFERENCES people (id),
    kind         TEXT NOT NULL,
    occurred_on  TEXT NOT NULL,
    external_ref TEXT,
    recorded_by  BLOB,
    window_start TEXT NOT NULL,
    window_end   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX escalations_on ON escalations (occurred_on, id);
CREATE INDEX escalations_of ON escalations (person_id);
