import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createActionRegistry } from '../../src/actions/action-registry.ts';
import { defineAction, runStepKey } from '../../src/actions/define-action.ts';
import { executeAction } from '../../src/actions/execute-action.ts';
import { getApproval } from '../../src/approvals/approval-rows.ts';
import type { Approval } from '../../src/approvals/approval-types.ts';
import { decodeApprovalButtonValue, encodeApprovalButtonValue } from '../../src/approvals/button-value.ts';
import { castVote } from '../../src/approvals/cast-vote.ts';
import { createApproval } from '../../src/approvals/create-approval.ts';
import { dueForWarning, expireDue } from '../../src/approvals/expire-approvals.ts';
import { reRequestApproval } from '../../src/approvals/re-request-approval.ts';
import type { Database } from '../../src/db/database.ts';
import { isSluiceError } from '../../src/errors.ts';
import { payloadHash } from '../../src/policy/canonical-json.ts';
import { decide } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { createMemoryEffectLedger } from '../actions/support/memory-effect-ledger.ts';
import { databaseTargets } from '../support/test-database.ts';

/**
 * The approval matrix of issue 5, against the real tables: every click goes through castVote
 * (row lock, unique vote, conditional decision) on each database target.
 */

const demo = parsePolicy(fs.readFileSync('examples/policy.yaml', 'utf8'), 'examples/policy.yaml');
const T0 = new Date('2025-03-05T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const groups: Record<string, string[]> = {
  U_LEAD1: ['ops-leads'],
  U_LEAD2: ['ops-leads'],
  U_LEAD3: ['ops-leads', 'sre'],
  U_ALICE: ['ops-leads'],
  U_DEV: ['devs'],
};
const resolveGroups = async (user: string) => groups[user] ?? [];

const restart = (environment: string, service = 'payments-worker'): Proposal => ({
  action: 'http.request',
  params: { endpoint: 'restart-service', params: { service, environment } },
  source: 'model',
});

