-- Ordinaut schema, version 8: agents sign in. An agent's secret is kept as a slow salted hash
-- (agents.key_hash); refresh tokens as a hash of the token (they are random and long), each
-- replaced by the next when used; access tokens revoked before they expire by their id, kept
-- until they would have expired anyway.
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    replaced_by TEXT
);
CREATE INDEX refresh_tokens_by_agent ON refresh_tokens (agent_id);
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY,
    agent_id TEXT,
    revoked_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
-- What an agent did (its activity, the audit log by actor).
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
