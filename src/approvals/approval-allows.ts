import { payloadHash } from '../policy/canonical-json.ts';
import type { Approval } from './approval-types.ts';

/**
 * Whether an approval lets this exact payload run. Checked again right before execution, so
 * parameters changed after approval, a half-approved request, or an approval for another
 * action are refused even if the caller got its state wrong. Undefined means allowed.
 */
export function approvalRefusal(
  approval: Approval,
  action: string,
  params: Record<string, unknown>,
): string | undefined {
  if (approval.status !== 'approved') return `approval ${approval.id} is ${approval.status}, not approved`;
  if (approval.action !== action) return `approval ${approval.id} is for ${approval.action}, not ${action}`;
  if (payloadHash(action, params) !== approval.payloadHash) {
    return `the parameters differ from what approval ${approval.id} approved; ask for approval again`;
  }
  const approvers = new Set(
    approval.votes
      .filter(
        (v) => v.choice === 'approve' && (approval.requesterCanApprove || v.voter !== approval.requester),
      )
      .map((v) => v.voter),
  );
  if (approvers.size < approval.quorum) {
    return `approval ${approval.id} has ${approvers.size} of the ${approval.quorum} approvals it needs`;
  }
  if (approval.votes.some((v) => v.choice === 'reject')) return `approval ${approval.id} was rejected`;
  return undefined;
}
