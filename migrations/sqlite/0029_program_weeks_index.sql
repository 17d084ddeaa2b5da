-- A report reads its window's whole weeks from the week rows (kind 'week:<kind>', on the
-- Monday). Through the primary key those sit among every day row of the same days (about a
-- hundred a day for the organisation), which the read stepped over; this index holds the
-- week rows alone.
CREATE INDEX program_days_weeks ON program_days (group_kind, group_key, day, kind, fact, days, n)
    WHERE kind LIKE 'week:%';
