-- Side effects in the world, at most one per run step. The intent is written ('pending') with the
-- decision to act; each start ('started', attempts + 1) is written after a last pause check and
-- before the executor is called; the result is settled in the same transaction as the run's next
-- state. A crash in between leaves a 'started' row: the executor is then called again with the
-- same idempotency key, which every executor must honour.
CREATE TABLE effects (
  id              bigserial PRIMARY KEY,
  run_id          uuid NOT NULL REFERENCES runs (id),
  step            text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  action          text NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending', 'started', 'succeeded', 'failed', 'abandoned')),
  attempts        integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at      timestamptz,
  finished_at     timestamptz,
  result          jsonb,
  error           text,
  UNIQUE (run_id, step)
);
