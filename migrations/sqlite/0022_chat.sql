-- Slack and Microsoft Teams: incoming-webhook addresses that reminders and digests are posted
-- to. `audience` says whose: a person's own (`person`: their reminders and digest) or a
-- manager's team channel (`team`: metadata-only reminders of the manager's 1:1s and a digest in
-- counts). The address is a secret: it is never returned after it is set, only `url_hint`.
CREATE TABLE chat_destinations (
    id               BLOB PRIMARY KEY NOT NULL,
    person_id        BLOB NOT NULL REFERENCES people (id),
    audience         TEXT NOT NULL,
    platform         TEXT NOT NULL,
    url              TEXT NOT NULL,
    url_hint         TEXT NOT NULL,
    label            TEXT NOT NULL,
    meeting_reminder INTEGER NOT NULL,
    weekly_digest    INTEGER NOT NULL,
    created_by       BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    version          BIGINT NOT NULL
);
CREATE INDEX chat_destinations_of_person ON chat_destinations (person_id, id);
