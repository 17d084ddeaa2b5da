-- When each recurring 1:1 falls behind its cadence (the pair's last held 1:1 of its kind, or
-- when it began, plus twice its cadence), kept up to date by every change to a held 1:1 and to
-- the series: the attention list reads the overdue ones by it instead of probing each series'
-- meetings. Filled at the next start (`kept_rebuilds`); the index by (manager, id) serves the
-- list's order and holds the instant, so a page skips the series on time without reading them.
ALTER TABLE meeting_series ADD COLUMN overdue_from TEXT;
DROP INDEX meeting_series_manager;
CREATE INDEX meeting_series_manager ON meeting_series (manager_id, id, overdue_from);
INSERT INTO kept_rebuilds (name) VALUES ('series_due') ON CONFLICT (name) DO NOTHING;
