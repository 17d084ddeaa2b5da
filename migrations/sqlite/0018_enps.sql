-- eNPS surveys. Who answered (`enps_participants`) and what was answered (`enps_answers`) are
-- stored apart, and nothing joins them: an answer holds no person, no time and no order, only
-- the cell it was cut into at close (every cell holds at least the survey's minimum group
-- size). While a survey is open its answers wait in `enps_pending_answers` with the position
-- (department, manager) their author had at launch, no person; at close they are cut into
-- cells, written to `enps_answers` under random keys in random order, and deleted.
CREATE TABLE enps_surveys (
    id               BLOB PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    question         TEXT NOT NULL,
    ask_expectations INTEGER NOT NULL,
    allow_comment    INTEGER NOT NULL,
    population       TEXT NOT NULL,
    department       TEXT,
    subtree_root     BLOB REFERENCES people (id),
    opens_at         TEXT NOT NULL,
    closes_at        TEXT NOT NULL,
    baseline         INTEGER NOT NULL,
    min_group_size   INTEGER NOT NULL CHECK (min_group_size >= 3),
    created_by       BLOB NOT NULL REFERENCES people (id),
    created_at       TEXT NOT NULL,
    finalized_at     TEXT
);
CREATE INDEX enps_surveys_closing ON enps_surveys (closes_at);

-- Everyone asked, with their position at launch; `answered` flips once. No time, no answer.
CREATE TABLE enps_participants (
    survey_id  BLOB NOT NULL REFERENCES enps_surveys (id),
    person_id  BLOB NOT NULL REFERENCES people (id),
    department TEXT,
    manager_id BLOB,
    answered   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, person_id)
);
CREATE INDEX enps_participants_person ON enps_participants (person_id);

CREATE TABLE enps_pending_answers (
    survey_id    BLOB NOT NULL REFERENCES enps_surveys (id),
    department   TEXT,
    manager_id   BLOB,
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    expectations INTEGER CHECK (expectations BETWEEN 1 AND 5),
    comment      TEXT
);
CREATE INDEX enps_pending_survey ON enps_pending_answers (survey_id);

-- `id` is random (UUIDv4) and the table has no rowid: rows are kept in key order, which is no
-- order at all.
CREATE TABLE enps_answers (
    id           BLOB PRIMARY KEY NOT NULL,
    survey_id    BLOB NOT NULL REFERENCES enps_surveys (id),
    cell         INTEGER NOT NULL,
    score        INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
    expectations INTEGER CHECK (expectations BETWEEN 1 AND 5),
    comment      TEXT
) WITHOUT ROWID;
CREATE INDEX enps_answers_cell ON enps_answers (survey_id, cell);
-- A group's comments, a page in key order (no order at all), without sorting them all.
CREATE INDEX enps_answers_comments ON enps_answers (survey_id, id) WHERE comment IS NOT NULL;

-- Every group's figures, computed once at close. `scores` (11 counts) and `expectations`
-- (5 counts) are JSON arrays, and with `respondents`, `comments` (how many) and `cells` only
-- set for a reportable group (exactly a union of cells).
CREATE TABLE enps_results (
    survey_id    BLOB NOT NULL REFERENCES enps_surveys (id),
    group_kind   TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    label        TEXT NOT NULL,
    parent_id    BLOB,
    depth        INTEGER NOT NULL,
    audience     INTEGER NOT NULL,
    reportable   INTEGER NOT NULL,
    respondents  INTEGER,
    scores       TEXT,
    expectations TEXT,
    comments     INTEGER,
    cells        TEXT,
    PRIMARY KEY (survey_id, group_kind, group_key)
);
CREATE INDEX enps_results_parent ON enps_results (survey_id, parent_id);
CREATE INDEX enps_results_depth ON enps_results (survey_id, group_kind, depth);
