-- A talking point may be about a goal ("discuss this goal"); when a held 1:1 checked off a
-- shared one, the goal notes that 1:1 as the last it was discussed in.
ALTER TABLE agenda_items ADD COLUMN goal_id UUID REFERENCES goals (id);
