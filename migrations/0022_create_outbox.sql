-- Slack writes, committed in the same transaction as the state change that produced them and
-- delivered later, in order per channel, by the outbox sender.
CREATE TABLE outbox_messages (
  id          bigserial PRIMARY KEY,
  -- Idempotency key, also put in the Slack message's metadata so a post that may have reached
  -- Slack before a crash is found in history instead of being posted twice.
  key         text NOT NULL UNIQUE,
  run_id      uuid REFERENCES runs (id),
  channel_id  text NOT NULL,
  thread_ts   text,
  operation   text NOT NULL CHECK (operation IN ('post', 'update')),
  -- For an update: the key of the earlier outbox post whose Slack message is edited.
  target_key  text,
  payload     jsonb NOT NULL,
  completes_run boolean NOT NULL DEFAULT false,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  -- Failed deliveries in a row (posts or history lookups); drives the backoff.
  failures    integer NOT NULL DEFAULT 0,
  -- Set before each Slack call and cleared only when the answer proves nothing was posted.
  maybe_sent  boolean NOT NULL DEFAULT false,
  slack_ts    text,
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  CHECK ((operation = 'update') = (target_key IS NOT NULL))
);

CREATE INDEX outbox_messages_pending ON outbox_messages (channel_id, id) WHERE state = 'pending';
CREATE INDEX outbox_messages_run ON outbox_messages (run_id) WHERE run_id IS NOT NULL;

-- One row per channel: when it may next be written to (pacing, Retry-After, backoff) and which
-- sender holds it. A sender leases a channel, so one channel is written by one sender at a time.
CREATE TABLE outbox_channels (
  channel_id   text PRIMARY KEY,
  next_send_at timestamptz NOT NULL DEFAULT now(),
  lease_owner  text,
  lease_until  timestamptz
);
