-- Every change appends to the event log in its own transaction, so each index on it is paid by
-- every write. Two are dropped: the uniqueness of `id` (UUIDv7s made by the server; an index
-- only to check that) and the per-record index (nothing reads the log by record yet: readers
-- follow it in (txid, position) order). A feature that reads one record's history brings its
-- index back with it.
DROP INDEX events_subject;
ALTER TABLE events DROP CONSTRAINT events_id_key;
