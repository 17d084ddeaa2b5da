-- The attention list's reads (early warnings about pairs and teams).
-- A pair's held 1:1s, newest last: "when did these two last meet (in this kind of 1:1)?"
CREATE INDEX meetings_pair ON meetings (manager_id, report_id, status, kind, starts_at);
-- Shared talking points carried over three times or more and still open (few, so a partial
-- index; the attention query repeats these conditions word for word).
CREATE INDEX agenda_items_carried ON agenda_items (meeting_id)
    WHERE times_carried >= 3 AND checked = FALSE AND private = FALSE;
-- Open action items by due date.
CREATE INDEX action_items_open_due ON action_items (due_date) WHERE status = 'open';
-- Goals that need talking about.
CREATE INDEX goals_at_risk ON goals (owner_id) WHERE status IN ('at_risk', 'off_track');
