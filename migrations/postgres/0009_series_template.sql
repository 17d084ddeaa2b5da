-- A series may name an agenda template: each of its meetings starts with the template's
-- talking points. Items that came from a template remember it, so that the ones a series
-- brings back every time are not also carried over.
ALTER TABLE meeting_series ADD COLUMN agenda_template_id UUID REFERENCES agenda_templates (id);
ALTER TABLE agenda_items ADD COLUMN template_id UUID REFERENCES agenda_templates (id);
