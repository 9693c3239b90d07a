import type { Queryable } from '../db/database.ts';
import type { ProposalSource } from '../policy/proposal.ts';
import type { Approval, ApprovalStatus, Vote, VoteChoice } from './approval-types.ts';

/** Row shapes of `approvals` and `approval_votes` (migration 0040) and their mapping. */

export interface ApprovalRow {
  id: string;
  run_id: string | null;
  action: string;
  params: Record<string, unknown>;
  source: ProposalSource;
  payload_hash: string;
  requester: string;
  channel: string;
  rule_id: string;
  policy_hash: string;
  reason: string;
  approver_users: string[];
  approver_groups: string[];
  quorum: number;
  requester_can_approve: boolean;
  status: ApprovalStatus;
  created_at: Date;
  expires_at: Date;
  warn_at: Date;
  warned_at: Date | null;
  decided_at: Date | null;
  decided_by: string | null;
  rejection_reason: string | null;
  supersedes: string | null;
  card_channel: string | null;
  card_ts: string | null;
}

interface VoteRow {
  approval_id: string;
  voter: string;
  choice: VoteChoice;
  reason: string | null;
  voted_at: Date;
}

export function toApproval(row: ApprovalRow, votes: Vote[]): Approval {
  return {
    id: row.id,
    runId: row.run_id,
    action: row.action,
    params: typeof row.params === 'string' ? JSON.parse(row.params) : row.params,
    source: row.source,
    payloadHash: row.payload_hash,
    requester: row.requester,
    channel: row.channel,
    ruleId: row.rule_id,
    policyHash: row.policy_hash,
    reason: row.reason,
    approvers: { users: row.approver_users, groups: row.approver_groups },
    quorum: Number(row.quorum),
    requesterCanApprove: row.requester_can_approve,
    status: row.status,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    warnAt: new Date(row.warn_at),
    warnedAt: row.warned_at ? new Date(row.warned_at) : null,
    decidedAt: row.decided_at ? new Date(row.decided_at) : null,
    decidedBy: row.decided_by,
    rejectionReason: row.rejection_reason,
    supersedes: row.supersedes,
    card: row.card_channel && row.card_ts ? { channel: row.card_channel, ts: row.card_ts } : null,
    votes,
  };
}

/** Loads the votes of the given approvals, grouped by approval id, in voting order. */
export async function loadVotes(db: Queryable, ids: readonly string[]): Promise<Map<string, Vote[]>> {
  const byId = new Map<string, Vote[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byId;
  const { rows } = await db.query<VoteRow>(
    `SELECT approval_id, voter, choice, reason, voted_at FROM approval_votes
      WHERE approval_id = ANY($1::text[]) ORDER BY voted_at, voter`,
    [ids],
  );
  for (const r of rows) {
    byId
      .get(r.approval_id)
      ?.push({ voter: r.voter, choice: r.choice, reason: r.reason, at: new Date(r.voted_at) });
  }
  return byId;
}

/** Maps rows returned by a statement to approvals, votes included. */
export async function withVotes(db: Queryable, rows: readonly ApprovalRow[]): Promise<Approval[]> {
  const votes = await loadVotes(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toApproval(r, votes.get(r.id) ?? []));
}

export async function getApproval(
  db: Queryable,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<Approval | null> {
  const { rows } = await db.query<ApprovalRow>(
    `SELECT * FROM approvals WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  if (!rows[0]) return null;
  const [approval] = await withVotes(db, rows);
  return approval ?? null;
}
