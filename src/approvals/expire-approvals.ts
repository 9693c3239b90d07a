import type { Queryable } from '../db/database.ts';
import { type ApprovalRow, withVotes } from './approval-rows.ts';
import type { Approval } from './approval-types.ts';

/**
 * Time-driven approval changes, for a scheduled job to call (any replica, any number of times):
 * each UPDATE claims its rows, so a warning is sent once and an approval expires once. Run them
 * in the transaction that enqueues the Slack messages they cause, so a crash loses neither.
 */

/**
 * Marks pending approvals whose time is up as expired; returns them, so requesters can be told.
 * At most `limit`, oldest first; rows another transaction holds (a vote being counted, another
 * replica's sweep) are skipped, and the `status = 'pending'` recheck makes the claim exactly once.
 * The CTE is materialized on purpose: as an `IN (subquery)` the planner may rescan the LIMITed,
 * locking subquery once per row, and each rescan skips the rows this statement already changed,
 * so LIMIT 1 would claim every due row.
 */
export async function expireDue(
  db: Queryable,
  now: Date,
  limit = 1000,
  skip: readonly string[] = [],
): Promise<Approval[]> {
  const { rows } = await db.query<ApprovalRow>(
    `WITH due AS MATERIALIZED (
       SELECT id FROM approvals WHERE status = 'pending' AND expires_at <= $1 AND id <> ALL($3::text[])
        ORDER BY expires_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE approvals a SET status = 'expired', decided_at = $1, decided_by = 'sluice:expiry'
       FROM due WHERE a.id = due.id AND a.status = 'pending'
     RETURNING a.*`,
    [now, limit, skip],
  );
  return withVotes(db, rows);
}

/** Claims the pending approvals due for their before-expiry warning; each is returned once. */
export async function dueForWarning(
  db: Queryable,
  now: Date,
  limit = 1000,
  skip: readonly string[] = [],
): Promise<Approval[]> {
  const { rows } = await db.query<ApprovalRow>(
    `WITH due AS MATERIALIZED (
       SELECT id FROM approvals
        WHERE status = 'pending' AND warned_at IS NULL AND warn_at <= $1 AND expires_at > $1
          AND id <> ALL($3::text[])
        ORDER BY warn_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
     UPDATE approvals a SET warned_at = $1
       FROM due WHERE a.id = due.id AND a.status = 'pending' AND a.warned_at IS NULL
     RETURNING a.*`,
    [now, limit, skip],
  );
  return withVotes(db, rows);
}

/** Whether any approval is due for its warning (a cheap look before resolving user groups). */
export async function anyDueForWarning(db: Queryable, now: Date): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM approvals
      WHERE status = 'pending' AND warned_at IS NULL AND warn_at <= $1 AND expires_at > $1 LIMIT 1`,
    [now],
  );
  return rows.length > 0;
}

/** Cancels the pending approvals of a run (the run was cancelled or failed). */
export async function cancelPendingForRun(
  db: Queryable,
  runId: string,
  now: Date,
  by: string,
): Promise<Approval[]> {
  const { rows } = await db.query<ApprovalRow>(
    `UPDATE approvals SET status = 'cancelled', decided_at = $2, decided_by = $3
      WHERE run_id = $1 AND status = 'pending'
      RETURNING *`,
    [runId, now, by],
  );
  return withVotes(db, rows);
}
