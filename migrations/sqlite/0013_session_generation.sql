-- Every access token carries the generation of its person's sessions at sign-in. Changing or
-- resetting a password, deactivation, erasure and "sign out everywhere" move it on, which ends
-- every token issued before; reactivation revives nothing.
ALTER TABLE people ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0;
