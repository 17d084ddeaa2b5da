-- Erased people stay as tombstones (personal data removed) so syncing clients see the deletion.
ALTER TABLE people ADD COLUMN deleted_at TEXT;
