-- Money ceilings shared by every replica. A ledger row per scope: the run, the user for a UTC
-- day, and the whole installation for a UTC day. A turn first reserves its worst case (input
-- estimate plus max_tokens) on all three rows in one transaction, with a guarded UPDATE that
-- fails instead of passing the limit; afterwards the reservation is settled to the real cost.
-- Row locks make concurrent reservers queue, so together they can never pass a limit.
CREATE TABLE llm_budget_ledgers (
  scope        text NOT NULL CHECK (scope IN ('day', 'user', 'run')),
  scope_key    text NOT NULL,
  limit_usd    numeric(24, 12) NOT NULL,
  reserved_usd numeric(24, 12) NOT NULL DEFAULT 0 CHECK (reserved_usd >= 0),
  spent_usd    numeric(24, 12) NOT NULL DEFAULT 0 CHECK (spent_usd >= 0),
  -- Model turns taken; only the run row uses it (the cap on rounds per run).
  turns        integer NOT NULL DEFAULT 0,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, scope_key)
);

CREATE TABLE llm_budget_reservations (
  id          bigserial PRIMARY KEY,
  run_key     text NOT NULL,
  user_key    text NOT NULL,
  day_key     text NOT NULL,
  amount_usd  numeric(24, 12) NOT NULL CHECK (amount_usd >= 0),
  actual_usd  numeric(24, 12),
  status      text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'settled', 'released')),
  -- A holder that crashed never settles; after this its hold is released by the sweeper.
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  settled_at  timestamptz
);

CREATE INDEX llm_budget_reservations_held ON llm_budget_reservations (expires_at) WHERE status = 'held';
