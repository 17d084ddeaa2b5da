-- The meetings list is ordered by (starts_at, id). With id in the index, each side of the
-- participant listing (as manager, as report) is read in order and merged, with no sort.
DROP INDEX meetings_manager;
DROP INDEX meetings_report;
DROP INDEX meetings_series;
CREATE INDEX meetings_manager ON meetings (manager_id, starts_at, id);
CREATE INDEX meetings_report ON meetings (report_id, starts_at, id);
CREATE INDEX meetings_series ON meetings (series_id, starts_at, id);
