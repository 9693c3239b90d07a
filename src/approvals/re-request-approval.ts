import type { Database } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { Decision } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';
import { type ApprovalRow, getApproval, withVotes } from './approval-rows.ts';
import type { Approval } from './approval-types.ts';
import { createApproval } from './create-approval.ts';

export interface ReRequest {
  approvalId: string;
  /** Who clicked "Ask again"; only the original requester may. */
  requester: string;
  now: Date;
  /**
   * The current policy's decision on the same proposal. Pass it so a policy changed since the
   * first request applies; without it the old approvers, quorum and duration are kept.
   */
  decision?: Decision;
}

/**
 * A fresh approval for the same payload after one expired: one click or command. Asking twice
 * returns the same re-request (one per expired approval, enforced by a unique column).
 */
export async function reRequestApproval(
  db: Database,
  input: ReRequest,
): Promise<{ approval: Approval; created: boolean }> {
  return db.transaction(async (tx) => {
    const old = await getApproval(tx, input.approvalId, { forUpdate: true });
    if (!old) throw new SluiceError('not_found', `there is no approval ${input.approvalId}`);
    if (old.status !== 'expired') {
      throw new SluiceError(
        'invalid_input',
        `only an expired request can be asked again; this one is ${old.status}`,
      );
    }
    if (input.requester !== old.requester)
      throw new SluiceError('forbidden', 'only the person who asked can ask again');
    const existing = await tx.query<ApprovalRow>('SELECT * FROM approvals WHERE supersedes = $1', [old.id]);
    if (existing.rows[0]) return { approval: (await withVotes(tx, existing.rows))[0]!, created: false };

    const decision = input.decision ?? decisionFrom(old, input.now);
    if (decision.decision !== 'escalate') {
      throw new SluiceError(
        'forbidden',
        `the policy now decides ${decision.decision} for this request: ${decision.reason}`,
      );
    }
    const approval = await createApproval(tx, {
      proposal: { action: old.action, params: old.params as Proposal['params'], source: old.source },
      decision,
      requester: old.requester,
      channel: old.channel,
      runId: old.runId,
      now: input.now,
      supersedes: old.id,
    });
    return { approval, created: true };
  });
}

function decisionFrom(old: Approval, now: Date): Decision {
  const lifetime = old.expiresAt.getTime() - old.createdAt.getTime();
  const warnBefore = old.expiresAt.getTime() - old.warnAt.getTime();
  return {
    decision: 'escalate',
    ruleId: old.ruleId,
    reason: old.reason,
    policyHash: old.policyHash,
    payloadHash: old.payloadHash,
    approval: {
      approvers: old.approvers,
      quorum: old.quorum,
      requesterCanApprove: old.requesterCanApprove,
      expiresInMs: lifetime,
      expiresAt: new Date(now.getTime() + lifetime).toISOString(),
      warnAt: new Date(now.getTime() + lifetime - warnBefore).toISOString(),
    },
  };
}
