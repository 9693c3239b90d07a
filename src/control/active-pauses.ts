import type { Queryable } from '../db/database.ts';

export interface ActivePause {
  scopeKind: 'global' | 'channel' | 'action';
  scopeValue: string;
  reason: string;
  pausedBy: string;
  pausedAt: Date;
}

/** Pauses in force now, global first. */
export async function listActivePauses(db: Queryable): Promise<ActivePause[]> {
  const result = await db.query<{
    scope_kind: ActivePause['scopeKind'];
    scope_value: string;
    reason: string;
    paused_by: string;
    paused_at: Date;
  }>(
    `SELECT scope_kind, scope_value, reason, paused_by, paused_at
       FROM pauses WHERE resumed_at IS NULL
      ORDER BY (scope_kind = 'global') DESC, paused_at`,
  );
  return result.rows.map((r) => ({
    scopeKind: r.scope_kind,
    scopeValue: r.scope_value,
    reason: r.reason,
    pausedBy: r.paused_by,
    pausedAt: r.paused_at,
  }));
}
