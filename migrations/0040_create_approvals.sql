-- Pending approvals and their votes. An approval pins one exact payload (action + params, by the
-- sha256 of their canonical JSON, which the Approve button carries too) and is decided exactly
-- once: the decision is a conditional UPDATE ... WHERE status = 'pending', and each approver can
-- vote once (primary key), so two simultaneous clicks can never produce two decisions.
CREATE TABLE approvals (
  id                    text PRIMARY KEY,
  run_id                text,
  action                text NOT NULL,
  params                jsonb NOT NULL,
  source                text NOT NULL CHECK (source IN ('explicit', 'model', 'fallback_model')),
  payload_hash          text NOT NULL CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  requester             text NOT NULL,
  channel               text NOT NULL,
  rule_id               text NOT NULL,
  policy_hash           text NOT NULL,
  reason                text NOT NULL,
  approver_users        text[] NOT NULL,
  approver_groups       text[] NOT NULL,
  quorum                integer NOT NULL CHECK (quorum >= 1),
  requester_can_approve boolean NOT NULL,
  status                text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  created_at            timestamptz NOT NULL,
  expires_at            timestamptz NOT NULL,
  warn_at               timestamptz NOT NULL,
  warned_at             timestamptz,
  decided_at            timestamptz,
  decided_by            text,
  rejection_reason      text,
  -- The expired approval this one re-requests; at most one re-request per expired approval.
  supersedes            text UNIQUE REFERENCES approvals (id),
  card_channel          text,
  card_ts               text,
  CHECK (expires_at > created_at),
  CHECK ((status = 'pending') = (decided_at IS NULL)),
  CHECK (status <> 'rejected' OR rejection_reason IS NOT NULL)
);

CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';
CREATE INDEX approvals_pending_warning ON approvals (warn_at) WHERE status = 'pending' AND warned_at IS NULL;
CREATE INDEX approvals_run ON approvals (run_id) WHERE run_id IS NOT NULL;

CREATE TABLE approval_votes (
  approval_id text NOT NULL REFERENCES approvals (id),
  voter       text NOT NULL,
  choice      text NOT NULL CHECK (choice IN ('approve', 'reject')),
  reason      text,
  voted_at    timestamptz NOT NULL,
  PRIMARY KEY (approval_id, voter),
  CHECK (choice = 'approve' OR reason IS NOT NULL)
);
