-- HR's attention list for a subtree or a department names pairs by their report: these let it
-- start from the slice's people (a few index lookups each) instead of reading the whole
-- organisation's open action items (300,000 of them at 100,000 people) to keep the slice's few.
-- Series have their index by report already; goals at risk by owner too.
CREATE INDEX action_items_open_by_report ON action_items (report_id) WHERE status = 'open';
CREATE INDEX never_met_report ON never_met (report_id);
