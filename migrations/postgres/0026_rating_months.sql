-- Ratings of 1:1s reach anyone but their rater only as a closed month's group figures that no
-- subtraction can break down: when a month closes (14 days after it ends, when no rating of it
-- can change), its raters are cut into cells of at least the minimum group size along the
-- reporting lines, like eNPS answers, and the figures of every group that is exactly a union of
-- cells are kept here. Groups not kept are not shown. No person, no single rating.
CREATE TABLE rating_months (
    month     DATE PRIMARY KEY,
    frozen_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE rating_groups (
    month      DATE NOT NULL,
    measure    TEXT NOT NULL,
    group_kind TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    raters     INTEGER NOT NULL,
    ratings    INTEGER NOT NULL,
    total      INTEGER NOT NULL,
    PRIMARY KEY (group_kind, group_key, measure, month)
);

