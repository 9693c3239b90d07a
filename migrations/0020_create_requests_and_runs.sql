-- The inbox and the runs made from it. A request is stored under a unique key before Slack gets
-- its acknowledgement, so a retry or replay of the same request finds the row and starts nothing.
CREATE TABLE requests (
  id               bigserial PRIMARY KEY,
  key              text NOT NULL UNIQUE,
  kind             text NOT NULL CHECK (kind IN ('command', 'event', 'interaction')),
  payload          jsonb NOT NULL,
  correlation_id   uuid NOT NULL,
  -- The run started for this request, if any (interactions continue existing runs instead).
  run_id           uuid,
  received_at      timestamptz NOT NULL,
  -- Slack retries and replays of the same request are counted, never acted on.
  deliveries       integer NOT NULL DEFAULT 1,
  last_delivery_at timestamptz NOT NULL
);

-- One durable processing of a request. `version` is a fencing token: every state change
-- increments it and names the version it read, so a worker whose lease lapsed cannot overwrite
-- the progress of the worker that took over.
CREATE TABLE runs (
  id             uuid PRIMARY KEY,
  request_id     bigint UNIQUE REFERENCES requests (id),
  correlation_id uuid NOT NULL,
  origin         text NOT NULL,
  team_id        text,
  channel_id     text,
  user_id        text,
  thread_ts      text,
  text           text NOT NULL DEFAULT '',
  state          text NOT NULL CHECK (state IN (
                   'received', 'retrieving', 'thinking', 'decided', 'awaiting_approval', 'executing',
                   'replied', 'done', 'failed', 'dead_lettered', 'cancelled', 'budget_exceeded')),
  decision       text CHECK (decision IN ('auto', 'deny', 'escalate')),
  outcome        text,
  -- What `replied` becomes once the reply has reached Slack: done or failed.
  final_state    text CHECK (final_state IN ('done', 'failed')),
  version        integer NOT NULL DEFAULT 0,
  context        jsonb NOT NULL DEFAULT '{}',
  error_code     text,
  error_message  text,
  -- Filled by the model gateway; summed by the run read model.
  cost_usd       numeric(14, 6) NOT NULL DEFAULT 0,
  input_tokens   bigint NOT NULL DEFAULT 0,
  output_tokens  bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  finished_at    timestamptz
);

CREATE INDEX runs_created_at ON runs (created_at);
CREATE INDEX runs_unfinished ON runs (state, updated_at)
  WHERE state NOT IN ('done', 'failed', 'dead_lettered', 'cancelled', 'budget_exceeded');

-- Every state change of every run, with its time: the run's trace and the source of latencies.
CREATE TABLE run_transitions (
  id         bigserial PRIMARY KEY,
  run_id     uuid NOT NULL REFERENCES runs (id),
  from_state text,
  to_state   text NOT NULL,
  at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  detail     jsonb
);

CREATE INDEX run_transitions_run ON run_transitions (run_id, id);
