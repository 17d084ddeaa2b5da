-- Every change appends to the event log in its own transaction, so each index on it is paid by
-- every write. Two are dropped: the uniqueness of `id` (UUIDv7s made by the server; an index
-- only to check that) and the per-record index (nothing reads the log by record yet: readers
-- follow it by position). A feature that reads one record's history brings its index back.
-- SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt, positions kept.
DROP INDEX events_subject;
CREATE TABLE events_new (
    position     INTEGER PRIMARY KEY AUTOINCREMENT,
    txid         INTEGER NOT NULL DEFAULT 0,
    id           BLOB NOT NULL,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   BLOB NOT NULL,
    actor_id     BLOB,
    actor_token  BLOB,
    manager_id   BLOB,
    report_id    BLOB,
    private_to   BLOB,
    content      INTEGER NOT NULL DEFAULT 0,
    data         TEXT NOT NULL DEFAULT '{}',
    occurred_at  TEXT NOT NULL
);
INSERT INTO events_new SELECT position, txid, id, kind, subject_type, subject_id, actor_id,
    actor_token, manager_id, report_id, private_to, content, data, occurred_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
