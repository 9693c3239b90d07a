-- The executors' effects ledger: one row per idempotency key. An executor claims its key here
-- before touching the world and records the outcome right after, so a second invocation with the
-- same key (a retry, a replay, a resumed run) replays the outcome instead of acting again.
-- The run-level `effects` table (0021) records which step of a run an effect is and is settled
-- with the run's next state; this ledger is what lets the executor honour the key it is given.
CREATE TABLE action_effects (
  idempotency_key text PRIMARY KEY,
  action          text NOT NULL,
  -- The payload the key was first used for; the same key with another payload is refused.
  payload_hash    text NOT NULL,
  run_id          text,
  status          text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'uncertain')),
  -- A failed effect that may be tried again under the same key (a timeout, a 503).
  retryable       boolean NOT NULL DEFAULT false,
  -- Fencing token: only the attempt that holds the claim may settle it.
  attempts        integer NOT NULL DEFAULT 1,
  result          jsonb,
  error           text,
  started_at      timestamptz NOT NULL,
  lease_until     timestamptz NOT NULL,
  finished_at     timestamptz,
  CHECK ((status = 'running') = (finished_at IS NULL))
);

CREATE INDEX action_effects_run ON action_effects (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX action_effects_unsettled ON action_effects (lease_until) WHERE status IN ('running', 'uncertain');
