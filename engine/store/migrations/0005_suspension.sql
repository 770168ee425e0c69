-- Runs that pause without holding a worker (time.wait, human.approve): where to resume, and
-- the approvals people are asked for.
ALTER TABLE runs ADD COLUMN resume TEXT;
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id TEXT NOT NULL,
    step_index INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    title TEXT NOT NULL,
    details TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    expires_at INTEGER NOT NULL,
    decided_by TEXT,
    comment TEXT,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (run_id, step_index)
);
CREATE INDEX approvals_by_status ON approvals (status, created_at);
