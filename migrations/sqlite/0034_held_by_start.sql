-- A month of ratings closes once (see 0026): its raters are the held 1:1s that started in it,
-- found here instead of by reading every meeting of the organisation (11 million at 100,000
-- people, twice a month closed). The index holds what the closing reads of each meeting (its
-- id, to find the ratings, and its report), so the meetings themselves are not visited: a
-- month's meetings lie all over the table when history was loaded pair by pair (cold, at
-- 100,000 people on SQLite: 17-24 s a month instead of 50-80 s). The background job closes
-- each month as it closes; the seed closes its history's months.
CREATE INDEX meetings_held_by_start ON meetings (starts_at, id, report_id) WHERE status = 'completed';
