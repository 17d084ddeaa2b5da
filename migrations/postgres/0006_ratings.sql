-- After a meeting, each participant may rate it ("was this 1:1 useful?", 1-5), and the report may
-- answer "I know what is expected of me" (1-5). Outcome signals for later reports.
CREATE TABLE meeting_ratings (
    meeting_id         UUID NOT NULL REFERENCES meetings (id),
    person_id          UUID NOT NULL REFERENCES people (id),
    useful             INTEGER NOT NULL,
    expectations_clear INTEGER,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (meeting_id, person_id)
);
