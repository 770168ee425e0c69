-- Ordinaut schema, version 11: the X-Request-Id of the API request that queued a run (run now,
-- retry, an event), so a run's log lines and the request's access line can be found together.
-- Null for runs the scheduler queued.
ALTER TABLE runs ADD COLUMN request_id TEXT;
