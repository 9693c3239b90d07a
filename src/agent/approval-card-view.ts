import type { Approval } from '../approvals/approval-types.ts';
import type { ApprovalCardToRender } from './reply-renderers.ts';

/** The approval as its card shows it, from the stored row (never from the button that was clicked). */
export function approvalCardView(
  approval: Approval,
  risk: ApprovalCardToRender['risk'],
  pausedReason?: string,
): ApprovalCardToRender {
  return {
    approvalId: approval.id,
    runId: approval.runId ?? 'none',
    action: approval.action,
    params: approval.params,
    payloadHash: approval.payloadHash,
    risk,
    ruleId: approval.ruleId,
    reason: approval.reason,
    requester: approval.requester,
    approvers: approval.approvers,
    quorum: approval.quorum,
    requesterMayApprove: approval.requesterCanApprove,
    expiresAt: approval.expiresAt,
    status: pausedReason && approval.status === 'pending' ? 'frozen' : approval.status,
    votes: approval.votes.map((v) => ({
      userId: v.voter,
      vote: v.choice,
      at: v.at,
      ...(v.reason ? { reason: v.reason } : {}),
    })),
    ...(pausedReason ? { pausedReason } : {}),
  };
}
