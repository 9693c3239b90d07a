import { type AuditLog, createAuditLog } from '../audit/audit-log.ts';
import { listActivePauses } from '../control/active-pauses.ts';
import type { Database, Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import { getApproval } from './approval-rows.ts';
import type { Approval, PauseScopeLike, VoteChoice, VoteRequest } from './approval-types.ts';
import { authorizeVote, type VoteVerdict } from './authorize-vote.ts';
import { correlationOf, voteAuditEntry } from './vote-audit-entry.ts';

export interface CastVoteDeps {
  /** The voter's Slack user groups (ids and/or handles), e.g. from usergroups.list; resolved before locking. */
  resolveGroups: (userId: string) => Promise<readonly string[]>;
  now: Date;
  /** Pauses in force; defaults to the kill switch's table. */
  pauses?: (q: Queryable) => Promise<readonly PauseScopeLike[]>;
  /** Where every click is recorded; defaults to the audit log in `db`. */
  audit?: AuditLog;
}

export type CastVoteResult =
  | { verdict: VoteVerdict; approval: Approval }
  | { verdict: { ok: false; refusal: 'unknown_approval'; reason: string }; approval: null };

/**
 * One click on Approve or Reject. The approval row is locked for the length of the check, so
 * votes on one approval are counted one at a time; the vote's primary key and the conditional
 * decision UPDATE make a second decision impossible even if the lock were bypassed. Every click,
 * counted or refused, is audited in the same transaction (last, to hold the chain's lock briefly).
 */
export async function castVote(db: Database, vote: VoteRequest, deps: CastVoteDeps): Promise<CastVoteResult> {
  const voterGroups = await deps.resolveGroups(vote.voter);
  const pausesOf = deps.pauses ?? listActivePauses;
  const audit = deps.audit ?? createAuditLog(db);
  return db.transaction(async (tx) => {
    const approval = await getApproval(tx, vote.approvalId, { forUpdate: true });
    const record = async <R extends CastVoteResult>(result: R): Promise<R> => {
      await audit.append(
        tx,
        voteAuditEntry(
          result.approval,
          vote,
          result.verdict,
          await correlationOf(tx, approval?.runId ?? null),
        ),
      );
      return result;
    };
    if (!approval) {
      return record({
        verdict: { ok: false, refusal: 'unknown_approval', reason: 'there is no such approval request' },
        approval: null,
      } as const);
    }
    const verdict = authorizeVote(approval, vote, { voterGroups, pauses: await pausesOf(tx) }, deps.now);
    if (!verdict.ok) return record({ verdict, approval });

    const reason = vote.choice === 'reject' ? vote.reason!.trim() : null;
    const inserted = await tx.query(
      `INSERT INTO approval_votes (approval_id, voter, choice, reason, voted_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (approval_id, voter) DO NOTHING`,
      [approval.id, vote.voter, vote.choice, reason, deps.now],
    );
    if (inserted.rowCount !== 1) {
      return record({
        verdict: { ok: false, refusal: 'already_voted', reason: 'you have already voted on this request' },
        approval,
      } as const);
    }
    if (verdict.outcome !== 'recorded') {
      const decided = await tx.query(
        `UPDATE approvals SET status = $2, decided_at = $3, decided_by = $4, rejection_reason = $5
          WHERE id = $1 AND status = 'pending'`,
        [approval.id, verdict.outcome, deps.now, vote.voter, reason],
      );
      // Unreachable while the row lock holds; if it ever is reached, roll the vote back too.
      if (decided.rowCount !== 1)
        throw new SluiceError('conflict', `approval ${approval.id} was decided concurrently`);
    }
    const updated = await getApproval(tx, approval.id);
    return record({ verdict, approval: updated! });
  });
}

/**
 * Audits a click whose button value is not one Sluice made (forged, truncated or altered beyond
 * recognition). Nothing else is recorded: there is no approval to tie it to with confidence.
 */
export async function recordUnreadableVote(
  db: Database,
  click: { voter: string; choice: VoteChoice; value: string },
  deps: { audit?: AuditLog } = {},
): Promise<void> {
  const audit = deps.audit ?? createAuditLog(db);
  const reason = 'the button value is not one Sluice made';
  await audit.record({
    ...voteAuditEntry(
      null,
      { voter: click.voter, choice: click.choice, approvalId: null, payloadHash: null },
      { ok: false, refusal: 'forged_value', reason },
      null,
    ),
    detail: { approvalId: null, choice: click.choice, value: click.value.slice(0, 200) },
  });
}
