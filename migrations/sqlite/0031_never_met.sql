-- The direct reports who never held a 1:1 with their current manager, kept up to date by every
-- change to a held 1:1 or to a reporting line (as the program's line facts are), so that the
-- attention list reads the few there are instead of probing every person's meetings.
-- Only current lines: both people active.
CREATE TABLE never_met (
    manager_id BLOB NOT NULL,
    report_id  BLOB NOT NULL,
    PRIMARY KEY (manager_id, report_id)
) WITHOUT ROWID;

INSERT INTO never_met (manager_id, report_id)
SELECT r.manager_id, r.id FROM people r JOIN people pm ON pm.id = r.manager_id AND pm.active = TRUE
WHERE r.active = TRUE AND NOT EXISTS (SELECT 1 FROM meetings m
    WHERE m.manager_id = r.manager_id AND m.report_id = r.id AND m.status = 'completed');
