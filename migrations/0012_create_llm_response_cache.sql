-- Validated results of triage and answer (never propose), keyed by a hash of task, prompt hash,
-- model, normalised input and retrieved chunk ids. Expired rows are ignored and purged lazily.
CREATE TABLE llm_response_cache (
  cache_key   text PRIMARY KEY,
  task        text NOT NULL CHECK (task IN ('triage', 'answer')),
  model       text NOT NULL,
  prompt_hash text NOT NULL,
  value       jsonb NOT NULL,
  hits        integer NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);

CREATE INDEX llm_response_cache_expires ON llm_response_cache (expires_at);
