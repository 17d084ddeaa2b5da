-- A month of ratings closes once (see 0026): its raters are the held 1:1s that started in it,
-- found here instead of by reading every meeting of the organisation (11 million at 100,000
-- people, twice a month closed). The background job closes each month as it closes; the seed
-- closes its history's months.
CREATE INDEX meetings_held_by_start ON meetings (starts_at) WHERE status = 'completed';
