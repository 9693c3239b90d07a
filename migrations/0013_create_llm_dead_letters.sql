-- Model output that failed validation twice (the first reply and its one repair). Kept with the
-- request and both validation errors so a human can see what the model did and replay it;
-- notified_at stays empty until the ops channel has been told.
CREATE TABLE llm_dead_letters (
  id             bigserial PRIMARY KEY,
  run_id         text NOT NULL,
  user_id        text NOT NULL,
  correlation_id text NOT NULL,
  task           text NOT NULL CHECK (task IN ('triage', 'answer', 'propose')),
  model          text NOT NULL,
  prompt_version text NOT NULL,
  prompt_hash    text NOT NULL,
  errors         jsonb NOT NULL,
  last_output    jsonb,
  request        jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  notified_at    timestamptz
);

CREATE INDEX llm_dead_letters_run ON llm_dead_letters (run_id);
