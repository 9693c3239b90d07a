import type { AuditLog } from '../audit/audit-log.ts';
import type { Database, Queryable } from '../db/database.ts';
import { enqueueOutbox } from '../outbox/outbox-message.ts';
import type { SlackBlockLike } from '../outbox/slack-writer.ts';
import { approvalReminderText, type GroupMembers, waitingOn } from './approval-reminder.ts';
import type { Approval } from './approval-types.ts';
import { anyDueForWarning, dueForWarning, expireDue } from './expire-approvals.ts';
import { correlationOf } from './vote-audit-entry.ts';

/**
 * One pass of the approval clock: expire what is due, remind who has not voted on what is about
 * to expire. Safe on any number of replicas at once: each approval is claimed by a conditional
 * UPDATE (`status = 'pending'`, `warned_at IS NULL`) that skips rows another transaction holds,
 * and everything the claim causes (the card update, the run's end and its reply, the reminder,
 * the audit entries) commits in the claim's transaction, so a crash loses or repeats none of it.
 * One approval per transaction: ending a run locks the run before the audit chain, as every other
 * run transition does, and a batch would hold the chain while reaching for the next run.
 */

export interface ApprovalSweepDeps {
  db: Database;
  audit: AuditLog;
  /** The card as it now stands, from the stored approval, by the renderer that posted it. */
  renderCard: (approval: Approval) => { text: string; blocks?: readonly SlackBlockLike[] };
  /**
   * Ends the run that waits on an approval that just expired, inside `tx`, telling the requester
   * in the card's thread (`threadTs`, when known).
   */
  endRun?: (
    tx: Queryable,
    approval: Approval & { runId: string },
    threadTs: string | null,
  ) => Promise<unknown>;
  /** Slack user groups and their members, so a reminder names people rather than whole groups. */
  listGroups?: () => Promise<readonly GroupMembers[]>;
  /** At most this many expiries and this many reminders per pass; the next pass takes the rest. */
  maxPerSweep?: number;
}

export interface SweepResult {
  expired: Approval[];
  reminded: Approval[];
  /** Approvals whose transaction failed; they stay due and are tried again on the next pass. */
  failed: { approvalId: string; error: unknown }[];
}

/** The outbox key of a run's approval card, as the run posted it. */
export const approvalCardKey = (runId: string) => `${runId}:approval-card`;

export async function sweepApprovals(deps: ApprovalSweepDeps, now: Date): Promise<SweepResult> {
  const max = deps.maxPerSweep ?? 100;
  const failed: SweepResult['failed'] = [];
  const expired = await claimEach(deps.db, max, failed, (tx, skip, claimed) =>
    expireOne(deps, tx, now, skip, claimed),
  );
  let reminded: Approval[] = [];
  if (await anyDueForWarning(deps.db, now)) {
    // Resolved before any claim: Slack is never called while a row or the audit chain is held.
    const groups = deps.listGroups ? await deps.listGroups().catch(() => undefined) : undefined;
    reminded = await claimEach(deps.db, max, failed, (tx, skip, claimed) =>
      remindOne(deps, tx, now, groups, skip, claimed),
    );
  }
  return { expired, reminded, failed };
}

type Claim = (
  tx: Queryable,
  skip: readonly string[],
  claimed: (approvalId: string) => void,
) => Promise<Approval | undefined>;

/**
 * Claims and handles one approval per transaction until none is due. One that fails rolls back
 * (it stays due) and is skipped for the rest of the pass, so it cannot hold up the others.
 */
async function claimEach(
  db: Database,
  max: number,
  failed: SweepResult['failed'],
  claim: Claim,
): Promise<Approval[]> {
  const done: Approval[] = [];
  const skip: string[] = [];
  while (done.length + skip.length < max) {
    let current: string | undefined;
    try {
      const one = await db.transaction((tx) =>
        claim(tx, skip, (id) => {
          current = id;
        }),
      );
      if (!one) break;
      done.push(one);
    } catch (error) {
      if (!current) throw error;
      skip.push(current);
      failed.push({ approvalId: current, error });
    }
  }
  return done;
}

