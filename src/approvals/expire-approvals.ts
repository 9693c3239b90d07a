import type { Queryable } from '../db/database.ts';
import { type ApprovalRow, withVotes } from './approval-rows.ts';
import type { Approval } from './approval-types.ts';

/**
 * Time-driven approval changes, for a scheduled job to call (any replica, any number of times):
 * each UPDATE claims its rows, so a warning is sent once and an approval expires once. Run them
 * in the transaction that enqueues the Slack messages they cause, so a crash loses neither.
 */

/** Marks pending approvals whose time is up as expired; returns them, so requesters can be told. */
export async function expireDue(db: Queryable, now: Date): Promise<Approval[]> {
  const { rows } = await db.query<ApprovalRow>(
    `UPDATE approvals SET status = 'expired', decided_at = $1, decided_by = 'sluice:expiry'
      WHERE status = 'pending' AND expires_at <= $1
      RETURNING *`,
    [now],
  );
  return withVotes(db, rows);
}

/** Claims the pending approvals due for their before-expiry warning; each is returned once. */
export async function dueForWarning(db: Queryable, now: Date): Promise<Approval[]> {
  const { rows } = await db.query<ApprovalRow>(
    `UPDATE approvals SET warned_at = $1
      WHERE status = 'pending' AND warned_at IS NULL AND warn_at <= $1 AND expires_at > $1
      RETURNING *`,
    [now],
  );
  return withVotes(db, rows);
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
