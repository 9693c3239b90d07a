import type { Approvers } from '../policy/policy-types.ts';
import type { ProposalSource } from '../policy/proposal.ts';

/**
 * Terminology of approvals.
 *
 * - approval: a pending decision on one exact payload (action + params, pinned by its hash),
 *   created when the policy escalates. It is decided once: approved when `quorum` distinct
 *   approvers approve, rejected by the first reject (which must give a reason), expired when its
 *   time runs out, or cancelled.
 * - vote: one approver's approve or reject; at most one per approver per approval.
 * - re-request: a fresh approval made from an expired one, same payload, new expiry.
 */

export const approvalStatuses = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

export type VoteChoice = 'approve' | 'reject';

export interface Vote {
  voter: string;
  choice: VoteChoice;
  reason: string | null;
  at: Date;
}

export interface Approval {
  id: string;
  runId: string | null;
  action: string;
  params: Record<string, unknown>;
  source: ProposalSource;
  /** sha256 of the canonical action + params: what the card showed and what may run. */
  payloadHash: string;
  requester: string;
  channel: string;
  ruleId: string;
  policyHash: string;
  /** The policy's human reason for escalating, shown on the card. */
  reason: string;
  approvers: Approvers;
  quorum: number;
  requesterCanApprove: boolean;
  status: ApprovalStatus;
  createdAt: Date;
  expiresAt: Date;
  warnAt: Date;
  warnedAt: Date | null;
  decidedAt: Date | null;
  decidedBy: string | null;
  rejectionReason: string | null;
  /** The expired approval this one re-requests. */
  supersedes: string | null;
  card: { channel: string; ts: string } | null;
  votes: Vote[];
}

/** A click on Approve or Reject, as the Slack handler hands it over. */
export interface VoteRequest {
  approvalId: string;
  voter: string;
  choice: VoteChoice;
  /** The payload hash carried by the button; must equal the approval's. */
  payloadHash: string;
  /** Required for a reject, stored and returned to the model for model runs. */
  reason?: string;
}

/** A pause as far as approvals care: its scope. `ActivePause` from src/control fits. */
export interface PauseScopeLike {
  scopeKind: 'global' | 'channel' | 'action';
  scopeValue: string;
  reason?: string;
}
