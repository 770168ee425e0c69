-- Ordinaut schema, version 6: flow control. How an occurrence that comes due while the task's
-- previous run goes on is handled; the capacity a queued row shares with others of its
-- concurrency key (copied from the task when queued, so a claim needs no join); the key under
-- which a second enqueue inside the task's window is answered with the existing run; and what a
-- side effect meant to do before it was done (so a re-executed step can tell whether it did).
ALTER TABLE tasks ADD COLUMN overlap_policy TEXT NOT NULL DEFAULT 'queue_one';
ALTER TABLE run_queue ADD COLUMN concurrency_key TEXT;
ALTER TABLE run_queue ADD COLUMN concurrency_limit INTEGER;
ALTER TABLE run_queue ADD COLUMN dedupe_key TEXT;
CREATE INDEX run_queue_by_concurrency ON run_queue (concurrency_key, state) WHERE concurrency_key IS NOT NULL;
CREATE INDEX run_queue_by_dedupe ON run_queue (task_id, dedupe_key, created_at) WHERE dedupe_key IS NOT NULL;
ALTER TABLE side_effects ADD COLUMN intent TEXT;
