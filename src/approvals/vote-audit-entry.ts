import type { AuditEntryInput } from '../audit/audit-entry.ts';
import type { Queryable } from '../db/database.ts';
import type { Approval, VoteRequest } from './approval-types.ts';
import { MAX_REASON } from './authorize-vote.ts';

/**
 * The audit entry for one click on Approve or Reject, counted or not. Kind `approval.vote`;
 * `decision` is the choice that was counted (`approve` / `reject`) or `refused`, and a refused
 * click keeps the choice it tried, the refusal code and the reason the voter was shown. The
 * button's claimed payload hash goes in `inputDigest`, so a forged or stale button is visible.
 */

export type VoteAuditOutcome =
  | { ok: true; outcome: 'recorded' | 'approved' | 'rejected'; approvals: number; quorum: number }
  | { ok: false; refusal: string; reason: string };

export function voteAuditEntry(
  approval: Approval | null,
  vote: Pick<VoteRequest, 'voter' | 'choice' | 'reason'> & {
    approvalId: string | null;
    payloadHash: string | null;
  },
  outcome: VoteAuditOutcome,
  correlationId: string | null,
): AuditEntryInput {
  const reason = vote.choice === 'reject' ? (vote.reason?.trim().slice(0, MAX_REASON) ?? null) : null;
  return {
    actor: vote.voter,
    kind: 'approval.vote',
    runId: approval?.runId ?? null,
    correlationId,
    decision: outcome.ok ? vote.choice : 'refused',
    policyRule: approval?.ruleId ?? null,
    policyVersion: approval?.policyHash ?? null,
    effect: approval?.action ?? null,
    inputDigest: vote.payloadHash,
    result: outcome.ok
      ? { outcome: outcome.outcome, approvals: outcome.approvals, quorum: outcome.quorum }
      : { refusal: outcome.refusal, reason: outcome.reason },
    detail: {
      approvalId: vote.approvalId,
      choice: vote.choice,
      ...(reason ? { reason } : {}),
    },
  };
}

/** The correlation id of the run an approval belongs to, so its entries join the run's trace. */
export async function correlationOf(q: Queryable, runId: string | null): Promise<string | null> {
  if (!runId) return null;
  const { rows } = await q.query<{ correlation_id: string }>(
    'SELECT correlation_id FROM runs WHERE id = $1',
    [runId],
  );
  return rows[0]?.correlation_id ?? null;
}
