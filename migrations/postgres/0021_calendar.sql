-- Each person's secret calendar feed address: only a hash of its token is kept. Rotating
-- replaces the row; revoking deletes it.
CREATE TABLE calendar_feeds (
    person_id    UUID PRIMARY KEY REFERENCES people (id),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_read_at TIMESTAMPTZ
);

-- Calendar invitations (iTIP), webhook alerts, check-in and eNPS reminders by email, on
-- unless turned off.
ALTER TABLE notification_settings ADD COLUMN meeting_invitation BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE notification_settings ADD COLUMN webhook_disabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE notification_settings ADD COLUMN checkin_reminder BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE notification_settings ADD COLUMN enps_reminder BOOLEAN NOT NULL DEFAULT TRUE;

-- Jobs that ended are forgotten after the retention period, oldest first.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
