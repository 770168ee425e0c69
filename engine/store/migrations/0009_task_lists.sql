-- Ordinaut schema, version 9: proposed tasks and the task list's filters. An agent may be set to
-- propose the tasks it creates (they wait for the owner's acceptance). The task list is read
-- newest first (created_at DESC, id DESC), in keyset pages, filtered by status, schedule kind or
-- creator: each filter has an index in that order, so a page is read without sorting.
ALTER TABLE agents ADD COLUMN tasks_start_proposed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_by_created ON tasks (created_at, id);
CREATE INDEX tasks_by_status_created ON tasks (status, created_at, id);
CREATE INDEX tasks_by_kind_created ON tasks (schedule_kind, created_at, id);
CREATE INDEX tasks_by_creator_created ON tasks (created_by, created_at, id);
-- A task's versions, newest first.
CREATE INDEX task_versions_newest ON task_versions (task_id, version DESC);
