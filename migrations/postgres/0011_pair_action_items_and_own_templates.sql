-- Open action items follow the pair, not the series: any later 1:1 of the same two people shows
-- them, so they are looked up by the pair.
CREATE INDEX action_items_pair ON action_items (manager_id, report_id, status);

-- Agenda templates of one's own: `owner_id` is the person who made it (NULL: the shared library,
-- curated by HR admins). Deleted templates stay (agenda items remember where they came from)
-- but are gone from every list and read.
ALTER TABLE agenda_templates ADD COLUMN owner_id UUID REFERENCES people (id);
ALTER TABLE agenda_templates ADD COLUMN deleted_at TIMESTAMPTZ;
