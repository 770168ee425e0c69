-- Ordinaut schema, version 1. Instants are INTEGER Unix milliseconds (UTC); JSON is TEXT.
-- Statements end with ';' at the end of a line (Database splits on that).
CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL DEFAULT '["*"]',
    key_hash TEXT,
    created_at INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_by TEXT,
    schedule_kind TEXT NOT NULL,
    schedule_expr TEXT NOT NULL DEFAULT '',
    dtstart TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    pipeline TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'active',
    priority INTEGER NOT NULL DEFAULT 5,
    max_retries INTEGER NOT NULL DEFAULT 0,
    backoff TEXT NOT NULL DEFAULT 'exponential',
    retry_base_ms INTEGER NOT NULL DEFAULT 1000,
    retry_max_ms INTEGER NOT NULL DEFAULT 300000,
    retry_jitter INTEGER NOT NULL DEFAULT 1,
    timeout_seconds INTEGER,
    misfire_policy TEXT NOT NULL DEFAULT 'run_once',
    concurrency_key TEXT,
    concurrency_limit INTEGER,
    dedupe_key TEXT,
    dedupe_window_seconds INTEGER,
    next_run_at INTEGER,
    version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_due ON tasks (status, next_run_at);
CREATE TABLE task_versions (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_by TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (task_id, version)
);
CREATE TABLE run_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    scheduled_for INTEGER NOT NULL,
    run_at INTEGER NOT NULL,
    priority INTEGER NOT NULL DEFAULT 5,
    attempt INTEGER NOT NULL DEFAULT 1,
    trigger TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    lease_owner TEXT,
    lease_expires_at INTEGER,
    lease_epoch INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (task_id, scheduled_for, attempt)
);
CREATE INDEX run_queue_ready ON run_queue (state, priority, run_at);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL,
    task_version INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 1,
    trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_for INTEGER,
    queued_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    error TEXT,
    output TEXT,
    worker TEXT
);
CREATE INDEX runs_by_task ON runs (task_id, id);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE TABLE run_steps (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    step_id TEXT NOT NULL,
    uses TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    error TEXT,
    started_at INTEGER,
    finished_at INTEGER,
    log TEXT,
    PRIMARY KEY (run_id, idx)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,
    source TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_by_topic ON events (topic, id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT,
    action TEXT NOT NULL,
    subject TEXT,
    details TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE side_effects (
    key TEXT PRIMARY KEY,
    run_id TEXT,
    step_id TEXT,
    result TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    host TEXT,
    pid INTEGER,
    started_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    processed INTEGER NOT NULL DEFAULT 0
);
