-- Ordinaut schema, version 4: engine settings shared by every surface and every engine on this
-- database, as JSON values by key ("scheduler.run_all_cap" → 10).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
