-- Ordinaut schema, version 10: event-triggered runs. What an occurrence was started with (the
-- event, for a run queued by POST /api/v1/events), kept once for all its attempts: retries and
-- takeovers share the task and scheduled_for of the run they follow. An event posted with a
-- dedupe_key is stored once per key; only keyed events are indexed, so the others cost nothing
-- more to write.
CREATE TABLE run_contexts (
    task_id TEXT NOT NULL,
    scheduled_for INTEGER NOT NULL,
    context TEXT NOT NULL,
    PRIMARY KEY (task_id, scheduled_for)
);
ALTER TABLE events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX events_by_dedupe_key ON events (dedupe_key) WHERE dedupe_key IS NOT NULL;
