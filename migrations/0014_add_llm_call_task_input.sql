-- The gateway input each call served (question or request, thread, retrieved chunks, action
-- names), so an eval can re-run a changed prompt against real past inputs without having to
-- unpick them from the rendered request.
ALTER TABLE llm_calls ADD COLUMN task_input jsonb;
