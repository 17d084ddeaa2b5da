-- What each person wants by email, and when. No row: the defaults (every kind on, a reminder
-- 24 hours before, times in the 1:1's own time zone).
CREATE TABLE notification_settings (
    person_id             UUID PRIMARY KEY REFERENCES people (id),
    time_zone             TEXT,
    reminder_lead_minutes INTEGER NOT NULL,
    meeting_reminder      BOOLEAN NOT NULL,
    meeting_summary       BOOLEAN NOT NULL,
    weekly_digest         BOOLEAN NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    version               BIGINT NOT NULL
);

-- The reminder schedule reads the 1:1s about to start.
CREATE INDEX meetings_upcoming ON meetings (starts_at) WHERE status = 'scheduled';
-- A reminder's jobs are found by the meeting they are about.
CREATE INDEX jobs_about ON jobs (subject_id, kind);

-- Email reads the log from now on: an upgrade does not mail about the past.
INSERT INTO log_cursors (name, txid, position) VALUES ('email', 0, 0);
UPDATE log_cursors SET txid = COALESCE((SELECT txid FROM (SELECT 'email', txid, position FROM events ORDER BY position DESC LIMIT 1) h), 0),
    position = COALESCE((SELECT position FROM (SELECT 'email', txid, position FROM events ORDER BY position DESC LIMIT 1) h), 0)
WHERE name = 'email';
