-- eNPS surveys. Who answered (`enps_participants`) and what was answered (`enps_answers`) are
-- stored apart, and nothing joins them: an answer holds no person, no time and no order, only
-- the cell it was cut into at close (every cell holds at least the survey's minimum group
-- size). While a survey is open its answers wait in `enps_pending_answers` with the position
-- (department, manager) their author had at launch, no person; at close they are cut into
-- cells, written to `enps_answers` under random keys in random order, and deleted.
CREATE TABLE enps_surveys (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL,
    question         TEXT NOT NULL,
    ask_expectations BOOLEAN NOT NULL,
    allow_comment    BOOLEAN NOT NULL,
    population       TEXT NOT NULL,
    department       TEXT,
    subtree_root     UUID REFERENCES people (id),
    opens_at         TIMESTAMPTZ NOT NULL,
    closes_at        TIMESTAMPTZ NOT NULL,
    baseline         BOOLEAN NOT NULL,
    min_group_size   INTEGER NOT NULL CHECK (min_group_size >= 3),
    created_by       UUID NOT NULL REFERENCES people (id),
    created_at       TIMESTAMPTZ NOT NULL,
    finalized_at     TIMESTAMPTZ
);
CREATE INDEX enps_surveys_closing ON enps_surveys (closes_at);

-- Everyone asked, with their position at launch; `answered` flips once. No time, no answer.
CREATE TABLE enps_participants (
    survey_id  UUID NOT NULL REFERENCES enps_surveys (id),
    person_id  UUID NOT NULL REFERENCES people (id),
    department TEXT,
    manager_id UUID,
    answered   BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (survey_id, person_id)
);
CREATE INDEX enps_participants_person ON enps_participants (person_id);

CREATE TABLE enps_pending_answers (
    survey_id    UUID NOT NULL REFERENCES enps_surveys (id),
    department   TEXT,
    manager_id   UUID,
    score        SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    expectations SMALLINT CHECK (expectations BETWEEN 1 AND 5),
    comment      TEXT
);
CREATE INDEX enps_pending_survey ON enps_pending_answers (survey_id);

-- `id` is random (UUIDv4): rows are written in its order, which is no order at all.
CREATE TABLE enps_answers (
    id           UUID PRIMARY KEY,
    survey_id    UUID NOT NULL REFERENCES enps_surveys (id),
    cell         INTEGER NOT NULL,
    score        SMALLINT NOT NULL CHECK (score BETWEEN 0 AND 10),
    expectations SMALLINT CHECK (expectations BETWEEN 1 AND 5),
    comment      TEXT
);
CREATE INDEX enps_answers_cell ON enps_answers (survey_id, cell);
-- A group's comments, a page in key order (no order at all), without sorting them all.
CREATE INDEX enps_answers_comments ON enps_answers (survey_id, id) WHERE comment IS NOT NULL;

-- Every group's figures, computed once at close. `scores` (11 counts) and `expectations`
-- (5 counts) are JSON arrays, and with `respondents`, `comments` (how many) and `cells` only
-- set for a reportable group (exactly a union of cells).
CREATE TABLE enps_results (
    survey_id    UUID NOT NULL REFERENCES enps_surveys (id),
    group_kind   TEXT NOT NULL,
    group_key    TEXT NOT NULL,
    label        TEXT NOT NULL,
    parent_id    UUID,
    depth        INTEGER NOT NULL,
    audience     INTEGER NOT NULL,
    reportable   BOOLEAN NOT NULL,
    respondents  INTEGER,
    scores       TEXT,
    expectations TEXT,
    comments     INTEGER,
    cells        TEXT,
    PRIMARY KEY (survey_id, group_kind, group_key)
);
CREATE INDEX enps_results_parent ON enps_results (survey_id, parent_id);
CREATE INDEX enps_results_depth ON enps_results (survey_id, group_kind, depth);
