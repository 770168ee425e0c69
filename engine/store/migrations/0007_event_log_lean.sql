-- Ordinaut schema, version 7: the event log keeps only its order. Events are read by id (after
-- an id, the stream); the index by topic was never read, yet every commit rewrote a page of
-- it for each topic it touched: about a fifth of all pages a busy engine writes.
DROP INDEX events_by_topic;