async function expireOne(
  deps: ApprovalSweepDeps,
  tx: Queryable,
  now: Date,
  skip: readonly string[],
  claimed: (approvalId: string) => void,
): Promise<Approval | undefined> {
  const [approval] = await expireDue(tx, now, 1, skip);
  if (!approval) return undefined;
  claimed(approval.id);
  const { runId } = approval;
  const card = await findCard(tx, approval);
  if (runId && card?.outboxKey) {
    const view = deps.renderCard(approval);
    await enqueueOutbox(tx, {
      operation: 'update',
      key: `${card.outboxKey}:expired:${approval.id}`,
      targetKey: card.outboxKey,
      runId,
      channelId: card.channel,
      text: view.text,
      ...(view.blocks ? { blocks: view.blocks } : {}),
    });
  }
  if (runId) await deps.endRun?.(tx, { ...approval, runId }, card?.thread ?? null);
  const approvedBy = approval.votes.filter((v) => v.choice === 'approve').map((v) => v.voter);
  await deps.audit.append(tx, {
    actor: 'system',
    kind: 'approval.expired',
    runId,
    correlationId: await correlationOf(tx, runId),
    decision: 'expired',
    policyRule: approval.ruleId,
    policyVersion: approval.policyHash,
    effect: approval.action,
    inputDigest: approval.payloadHash,
    approvers: approvedBy,
    detail: {
      approvalId: approval.id,
      expiresAt: approval.expiresAt.toISOString(),
      approvals: approvedBy.length,
      quorum: approval.quorum,
    },
  });
  return approval;
}

async function remindOne(
  deps: ApprovalSweepDeps,
  tx: Queryable,
  now: Date,
  groups: readonly GroupMembers[] | undefined,
  skip: readonly string[],
  claimed: (approvalId: string) => void,
): Promise<Approval | undefined> {
  const [approval] = await dueForWarning(tx, now, 1, skip);
  if (!approval) return undefined;
  claimed(approval.id);
  const waiting = waitingOn(approval, groups);
  const { runId } = approval;
  // Without a card there is no thread to remind in; the claim and the audit entry still stand.
  const card = await findCard(tx, approval);
  if (card) {
    await enqueueOutbox(tx, {
      operation: 'post',
      // The key makes the reminder once-only even if the claim were somehow repeated.
      key: `${runId ?? `approval:${approval.id}`}:approval-reminder:${approval.id}`,
      runId,
      step: 'approval-reminder',
      channelId: card.channel,
      threadTs: card.thread,
      text: approvalReminderText(approval, waiting),
    });
  }
  await deps.audit.append(tx, {
    actor: 'system',
    kind: 'approval.reminded',
    runId,
    correlationId: await correlationOf(tx, runId),
    effect: approval.action,
    policyRule: approval.ruleId,
    detail: {
      approvalId: approval.id,
      expiresAt: approval.expiresAt.toISOString(),
      waitingOn: waiting,
      posted: card !== null,
    },
  });
  return approval;
}

/**
 * Where the approval's card is: its channel, its outbox key (to update it in place) and its
 * thread (the thread it was posted in, or its own message when it started none; null while it is
 * not yet delivered). Null when no card was ever posted (a run with no channel, say).
 */
export async function findCard(
  q: Queryable,
  approval: Approval,
): Promise<{ channel: string; thread: string | null; outboxKey: string | null } | null> {
  if (approval.runId) {
    const key = approvalCardKey(approval.runId);
    const { rows } = await q.query<{ channel_id: string; thread_ts: string | null; slack_ts: string | null }>(
      'SELECT channel_id, thread_ts, slack_ts FROM outbox_messages WHERE key = $1',
      [key],
    );
    const row = rows[0];
    if (row) return { channel: row.channel_id, thread: row.thread_ts ?? row.slack_ts, outboxKey: key };
  }
  return approval.card ? { channel: approval.card.channel, thread: approval.card.ts, outboxKey: null } : null;
}
