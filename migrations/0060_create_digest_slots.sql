-- One row per digest slot (a schedule's cron occurrence, as a UTC instant). Every scheduler that
-- finds a slot due inserts its row; the primary key lets exactly one insert win, and only the
-- winner posts, so several replicas sharing this database post one digest per slot. A slot is
-- stored as an instant, so the repeated local hour of a daylight-saving change cannot make two.
CREATE TABLE digest_slots (
  schedule_key text NOT NULL,
  slot_at      timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('posted', 'skipped_paused', 'missed')),
  -- Why a slot was not posted (the pause reason, "scheduler was down"); null when posted.
  reason       text,
  channel_id   text NOT NULL,
  -- The period the posted digest covered, and the outbox key of its message.
  period_from  timestamptz,
  period_to    timestamptz,
  outbox_key   text,
  -- Posted after its slot because of the catch_up_once policy.
  late         boolean NOT NULL DEFAULT false,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (schedule_key, slot_at)
);
