import type { AuditLog } from '../audit/audit-log.ts';
import { findBlockingPause } from '../control/kill-switch.ts';
import type { Database, Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { commitReply } from './commit-reply.ts';
import { commitTransition } from './commit-transition.ts';
import { recordEffectIntent } from './effect-ledger.ts';
import { expiredReply, rejectedReply, runMessage } from './run-messages.ts';
import { loadRun, type Run } from './run-record.ts';
import { EFFECT_STEP } from './run-step-runner.ts';

/**
 * What a person's decision on a waiting run does to it: approved -> executing (the effect's
 * intent is recorded and the run's job enqueued in the same transaction), rejected -> replied
 * with the reason, expired -> cancelled (outcome `expired`, the requester told). An approval in
 * a paused scope is refused and stays pending (frozen) until resume; the effect itself checks the
 * pause again before it starts.
 */

export type ApprovalResolution =
  | { outcome: 'approved'; by: string[]; approvalId?: string }
  | { outcome: 'rejected'; by: string[]; reason?: string; approvalId?: string }
  | { outcome: 'expired'; approvalId?: string };

export async function resolveApproval(
  deps: {
    db: Database;
    audit: AuditLog;
    /** The run's job; null when a job of the run still holds its key (queued or running). */
    enqueueRun: (tx: Queryable, runId: string) => Promise<string | null>;
    wakeRuns?: () => void;
  },
  runId: string,
  resolution: ApprovalResolution,
): Promise<Run> {
  const { db, audit } = deps;
  let enqueued = true;

  const result = await db.transaction(async (tx) => {
    const run = await loadRun(tx, runId);
    if (!run) throw new SluiceError('not_found', `run ${runId} does not exist`);
    if (run.state !== 'awaiting_approval') {
      throw new SluiceError('invalid_input', `run ${runId} is ${run.state}, not waiting for approval`);
    }
    const action = run.context.proposal?.action ?? 'unknown';
    if (resolution.outcome === 'expired') {
      return endExpiredRun(tx, audit, run, { approvalId: resolution.approvalId ?? null, threadTs: null });
    }
    if (resolution.outcome === 'rejected') {
      return commitReply(
        tx,
        audit,
        run,
        {
          outcome: 'rejected',
          finalState: 'done',
          audit: [
            {
              actor: resolution.by.join(','),
              kind: 'approval.rejected',
              approvers: resolution.by,
              effect: action,
              detail: { reason: resolution.reason ?? null },
            },
          ],
        },
        rejectedReply(run, resolution.by, resolution.reason),
      );
    }
    const pause = await findBlockingPause(tx, { channelId: run.channelId, action });
    if (pause) {
      throw new SluiceError(
        'paused',
        `Sluice is paused (${pause.reason}); the approval stays pending until it is resumed`,
        { retryable: true },
      );
    }
    await recordEffectIntent(tx, { runId: run.id, step: EFFECT_STEP, action });
    const next = await commitTransition(tx, audit, run, 'executing', {
      context: {
        approval: {
          by: resolution.by,
          approvalId: resolution.approvalId ?? null,
          at: new Date().toISOString(),
        },
      },
      audit: [
        {
          actor: resolution.by.join(','),
          kind: 'approval.granted',
          approvers: resolution.by,
          effect: action,
        },
      ],
    });
    enqueued = (await deps.enqueueRun(tx, run.id)) !== null;
    return next;
  });
  if (!enqueued) await enqueueOnceReleased(deps, result);
  deps.wakeRuns?.();
  return result;
}

/**
 * The approval landed while the job that parked the run still held the run's key: that job had
 * already read the run as waiting and was finishing, so it will not take the run on. The run's
 * job is enqueued again once that job is done, unless the run has moved on meanwhile (the job
 * read it after all). Gives up after `RELEASE_WAIT_MS`: a job that holds the key that long is
 * running the run, or will be retried when its lease lapses.
 */
async function enqueueOnceReleased(
  deps: { db: Database; enqueueRun: (tx: Queryable, runId: string) => Promise<string | null> },
  run: Run,
): Promise<void> {
  const deadline = Date.now() + RELEASE_WAIT_MS;
  for (let pause = 10; Date.now() < deadline; pause = Math.min(pause * 2, 500)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    const now = await loadRun(deps.db, run.id);
    if (now?.state !== run.state || now.version !== run.version) return;
    if ((await deps.enqueueRun(deps.db, run.id)) !== null) return;
  }
}

const RELEASE_WAIT_MS = 30_000;

/**
 * Ends a run whose approval expired, inside the caller's transaction (the approval sweep's, which
 * claimed the expiry): cancelled with outcome `expired`, the requester told in `threadTs` (the
 * card's thread) or else the run's own thread. Returns null, changing nothing, when the run no
 * longer waits or still waits on another pending approval (a re-request).
 */
export async function expireWaitingRun(
  tx: Queryable,
  audit: AuditLog,
  runId: string,
  how: { approvalId: string; threadTs: string | null },
): Promise<Run | null> {
  const run = await loadRun(tx, runId);
  if (run?.state !== 'awaiting_approval') return null;
  const other = await tx.query(
    "SELECT 1 FROM approvals WHERE run_id = $1 AND status = 'pending' AND id <> $2 LIMIT 1",
    [runId, how.approvalId],
  );
  if (other.rows.length > 0) return null;
  return endExpiredRun(tx, audit, run, how);
}

function endExpiredRun(
  tx: Queryable,
  audit: AuditLog,
  run: Run,
  how: { approvalId: string | null; threadTs: string | null },
): Promise<Run> {
  const reply = expiredReply(run);
  const text = run.userId ? `${reply.text} Requested by <@${run.userId}>.` : reply.text;
  return commitTransition(tx, audit, run, 'cancelled', {
    outcome: 'expired',
    messages: runMessage({ ...run, threadTs: how.threadTs ?? run.threadTs }, 'expired', { text }),
    audit: [
      {
        actor: 'system',
        kind: 'run.cancelled',
        effect: run.context.proposal?.action ?? 'unknown',
        detail: { reason: 'the approval request expired without a decision', approvalId: how.approvalId },
      },
    ],
  });
}