for (const target of databaseTargets()) {
  describe(`approval matrix (${target.name})`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db.close();
    });

    /** A pending approval for a production restart as the demo policy escalates it (2 of ops-leads, 30 min). */
    async function pending(service = 'payments-worker', now = T0): Promise<Approval> {
      const proposal = restart('production', service);
      const decision = decide(proposal, { requester: 'U_ALICE', channel: 'C_OPS' }, demo, now);
      assert.equal(decision.decision, 'escalate');
      return createApproval(db, {
        proposal,
        decision,
        requester: 'U_ALICE',
        channel: 'C_OPS',
        runId: null,
        now,
      });
    }

    /** One click, as the Slack handler would pass it on: the decoded button value plus who clicked. */
    function click(
      a: Approval,
      voter: string,
      now: Date,
      extra: { choice?: 'approve' | 'reject'; reason?: string; value?: string } = {},
    ) {
      const value = decodeApprovalButtonValue(
        extra.value ?? encodeApprovalButtonValue({ approvalId: a.id, payloadHash: a.payloadHash }),
      );
      assert.ok(value, 'the button value must decode');
      return castVote(
        db,
        {
          approvalId: value.approvalId,
          voter,
          choice: extra.choice ?? 'approve',
          payloadHash: value.payloadHash,
          reason: extra.reason,
        },
        { resolveGroups, now },
      );
    }

    it('pins the exact payload and the policy on the approval', async () => {
      const a = await pending();
      assert.equal(a.payloadHash, payloadHash('http.request', restart('production').params));
      assert.equal(a.status, 'pending');
      assert.equal(a.quorum, 2);
      assert.deepEqual(a.approvers, { users: [], groups: ['ops-leads'] });
      assert.equal(a.ruleId, 'production-two-ops-leads');
      assert.equal(a.policyHash, demo.hash);
      assert.equal(a.expiresAt.toISOString(), at(30).toISOString());
    });

    it('allowed approver: the vote is recorded and the request waits for the quorum', async () => {
      const a = await pending();
      const r = await click(a, 'U_LEAD1', at(1));
      assert.deepEqual(r.verdict, { ok: true, outcome: 'recorded', approvals: 1, quorum: 2 });
      assert.equal(r.approval?.status, 'pending');
      assert.deepEqual(
        r.approval?.votes.map((v) => v.voter),
        ['U_LEAD1'],
      );
    });

    it('non-approver: refused and nothing stored', async () => {
      const a = await pending();
      const r = await click(a, 'U_DEV', at(1));
      assert.equal(r.verdict.ok ? '' : r.verdict.refusal, 'not_approver');
      assert.deepEqual((await getApproval(db, a.id))?.votes, []);
    });

    it('requester approving their own request where the rule forbids it: refused', async () => {
      const a = await pending();
      const r = await click(a, 'U_ALICE', at(1));
      assert.equal(r.verdict.ok ? '' : r.verdict.refusal, 'requester_forbidden');
      assert.deepEqual((await getApproval(db, a.id))?.votes, []);
    });

    it('forged or altered button value: refused, whether the hash or the id is wrong', async () => {
      const a = await pending();
      const altered = encodeApprovalButtonValue({
        approvalId: a.id,
        payloadHash: payloadHash('http.request', restart('staging').params),
      });
      const r = await click(a, 'U_LEAD1', at(1), { value: altered });
      assert.equal(r.verdict.ok ? '' : r.verdict.refusal, 'payload_mismatch');
      const unknown = encodeApprovalButtonValue({
        approvalId: 'no-such-approval',
        payloadHash: a.payloadHash,
      });
      const u = await click(a, 'U_LEAD1', at(1), { value: unknown });
      assert.equal(u.verdict.ok ? '' : u.verdict.refusal, 'unknown_approval');
      assert.equal(
        decodeApprovalButtonValue(
          `${encodeApprovalButtonValue({ approvalId: a.id, payloadHash: a.payloadHash })}x`,
        ),
        undefined,
      );
      assert.deepEqual((await getApproval(db, a.id))?.votes, []);
    });

    it('two clicks 50 ms apart by two approvers of a quorum-1 request: exactly one decision', async () => {
      const proposal = restart('production', 'solo');
      const decision = decide(proposal, { requester: 'U_ALICE', channel: 'C_OPS' }, demo, T0);
      assert.ok(decision.approval);
      decision.approval.quorum = 1;
      const a = await createApproval(db, {
        proposal,
        decision,
        requester: 'U_ALICE',
        channel: 'C_OPS',
        now: T0,
      });
      const first = click(a, 'U_LEAD1', at(1));
      await sleep(50);
      const second = click(a, 'U_LEAD2', at(1));
      const results = await Promise.all([first, second]);
      const decided = results.filter((r) => r.verdict.ok && r.verdict.outcome === 'approved');
      assert.equal(decided.length, 1);
      const refused = results.filter((r) => !r.verdict.ok);
      assert.equal(refused.length, 1);
      const refusal = refused[0]!.verdict;
      assert.equal(refusal.ok ? '' : refusal.refusal, 'not_pending');
      const final = await getApproval(db, a.id);
      assert.equal(final?.status, 'approved');
      assert.equal(final?.votes.length, 1);
    });

    it('two clicks 50 ms apart (and at once) by the same approver: one vote', async () => {
      const a = await pending('double-click');
      const first = click(a, 'U_LEAD1', at(1));
      await sleep(50);
      const results = await Promise.all([first, click(a, 'U_LEAD1', at(1)), click(a, 'U_LEAD1', at(1))]);
      assert.equal(results.filter((r) => r.verdict.ok).length, 1);
      assert.deepEqual(
        results.filter((r) => !r.verdict.ok).map((r) => (r.verdict.ok ? '' : r.verdict.refusal)),
        ['already_voted', 'already_voted'],
      );
      assert.equal((await getApproval(db, a.id))?.votes.length, 1);
    });

    it('simultaneous last clicks on a 2-of-3 request decide it once', async () => {
      const a = await pending('race');
      await click(a, 'U_LEAD1', at(1));
      const results = await Promise.all([click(a, 'U_LEAD2', at(2)), click(a, 'U_LEAD3', at(2))]);
      assert.equal(results.filter((r) => r.verdict.ok && r.verdict.outcome === 'approved').length, 1);
      const final = await getApproval(db, a.id);
      assert.equal(final?.status, 'approved');
      assert.equal(final?.votes.filter((v) => v.choice === 'approve').length, 2);
    });

    it('click after expiry: refused; expireDue expires it once and returns it to tell the requester', async () => {
      const a = await pending('late');
      const r = await click(a, 'U_LEAD1', at(31));
      assert.equal(r.verdict.ok ? '' : r.verdict.refusal, 'expired');
      const expired = await expireDue(db, at(31));
      assert.ok(expired.some((e) => e.id === a.id && e.status === 'expired' && e.requester === 'U_ALICE'));
      assert.ok(!(await expireDue(db, at(32))).some((e) => e.id === a.id), 'expires only once');
      const after = await click(a, 'U_LEAD1', at(32));
      assert.equal(after.verdict.ok ? '' : after.verdict.refusal, 'expired');
    });

    it('click while paused: approving is refused, rejecting still works', async () => {
      const a = await pending('paused');
      await db.query(
        `INSERT INTO pauses (scope_kind, scope_value, reason, paused_by) VALUES ('action', 'http.request', 'incident', 'U_OPS')`,
      );
      try {
        const r = await click(a, 'U_LEAD1', at(1));
        assert.equal(r.verdict.ok ? '' : r.verdict.refusal, 'paused');
        assert.match(r.verdict.ok ? '' : r.verdict.reason, /action:http.request: incident/);
        const reject = await click(a, 'U_LEAD2', at(1), {
          choice: 'reject',
          reason: 'not during an incident',
        });
        assert.equal(reject.verdict.ok && reject.verdict.outcome, 'rejected');
      } finally {
        await db.query(`UPDATE pauses SET resumed_at = now(), resumed_by = 'U_OPS' WHERE resumed_at IS NULL`);
      }
    });

    it('a rejection stores its reason and who rejected; a reject without a reason is refused', async () => {
      const a = await pending('rejected');
      const noReason = await click(a, 'U_LEAD1', at(1), { choice: 'reject' });
      assert.equal(noReason.verdict.ok ? '' : noReason.verdict.refusal, 'reason_required');
      const r = await click(a, 'U_LEAD1', at(1), { choice: 'reject', reason: '  wrong service  ' });
      assert.equal(r.approval?.status, 'rejected');
      assert.equal(r.approval?.rejectionReason, 'wrong service');
      assert.equal(r.approval?.decidedBy, 'U_LEAD1');
      assert.deepEqual(
        r.approval?.votes.map((v) => [v.voter, v.choice, v.reason]),
        [['U_LEAD1', 'reject', 'wrong service']],
      );
    });

    it('2-of-3 quorum with parameters changed after approval: the changed payload never runs', async () => {
      const proposal: Proposal = { action: 'ops.restart', params: { service: 'api' }, source: 'explicit' };
      const decision = decide(
        proposal,
        { requester: 'U_ALICE', channel: 'C_OPS' },
        parsePolicy(
          `version: 1
rules:
  - id: three-named
    decision: escalate
    escalation: { approvers: { users: [U_A, U_B, U_C] }, quorum: 2 }
`,
          'quorum.yaml',
        ),
        T0,
      );
      const a = await createApproval(db, {
        proposal,
        decision,
        requester: 'U_ALICE',
        channel: 'C_OPS',
        now: T0,
      });
      const one = await click(a, 'U_A', at(1));
      assert.deepEqual(one.verdict, { ok: true, outcome: 'recorded', approvals: 1, quorum: 2 });
      const two = await click(a, 'U_B', at(2));
      assert.deepEqual(two.verdict, { ok: true, outcome: 'approved', approvals: 2, quorum: 2 });
      const three = await click(a, 'U_C', at(3));
      assert.equal(three.verdict.ok ? '' : three.verdict.refusal, 'not_pending');

      const ran: string[] = [];
      const registry = createActionRegistry([
        defineAction({
          name: 'ops.restart',
          description: 'Restart',
          input: z.strictObject({ service: z.string() }),
          risk: 'high',
          idempotencyKey: runStepKey,
          async execute(input) {
            ran.push(input.service);
            return { ok: true, summary: `restarted ${input.service}` };
          },
        }),
      ]);
      const approved = (await getApproval(db, a.id))!;
      const deps = { registry, ledger: createMemoryEffectLedger() };
      const context = { runId: 'r', step: 'effect:1', requester: 'U_ALICE', channel: 'C_OPS' };
      await assert.rejects(
        executeAction(
          {
            proposal: { ...proposal, params: { service: 'database' } },
            authorization: { kind: 'approval', approval: approved },
            context,
          },
          deps,
        ),
        (e: unknown) => isSluiceError(e) && e.code === 'forbidden' && /parameters differ/.test(e.message),
      );
      assert.deepEqual(ran, []);
      const outcome = await executeAction(
        { proposal, authorization: { kind: 'approval', approval: approved }, context },
        deps,
      );
      assert.equal(outcome.status, 'executed');
      assert.deepEqual(ran, ['api']);
    });

    it('warns once before expiry', async () => {
      const a = await pending('warned');
      assert.ok(!(await dueForWarning(db, at(24))).some((w) => w.id === a.id));
      const due = await dueForWarning(db, at(25));
      assert.ok(due.some((w) => w.id === a.id && w.warnedAt?.toISOString() === at(25).toISOString()));
      assert.ok(!(await dueForWarning(db, at(26))).some((w) => w.id === a.id), 'warned only once');
    });

    it('re-request makes one fresh approval from an expired one, for the requester only', async () => {
      const a = await pending('again');
      await expireDue(db, at(40));
      await assert.rejects(
        reRequestApproval(db, { approvalId: a.id, requester: 'U_DEV', now: at(41) }),
        /only the person who asked/,
      );
      const first = await reRequestApproval(db, { approvalId: a.id, requester: 'U_ALICE', now: at(41) });
      assert.equal(first.created, true);
      assert.equal(first.approval.status, 'pending');
      assert.equal(first.approval.supersedes, a.id);
      assert.equal(first.approval.payloadHash, a.payloadHash);
      assert.equal(first.approval.expiresAt.toISOString(), at(71).toISOString());
      const again = await reRequestApproval(db, { approvalId: a.id, requester: 'U_ALICE', now: at(42) });
      assert.equal(again.created, false);
      assert.equal(again.approval.id, first.approval.id);
      const fresh = await click(first.approval, 'U_LEAD1', at(45));
      assert.equal(fresh.verdict.ok, true);
      await assert.rejects(
        reRequestApproval(db, { approvalId: first.approval.id, requester: 'U_ALICE', now: at(46) }),
        /only an expired request/,
      );
    });

    it('re-request applies the current policy when given its decision', async () => {
      const a = await pending('policy-changed');
      await expireDue(db, at(40));
      const denyAll = parsePolicy(
        'version: 1\nrules:\n  - id: freeze\n    decision: deny\n    reason: change freeze\n',
        'freeze.yaml',
      );
      const decision = decide(
        restart('production', 'policy-changed'),
        { requester: 'U_ALICE', channel: 'C_OPS' },
        denyAll,
        at(41),
      );
      await assert.rejects(
        reRequestApproval(db, { approvalId: a.id, requester: 'U_ALICE', now: at(41), decision }),
        (e: unknown) =>
          isSluiceError(e) && /the policy now decides deny for this request: change freeze/.test(e.message),
      );
    });

    it('the tables themselves refuse a second vote and a second decision', async () => {
      const a = await pending('constraints');
      await db.query(
        `INSERT INTO approval_votes (approval_id, voter, choice, voted_at) VALUES ($1, 'U_LEAD1', 'approve', now())`,
        [a.id],
      );
      await assert.rejects(
        db.query(
          `INSERT INTO approval_votes (approval_id, voter, choice, voted_at) VALUES ($1, 'U_LEAD1', 'approve', now())`,
          [a.id],
        ),
      );
      const decideOnce = () =>
        db.query(
          `UPDATE approvals SET status = 'approved', decided_at = now(), decided_by = 'x' WHERE id = $1 AND status = 'pending'`,
          [a.id],
        );
      assert.equal((await decideOnce()).rowCount, 1);
      assert.equal((await decideOnce()).rowCount, 0);
      await assert.rejects(
        db.query(
          `INSERT INTO approval_votes (approval_id, voter, choice, voted_at) VALUES ($1, 'U_LEAD2', 'reject', now())`,
          [a.id],
        ),
        'a reject without a reason is refused by the table',
      );
    });
  });
}
