-- The kill switch. A pause is global, or scoped to one channel or one action type. It is lifted by
-- setting resumed_at, never by deleting, so the history of every pause stays queryable.
CREATE TABLE pauses (
  id          bigserial PRIMARY KEY,
  scope_kind  text NOT NULL CHECK (scope_kind IN ('global', 'channel', 'action')),
  scope_value text NOT NULL DEFAULT '',
  reason      text NOT NULL,
  paused_by   text NOT NULL,
  paused_at   timestamptz NOT NULL DEFAULT now(),
  resumed_by  text,
  resumed_at  timestamptz,
  CHECK ((scope_kind = 'global') = (scope_value = ''))
);

-- At most one active pause per scope.
CREATE UNIQUE INDEX pauses_active_scope ON pauses (scope_kind, scope_value) WHERE resumed_at IS NULL;
