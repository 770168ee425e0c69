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
-- Runs of a task whose overlap_policy is not 'allow' start one at a time: the claim checks
-- `serial` (copied from the task when queued) against the task's leased and paused rows.
ALTER TABLE run_queue ADD COLUMN serial INTEGER NOT NULL DEFAULT 0;
CREATE INDEX run_queue_open_by_task ON run_queue (task_id, state, lease_epoch);
-- Claims take the highest priority first (9 before 1), then the earliest run_at: the index
-- runs in that order, so the claim reads it without sorting.
DROP INDEX run_queue_ready;
CREATE INDEX run_queue_ready ON run_queue (state, priority DESC, run_at);
