import { normalizeGroup } from '../policy/compile-rule.ts';
import type { Approval, PauseScopeLike, VoteRequest } from './approval-types.ts';

/**
 * Decides, without I/O, whether one click counts. Everything a forged or late click could abuse
 * is checked on the server: the approval is still pending and not expired, the button carries the
 * payload hash the approval pins, the voter is an approver (directly or through a user group,
 * resolved by the caller), the requester rule, one vote per approver, and the kill switch.
 */

export type VoteRefusal =
  | 'not_pending'
  | 'expired'
  | 'payload_mismatch'
  | 'requester_forbidden'
  | 'not_approver'
  | 'already_voted'
  | 'paused'
  | 'reason_required'
  | 'wrong_approval';

export type VoteVerdict =
  | { ok: true; outcome: 'recorded' | 'approved' | 'rejected'; approvals: number; quorum: number }
  | { ok: false; refusal: VoteRefusal; reason: string };

export interface VoteContext {
  /** User groups (ids and/or handles) the voter belongs to, resolved by the caller. */
  voterGroups: readonly string[];
  /** Pauses in force; one covering everything, the approval's channel or its action freezes approving. */
  pauses: readonly PauseScopeLike[];
}

export const MAX_REASON = 500;

export function authorizeVote(
  approval: Approval,
  vote: VoteRequest,
  context: VoteContext,
  now: Date,
): VoteVerdict {
  const refuse = (refusal: VoteRefusal, reason: string): VoteVerdict => ({ ok: false, refusal, reason });
  if (vote.approvalId !== approval.id) return refuse('wrong_approval', 'this vote is for another approval');
  if (approval.status === 'expired') {
    return refuse(
      'expired',
      `this request expired at ${approval.expiresAt.toISOString()} without a decision; ask for it again`,
    );
  }
  if (approval.status !== 'pending') {
    const by = approval.decidedBy ? ` by ${approval.decidedBy}` : '';
    return refuse('not_pending', `this request is already ${approval.status}${by}`);
  }
  if (now.getTime() >= approval.expiresAt.getTime()) {
    return refuse('expired', `this request expired at ${approval.expiresAt.toISOString()}; ask for it again`);
  }
  if (vote.payloadHash !== approval.payloadHash) {
    return refuse(
      'payload_mismatch',
      'the button does not match the request it claims to approve; nothing was recorded',
    );
  }
  if (vote.voter === approval.requester && !approval.requesterCanApprove) {
    return refuse(
      'requester_forbidden',
      'you asked for this, and the policy does not let requesters decide their own requests',
    );
  }
  if (!isApprover(approval, vote.voter, context.voterGroups)) {
    return refuse('not_approver', 'you are not one of the approvers for this request');
  }
  if (approval.votes.some((v) => v.voter === vote.voter)) {
    return refuse('already_voted', 'you have already voted on this request');
  }
  const pause = blockingPause(approval, context.pauses);
  if (pause && vote.choice === 'approve') {
    return refuse(
      'paused',
      `Sluice is paused (${pause}); approving is frozen until it resumes, rejecting still works`,
    );
  }
  const reason = vote.reason?.trim() ?? '';
  if (vote.choice === 'reject') {
    if (!reason) return refuse('reason_required', 'a rejection needs a reason');
    if (reason.length > MAX_REASON)
      return refuse('reason_required', `keep the reason under ${MAX_REASON} characters`);
    return { ok: true, outcome: 'rejected', approvals: countApprovals(approval), quorum: approval.quorum };
  }
  const approvals = countApprovals(approval) + 1;
  return {
    ok: true,
    outcome: approvals >= approval.quorum ? 'approved' : 'recorded',
    approvals,
    quorum: approval.quorum,
  };
}

export function isApprover(approval: Approval, user: string, userGroups: readonly string[]): boolean {
  if (approval.approvers.users.includes(user)) return true;
  const mine = userGroups.map(normalizeGroup);
  return approval.approvers.groups.some((g) => mine.includes(normalizeGroup(g)));
}

function countApprovals(approval: Approval): number {
  return new Set(approval.votes.filter((v) => v.choice === 'approve').map((v) => v.voter)).size;
}

function blockingPause(approval: Approval, pauses: readonly PauseScopeLike[]): string | undefined {
  const p = pauses.find(
    (x) =>
      x.scopeKind === 'global' ||
      (x.scopeKind === 'channel' && x.scopeValue === approval.channel) ||
      (x.scopeKind === 'action' && x.scopeValue === approval.action),
  );
  if (!p) return undefined;
  const scope = p.scopeKind === 'global' ? 'global' : `${p.scopeKind}:${p.scopeValue}`;
  return p.reason ? `${scope}: ${p.reason}` : scope;
}
