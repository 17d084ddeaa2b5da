-- Recurring 1:1 series and their meetings (occurrences and one-offs).
CREATE TABLE meeting_series (
    id               BLOB PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    manager_id       BLOB NOT NULL REFERENCES people (id),
    report_id        BLOB NOT NULL REFERENCES people (id),
    frequency        TEXT NOT NULL,
    interval_weeks   INTEGER,
    weekday          INTEGER,
    nth              INTEGER,
    day_of_month     INTEGER,
    local_time       TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    start_date       TEXT NOT NULL,
    end_date         TEXT,
    paused           INTEGER NOT NULL DEFAULT 0,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX meeting_series_manager ON meeting_series (manager_id);
CREATE INDEX meeting_series_report ON meeting_series (report_id);

CREATE TABLE meetings (
    id                      BLOB PRIMARY KEY NOT NULL,
    series_id               BLOB REFERENCES meeting_series (id),
    occurrence_date         TEXT,
    kind                    TEXT NOT NULL,
    manager_id              BLOB NOT NULL REFERENCES people (id),
    report_id               BLOB NOT NULL REFERENCES people (id),
    starts_at               TEXT NOT NULL,
    ends_at                 TEXT NOT NULL,
    status                  TEXT NOT NULL,
    held_at                 TEXT,
    actual_duration_minutes INTEGER,
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    UNIQUE (series_id, occurrence_date)
);
CREATE INDEX meetings_manager ON meetings (manager_id, starts_at);
CREATE INDEX meetings_report ON meetings (report_id, starts_at);
CREATE INDEX meetings_series ON meetings (series_id, starts_at);
