import type { AuditLog } from '../audit/audit-log.ts';
import type { Database, Queryable } from '../db/database.ts';
import { SluiceError, UsageError } from '../errors.ts';
import { type ActivePause, listActivePauses } from './active-pauses.ts';
import { formatPauseScope, type PauseScope, scopeValue } from './pause-scope.ts';

/**
 * The kill switch. Pauses live in Postgres (so they hold across restarts and replicas) and every
 * pause and resume is audited in the same transaction. The run processor asks `blockingPause`
 * before a run starts and immediately before every effect; scheduled jobs ask `isGloballyPaused`.
 */
export interface KillSwitch {
  pause(input: {
    scope: PauseScope;
    reason: string;
    by: string;
  }): Promise<{ pause: ActivePause; alreadyPaused: boolean }>;
  resume(input: { scope: PauseScope; by: string }): Promise<{ resumed: ActivePause | null }>;
  list(): Promise<ActivePause[]>;
  /** Records a pause or resume that was refused (the person is not an operator). */
  refuse(input: { action: 'pause' | 'resume'; by: string; reason: string }): Promise<void>;
}

/** What an effect or a run is about to touch; a pause of any of these scopes blocks it. */
export interface PauseTarget {
  channelId?: string | null;
  action?: string | null;
}

interface PauseRow {
  scope_kind: ActivePause['scopeKind'];
  scope_value: string;
  reason: string;
  paused_by: string;
  paused_at: Date;
}

const pauseColumns = 'scope_kind, scope_value, reason, paused_by, paused_at';

function toPause(r: PauseRow): ActivePause {
  return {
    scopeKind: r.scope_kind,
    scopeValue: r.scope_value,
    reason: r.reason,
    pausedBy: r.paused_by,
    pausedAt: r.paused_at,
  };
}

export function createKillSwitch(db: Database, audit: AuditLog): KillSwitch {
  return {
    async pause({ scope, reason, by }) {
      if (!reason.trim())
        throw new UsageError('a pause needs a reason, e.g. --reason "incident in progress"');
      return db.transaction(async (tx) => {
        const inserted = await tx.query<PauseRow>(
          `INSERT INTO pauses (scope_kind, scope_value, reason, paused_by, paused_at)
           VALUES ($1, $2, $3, $4, clock_timestamp())
           ON CONFLICT (scope_kind, scope_value) WHERE resumed_at IS NULL DO NOTHING
           RETURNING ${pauseColumns}`,
          [scope.kind, scopeValue(scope), reason.trim(), by],
        );
        const row = inserted.rows[0];
        if (!row) {
          const existing = await tx.query<PauseRow>(
            `SELECT ${pauseColumns} FROM pauses WHERE scope_kind = $1 AND scope_value = $2 AND resumed_at IS NULL`,
            [scope.kind, scopeValue(scope)],
          );
          if (!existing.rows[0])
            throw new SluiceError('internal', 'pause conflicted but no active pause was found');
          return { pause: toPause(existing.rows[0]), alreadyPaused: true };
        }
        await audit.append(tx, {
          actor: by,
          kind: 'pause',
          detail: { scope: formatPauseScope(scope), reason: row.reason },
        });
        return { pause: toPause(row), alreadyPaused: false };
      });
    },
    async resume({ scope, by }) {
      return db.transaction(async (tx) => {
        const updated = await tx.query<PauseRow>(
          `UPDATE pauses SET resumed_at = clock_timestamp(), resumed_by = $3
            WHERE scope_kind = $1 AND scope_value = $2 AND resumed_at IS NULL
            RETURNING ${pauseColumns}`,
          [scope.kind, scopeValue(scope), by],
        );
        const row = updated.rows[0];
        if (!row) return { resumed: null };
        await audit.append(tx, {
          actor: by,
          kind: 'resume',
          detail: { scope: formatPauseScope(scope), pausedBy: row.paused_by, reason: row.reason },
        });
        return { resumed: toPause(row) };
      });
    },
    list: () => listActivePauses(db),
    async refuse({ action, by, reason }) {
      await db.transaction((tx) =>
        audit.append(tx, { actor: by, kind: action, decision: 'refused', detail: { reason } }),
      );
    },
  };
}

/** The pause that blocks this target, if any: global first, then the channel, then the action. */
export async function findBlockingPause(q: Queryable, target: PauseTarget = {}): Promise<ActivePause | null> {
  const result = await q.query<PauseRow>(
    `SELECT ${pauseColumns} FROM pauses
      WHERE resumed_at IS NULL
        AND (scope_kind = 'global'
             OR (scope_kind = 'channel' AND scope_value = $1)
             OR (scope_kind = 'action' AND scope_value = $2))
      ORDER BY CASE scope_kind WHEN 'global' THEN 0 WHEN 'channel' THEN 1 ELSE 2 END, paused_at
      LIMIT 1`,
    [target.channelId ?? null, target.action ?? null],
  );
  return result.rows[0] ? toPause(result.rows[0]) : null;
}

export function describePause(pause: ActivePause): string {
  const scope = formatPauseScope({ kind: pause.scopeKind, value: pause.scopeValue });
  return `paused (${scope}) by ${pause.pausedBy} since ${pause.pausedAt.toISOString()}: ${pause.reason}`;
}
