-- Ordinaut schema, version 2: misfire handling. A task's grace window; a run knows how late it
-- started relative to its occurrence and how many missed occurrences it stands for.
ALTER TABLE tasks ADD COLUMN misfire_grace_seconds INTEGER NOT NULL DEFAULT 60;
ALTER TABLE runs ADD COLUMN late_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN coalesced INTEGER NOT NULL DEFAULT 1;
