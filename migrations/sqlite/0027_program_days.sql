-- The program report's meeting figures, kept up to date in the transaction of every change
-- (crates/persistence/src/program_days.rs): per group (the organisation, a department's managers,
-- everyone in a subtree: group_key is the root's id in 32 hex digits), day (UTC), kind of 1:1 and
-- fact (a status; `gap`: a held 1:1's whole days since the pair's previous one, in `days`;
-- `points:<category>`, `by_report:…`, `carried:…`, `starters:…`: its shared talking points; and
-- with kind '' `due`, `done_by_due`: action items by due day), a count. Filled here from the meetings on record, by the same recomputation the drift check runs.
CREATE TABLE program_days (
    group_kind TEXT NOT NULL,
    group_key  TEXT NOT NULL,
    day        TEXT NOT NULL,
    kind       TEXT NOT NULL,
    fact       TEXT NOT NULL,
    days       INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (group_kind, group_key, day, kind, fact, days)
) WITHOUT ROWID;

INSERT INTO program_days (group_kind, group_key, day, kind, fact, days, n)
WITH RECURSIVE own (manager_id, day, kind, fact, days, n) AS ( SELECT f.manager_id, f.day, f.kind, f.fact, CAST(f.days AS BIGINT), COUNT(*) FROM ( SELECT m.manager_id, date(m.starts_at) AS day, m.kind, m.status AS fact, 0 AS days FROM meetings m WHERE TRUE
UNION ALL SELECT x.manager_id, date(x.starts_at), x.kind, 'gap', CAST(julianday(date(x.starts_at)) - julianday(date(x.prev)) AS INTEGER) FROM ( SELECT m.manager_id, m.kind, m.starts_at, (SELECT p.starts_at FROM meetings p WHERE p.manager_id = m.manager_id AND p.report_id = m.report_id AND p.status = 'completed' AND p.kind = m.kind AND p.starts_at < m.starts_at ORDER BY p.starts_at DESC LIMIT 1) AS prev FROM meetings m WHERE m.status = 'completed' AND TRUE) x WHERE x.prev IS NOT NULL
UNION ALL SELECT m.manager_id, date(m.starts_at), m.kind, 'points:' || a.category, 0 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.private = FALSE AND m.status = 'completed' AND TRUE
UNION ALL SELECT m.manager_id, date(m.starts_at), m.kind, 'by_report:' || a.category, 0 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.private = FALSE AND m.status = 'completed' AND TRUE AND a.author_id = m.report_id
UNION ALL SELECT m.manager_id, date(m.starts_at), m.kind, 'carried:' || a.category, 0 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.private = FALSE AND m.status = 'completed' AND TRUE AND a.times_carried >= 3
UNION ALL SELECT m.manager_id, date(m.starts_at), m.kind, 'starters:' || a.category, 0 FROM agenda_items a JOIN meetings m ON m.id = a.meeting_id WHERE a.private = FALSE AND m.status = 'completed' AND TRUE AND EXISTS (SELECT 1 FROM starter_uses u WHERE u.agenda_item_id = a.id)
UNION ALL SELECT x.manager_id, x.due_date, '', 'due', 0 FROM action_items x WHERE x.due_date IS NOT NULL AND TRUE
UNION ALL SELECT x.manager_id, x.due_date, '', 'done_by_due', 0 FROM action_items x WHERE x.due_date IS NOT NULL AND x.status = 'done' AND date(x.completed_at) <= x.due_date AND TRUE
) f GROUP BY f.manager_id, f.day, f.kind, f.fact, f.days),
anc (person, ancestor, depth) AS (SELECT id, id, 0 FROM people
UNION ALL SELECT a.person, p.manager_id, a.depth + 1 FROM anc a JOIN people p ON p.id = a.ancestor WHERE p.manager_id IS NOT NULL AND a.depth < 1000)
SELECT 'organisation' AS group_kind, '' AS group_key, o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT) AS n
FROM own o
GROUP BY o.day, o.kind, o.fact, o.days
UNION ALL
SELECT 'department', p.department, o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT)
FROM own o JOIN people p ON p.id = o.manager_id WHERE p.department IS NOT NULL
GROUP BY p.department, o.day, o.kind, o.fact, o.days
UNION ALL
SELECT 'subtree', lower(hex(a.ancestor)), o.day, o.kind, o.fact, o.days, CAST(SUM(o.n) AS BIGINT)
FROM own o JOIN anc a ON a.person = o.manager_id
GROUP BY a.ancestor, o.day, o.kind, o.fact, o.days;
