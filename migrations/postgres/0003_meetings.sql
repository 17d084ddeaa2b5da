-- Recurring 1:1 series and their meetings (occurrences and one-offs).
CREATE TABLE meeting_series (
    id               UUID PRIMARY KEY,
    kind             TEXT NOT NULL,
    manager_id       UUID NOT NULL REFERENCES people (id),
    report_id        UUID NOT NULL REFERENCES people (id),
    frequency        TEXT NOT NULL,
    interval_weeks   INTEGER,
    weekday          INTEGER,
    nth              INTEGER,
    day_of_month     INTEGER,
    local_time       TEXT NOT NULL,
    time_zone        TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL,
    start_date       DATE NOT NULL,
    end_date         DATE,
    paused           BOOLEAN NOT NULL DEFAULT FALSE,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX meeting_series_manager ON meeting_series (manager_id);
CREATE INDEX meeting_series_report ON meeting_series (report_id);

CREATE TABLE meetings (
    id                      UUID PRIMARY KEY,
    series_id               UUID REFERENCES meeting_series (id),
    occurrence_date         DATE,
    kind                    TEXT NOT NULL,
    manager_id              UUID NOT NULL REFERENCES people (id),
    report_id               UUID NOT NULL REFERENCES people (id),
    starts_at               TIMESTAMPTZ NOT NULL,
    ends_at                 TIMESTAMPTZ NOT NULL,
    status                  TEXT NOT NULL,
    held_at                 TIMESTAMPTZ,
    actual_duration_minutes INTEGER,
    version                 BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    UNIQUE (series_id, occurrence_date)
);
CREATE INDEX meetings_manager ON meetings (manager_id, starts_at);
CREATE INDEX meetings_report ON meetings (report_id, starts_at);
CREATE INDEX meetings_series ON meetings (series_id, starts_at);
