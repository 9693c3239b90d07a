import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { payloadHash } from '../policy/canonical-json.ts';
import type { Decision } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';
import { type ApprovalRow, toApproval } from './approval-rows.ts';
import type { Approval } from './approval-types.ts';

export interface NewApproval {
  proposal: Proposal;
  /** The policy's escalate decision for exactly this proposal. */
  decision: Decision;
  requester: string;
  channel: string;
  runId?: string | null;
  now: Date;
  /** The expired approval this one re-requests. */
  supersedes?: string | null;
}

/**
 * Records a pending approval for an escalated proposal. Run it in the transaction that moves the
 * run to awaiting_approval, so the two commit together. The payload is pinned by its hash.
 */
export async function createApproval(db: Queryable, input: NewApproval): Promise<Approval> {
  const { proposal, decision } = input;
  const requirement = decision.approval;
  if (decision.decision !== 'escalate' || !requirement || !decision.ruleId) {
    throw new SluiceError(
      'invalid_input',
      `an approval needs an escalate decision, not ${decision.decision}`,
    );
  }
  const hash = payloadHash(proposal.action, proposal.params);
  if (hash !== decision.payloadHash) {
    throw new SluiceError(
      'invalid_input',
      'the decision was made on different parameters than this proposal',
    );
  }
  const expiresAt = new Date(requirement.expiresAt);
  if (expiresAt.getTime() <= input.now.getTime()) {
    throw new SluiceError('invalid_input', 'the approval would already be expired');
  }
  const { rows } = await db.query<ApprovalRow>(
    `INSERT INTO approvals (id, run_id, action, params, source, payload_hash, requester, channel, rule_id,
        policy_hash, reason, approver_users, approver_groups, quorum, requester_can_approve, status,
        created_at, expires_at, warn_at, supersedes)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12::text[], $13::text[], $14, $15, 'pending',
        $16, $17, $18, $19)
     RETURNING *`,
    [
      randomUUID(),
      input.runId ?? null,
      proposal.action,
      JSON.stringify(proposal.params),
      proposal.source,
      hash,
      input.requester,
      input.channel,
      decision.ruleId,
      decision.policyHash,
      decision.reason,
      requirement.approvers.users,
      requirement.approvers.groups,
      requirement.quorum,
      requirement.requesterCanApprove,
      input.now,
      expiresAt,
      new Date(Math.max(input.now.getTime(), new Date(requirement.warnAt).getTime())),
      input.supersedes ?? null,
    ],
  );
  return toApproval(rows[0]!, []);
}

/** Remembers where the approval card was posted, so it can be updated in place. */
export async function attachApprovalCard(
  db: Queryable,
  id: string,
  card: { channel: string; ts: string },
): Promise<void> {
  await db.query('UPDATE approvals SET card_channel = $2, card_ts = $3 WHERE id = $1', [
    id,
    card.channel,
    card.ts,
  ]);
}
