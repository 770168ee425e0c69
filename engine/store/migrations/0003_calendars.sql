-- Ordinaut schema, version 3: business calendars. A calendar keeps the .ics text it was
-- imported from and the days off read from it ([["2026-12-25","Christmas Day"],…]); a task
-- may name one whose days its schedule skips.
CREATE TABLE calendars (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    days TEXT NOT NULL,
    day_count INTEGER NOT NULL,
    first_day TEXT,
    last_day TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
ALTER TABLE tasks ADD COLUMN calendar TEXT;
CREATE INDEX tasks_by_calendar ON tasks (calendar) WHERE calendar IS NOT NULL;
