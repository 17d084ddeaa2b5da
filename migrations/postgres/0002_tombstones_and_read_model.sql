-- Erased people stay as tombstones (personal data removed) so syncing clients see the deletion.
ALTER TABLE people ADD COLUMN deleted_at TIMESTAMPTZ;
-- The secondary managers of a person, space-separated, kept with the row so that reading a
-- person is one query. person_secondary_managers stays the table to query by manager.
ALTER TABLE people ADD COLUMN secondary_manager_ids TEXT NOT NULL DEFAULT '';
