-- The attention list reads each reason's facts a page at a time in its order (manager, then
-- subject): running series by (manager_id, id), open action items by (manager_id, id) among
-- the open ones only. The first index replaces the one on manager_id alone, its prefix.
DROP INDEX meeting_series_manager;
CREATE INDEX meeting_series_manager ON meeting_series (manager_id, id);
CREATE INDEX action_items_open_by_manager ON action_items (manager_id, id) WHERE status = 'open';
