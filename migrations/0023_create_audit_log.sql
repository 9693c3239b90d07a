-- The audit log: append-only and hash-chained. Each entry's hash covers the previous entry's hash
-- and a canonical JSON of its own fields, so editing, deleting or reordering rows breaks the chain
-- where `sluice audit verify` will find it.
CREATE TABLE audit_log (
  seq            bigint PRIMARY KEY,
  at             timestamptz NOT NULL,
  actor          text NOT NULL,
  run_id         uuid,
  correlation_id text,
  kind           text NOT NULL,
  input_digest   text,
  model          text,
  prompt_version text,
  policy_version text,
  policy_rule    text,
  decision       text,
  approvers      jsonb,
  effect         text,
  result         jsonb,
  detail         jsonb,
  prev_hash      text NOT NULL UNIQUE,
  hash           text NOT NULL UNIQUE
);

CREATE INDEX audit_log_run ON audit_log (run_id, seq) WHERE run_id IS NOT NULL;

-- The chain's head. Appenders lock this row, which serialises appends across connections and
-- replicas; it also lets `verify` notice entries removed from the end of the chain.
CREATE TABLE audit_chain_head (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq  bigint NOT NULL,
  hash text NOT NULL
);

INSERT INTO audit_chain_head (seq, hash) VALUES (0, repeat('0', 64));

-- Refuses every change to written entries, whatever the role's grants (docs/audit-grants.md).
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
