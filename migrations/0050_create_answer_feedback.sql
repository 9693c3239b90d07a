-- Helpful / not helpful votes on answers: one per person per run, changeable.
CREATE TABLE answer_feedback (
  run_id  text NOT NULL,
  user_id text NOT NULL,
  helpful boolean NOT NULL,
  at      timestamptz NOT NULL,
  PRIMARY KEY (run_id, user_id)
);
