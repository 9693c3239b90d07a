import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Approval } from '../../src/approvals/approval-types.ts';
import { castVote, recordUnreadableVote } from '../../src/approvals/cast-vote.ts';
import { createApproval } from '../../src/approvals/create-approval.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import type { Database } from '../../src/db/database.ts';
import { payloadHash } from '../../src/policy/canonical-json.ts';
import { decide } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { databaseTargets } from '../support/test-database.ts';

/**
 * Every click on an approval card is audited, counted or not, in the transaction of the vote:
 * `approval.vote` entries whose decision is the choice counted (approve / reject) or `refused`,
 * with the refusal and the reason the voter was shown.
 */

const demo = parsePolicy(fs.readFileSync('examples/policy.yaml', 'utf8'), 'examples/policy.yaml');
const T0 = new Date('2025-03-05T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const groups: Record<string, string[]> = {
  U_LEAD1: ['ops-leads'],
  U_LEAD2: ['ops-leads'],
  U_ALICE: ['ops-leads'],
};
const resolveGroups = async (user: string) => groups[user] ?? [];

interface VoteEntry {
  actor: string;
  decision: string;
  effect: string | null;
  policy_rule: string | null;
  input_digest: string | null;
  result: { outcome?: string; refusal?: string; reason?: string; approvals?: number };
  detail: { approvalId: string | null; choice: string; reason?: string; value?: string };
}

const restart = (service: string): Proposal => ({
  action: 'http.request',
  params: { endpoint: 'restart-service', params: { service, environment: 'production' } },
  source: 'explicit',
});

for (const target of databaseTargets()) {
  describe(`vote audit (${target.name})`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db.close();
    });

    async function pending(service: string): Promise<Approval> {
      const proposal = restart(service);
      return createApproval(db, {
        proposal,
        decision: decide(proposal, { requester: 'U_ALICE', channel: 'C_OPS' }, demo, T0),
        requester: 'U_ALICE',
        channel: 'C_OPS',
        now: T0,
      });
    }

    const vote = (
      a: Approval,
      voter: string,
      now: Date,
      extra: { choice?: 'approve' | 'reject'; reason?: string; hash?: string } = {},
    ) =>
      castVote(
        db,
        {
          approvalId: a.id,
          voter,
          choice: extra.choice ?? 'approve',
          payloadHash: extra.hash ?? a.payloadHash,
          ...(extra.reason ? { reason: extra.reason } : {}),
        },
        { resolveGroups, now },
      );

    const entries = async (approvalId: string | null) =>
      (
        await db.query<VoteEntry>(
          `SELECT actor, decision, effect, policy_rule, input_digest, result, detail FROM audit_log
            WHERE kind = 'approval.vote' AND detail->>'approvalId' IS NOT DISTINCT FROM $1 ORDER BY seq`,
          [approvalId],
        )
      ).rows;

    it('audits approvals as they are counted and the one that reaches the quorum', async () => {
      const a = await pending('approve');
      await vote(a, 'U_LEAD1', at(1));
      await vote(a, 'U_LEAD2', at(2));
      const logged = await entries(a.id);
      assert.deepEqual(
        logged.map((e) => [e.actor, e.decision, e.result.outcome]),
        [
          ['U_LEAD1', 'approve', 'recorded'],
          ['U_LEAD2', 'approve', 'approved'],
        ],
      );
      assert.equal(logged[0]!.effect, 'http.request');
      assert.equal(logged[0]!.policy_rule, 'production-two-ops-leads');
      assert.equal(logged[0]!.input_digest, a.payloadHash);
    });

    it('audits a rejection with its reason', async () => {
      const a = await pending('reject');
      await vote(a, 'U_LEAD1', at(1), { choice: 'reject', reason: '  not during the freeze ' });
      const [entry] = await entries(a.id);
      assert.equal(entry?.decision, 'reject');
      assert.equal(entry?.result.outcome, 'rejected');
      assert.equal(entry?.detail.reason, 'not during the freeze');
    });

    it('audits every refused click with the refusal and the reason shown', async () => {
      const a = await pending('refusals');
      const otherParams = payloadHash('http.request', restart('something-else').params);
      await vote(a, 'U_DEV', at(1));
      await vote(a, 'U_ALICE', at(1));
      await vote(a, 'U_LEAD1', at(1), { hash: 'f'.repeat(64) });
      await vote(a, 'U_LEAD1', at(1), { hash: otherParams });
      await vote(a, 'U_LEAD1', at(1), { choice: 'reject' });
      await db.query(
        `INSERT INTO pauses (scope_kind, scope_value, reason, paused_by) VALUES ('action', 'http.request', 'incident', 'U_OPS')`,
      );
      try {
        await vote(a, 'U_LEAD1', at(2));
      } finally {
        await db.query(`DELETE FROM pauses WHERE scope_kind = 'action' AND scope_value = 'http.request'`);
      }
      await vote(a, 'U_LEAD1', at(31));
      const logged = await entries(a.id);
      assert.deepEqual(
        logged.map((e) => [e.actor, e.decision, e.detail.choice, e.result.refusal]),
        [
          ['U_DEV', 'refused', 'approve', 'not_approver'],
          ['U_ALICE', 'refused', 'approve', 'requester_forbidden'],
          ['U_LEAD1', 'refused', 'approve', 'payload_mismatch'],
          ['U_LEAD1', 'refused', 'approve', 'payload_mismatch'],
          ['U_LEAD1', 'refused', 'reject', 'reason_required'],
          ['U_LEAD1', 'refused', 'approve', 'paused'],
          ['U_LEAD1', 'refused', 'approve', 'expired'],
        ],
      );
      assert.equal(logged[3]!.input_digest, otherParams, 'the hash the button claimed is kept');
      assert.match(logged[5]!.result.reason ?? '', /paused/);
      for (const e of logged) assert.ok(e.result.reason, 'each refusal keeps the reason shown');
    });

    it('audits a vote on an approval that does not exist, and an unreadable button', async () => {
      await castVote(
        db,
        { approvalId: 'no-such-approval', voter: 'U_LEAD1', choice: 'approve', payloadHash: 'a'.repeat(64) },
        { resolveGroups, now: at(1) },
      );
      const [unknown] = await entries('no-such-approval');
      assert.equal(unknown?.result.refusal, 'unknown_approval');
      await recordUnreadableVote(db, { voter: 'U_MALLORY', choice: 'approve', value: 'v1:forged' });
      const forged = (await entries(null)).at(-1);
      assert.equal(forged?.actor, 'U_MALLORY');
      assert.equal(forged?.decision, 'refused');
      assert.equal(forged?.result.refusal, 'forged_value');
      assert.equal(forged?.detail.value, 'v1:forged');
    });

    it('keeps the audit chain intact', async () => {
      assert.equal((await verifyAuditChain(db)).ok, true);
    });
  });
}
