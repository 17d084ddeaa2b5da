-- The program report's line facts (coverage, manager segments, managers holding 1:1s), kept
-- per manager (crates/persistence/src/program_days.rs, domain::program::line_facts) and summed
-- into program_days under kind 'lines'. Computed in Rust from the current reporting lines and
-- their held manager_report 1:1s: the server fills them at start-up while `kept_rebuilds`
-- names them, then removes the name.
CREATE TABLE program_lines (
    manager_id BLOB NOT NULL,
    day        TEXT NOT NULL,
    fact       TEXT NOT NULL,
    days       INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (manager_id, day, fact, days)
) WITHOUT ROWID;

-- A report reads a group's line facts as running sums up to its end day (kinds 'lines' by
-- day, 'lines_month' by month) and the held days of its window (kind 'held_days').
CREATE INDEX program_days_lines ON program_days (group_kind, group_key, day, fact, days, n)
    WHERE kind = 'lines';
CREATE INDEX program_days_lines_month ON program_days (group_kind, group_key, day, fact, days, n)
    WHERE kind = 'lines_month';
CREATE INDEX program_days_held_days ON program_days (group_kind, group_key, day, fact, days, n)
    WHERE kind = 'held_days';

CREATE TABLE kept_rebuilds (name TEXT PRIMARY KEY NOT NULL);
INSERT INTO kept_rebuilds (name) VALUES ('program_days');
