-- One row per request sent to a model (every attempt, failed ones too) and per response-cache hit.
-- The request is the exact wire body (it never holds credentials) and the response the parsed
-- reply, so an eval can replay a prompt change against real past inputs. Cost is exactly the four
-- token counters times the price table in force, in USD with pico-dollar precision.
CREATE TABLE llm_calls (
  id                 bigserial PRIMARY KEY,
  run_id             text NOT NULL,
  user_id            text NOT NULL,
  correlation_id     text NOT NULL,
  task               text NOT NULL CHECK (task IN ('triage', 'answer', 'propose')),
  provider           text NOT NULL,
  model              text NOT NULL,
  mode               text NOT NULL CHECK (mode IN ('model', 'fallback')),
  prompt_version     text NOT NULL,
  prompt_hash        text NOT NULL,
  round              integer NOT NULL,
  attempt            integer NOT NULL,
  outcome            text NOT NULL CHECK (outcome IN ('ok', 'invalid_output', 'error', 'cache_hit')),
  input_tokens       integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cache_read_tokens  integer NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
  cache_write_tokens integer NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
  output_tokens      integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  cost_usd           numeric(24, 12) NOT NULL DEFAULT 0,
  latency_ms         integer NOT NULL DEFAULT 0,
  request_id         text,
  stop_reason        text,
  error_code         text,
  error_message      text,
  request            jsonb NOT NULL,
  response           jsonb,
  created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX llm_calls_run ON llm_calls (run_id, id);
CREATE INDEX llm_calls_created ON llm_calls (created_at);
CREATE INDEX llm_calls_correlation ON llm_calls (correlation_id);
