import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { expireWaitingRun } from '../../src/agent/resolve-approval.ts';
import { getApproval } from '../../src/approvals/approval-rows.ts';
import type { Approval } from '../../src/approvals/approval-types.ts';
import { castVote } from '../../src/approvals/cast-vote.ts';
import { createApproval } from '../../src/approvals/create-approval.ts';
import { startApprovalSweeper } from '../../src/approvals/start-approval-sweeper.ts';
import { type ApprovalSweepDeps, sweepApprovals } from '../../src/approvals/sweep-approvals.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import type { Database } from '../../src/db/database.ts';
import { enqueueOutbox } from '../../src/outbox/outbox-message.ts';
import { decide } from '../../src/policy/decide.ts';
import { parsePolicy } from '../../src/policy/parse-policy.ts';
import type { Proposal } from '../../src/policy/proposal.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

/**
 * The approval clock against the real tables: expiry happens once (even with sweepers racing),
 * the card is updated to say so, the waiting run ends and its requester is told in the card's
 * thread; the reminder before expiry is posted once, to the approvers who have not voted.
 */

const demo = parsePolicy(fs.readFileSync('examples/policy.yaml', 'utf8'), 'examples/policy.yaml');
const CHANNEL = 'C_OPS';
const CARD_TS = '1741168800.000100';
const groups: Record<string, string[]> = {
  U_LEAD1: ['ops-leads'],
  U_LEAD2: ['ops-leads'],
  U_ALICE: ['ops-leads'],
};
const resolveGroups = async (user: string) => groups[user] ?? [];
const listGroups = async () => [
  { id: 'S_OPSLEADS', handle: 'ops-leads', users: ['U_ALICE', 'U_LEAD1', 'U_LEAD2', 'U_LEAD3'] },
];

for (const target of databaseTargets()) {
  describe(`approval sweeper (${target.name})`, () => {
    let db: Database;
    // Each test starts a day after the previous one; what a test leaves pending expires in the next.
    let base = Date.parse('2025-03-05T10:00:00Z');
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db.close();
    });

    const deps = (): ApprovalSweepDeps => ({
      db,
      audit: createAuditLog(db),
      renderCard: (a) => ({ text: `card ${a.id}: ${a.status}` }),
      endRun: (tx, a, threadTs) =>
        expireWaitingRun(tx, createAuditLog(db), a.runId, { approvalId: a.id, threadTs }),
      listGroups,
    });

    /** A run waiting on a 2-of-ops-leads approval, its card delivered in the channel at CARD_TS. */
    async function waitingRun(t0: Date, service = 'payments-worker', withCard = true): Promise<Approval> {
      const runId = randomUUID();
      const proposal: Proposal = {
        action: 'http.request',
        params: { endpoint: 'restart-service', params: { service, environment: 'production' } },
        source: 'explicit',
      };
      await db.query(
        `INSERT INTO runs (id, correlation_id, origin, channel_id, user_id, text, state, decision, context, created_at, updated_at)
         VALUES ($1, $2, 'command:do', $3, 'U_ALICE', 'do it', 'awaiting_approval', 'escalate', $4::jsonb, $5, $5)`,
        [runId, randomUUID(), CHANNEL, JSON.stringify({ proposal }), t0],
      );
      const decision = decide(proposal, { requester: 'U_ALICE', channel: CHANNEL }, demo, t0);
      const approval = await createApproval(db, {
        proposal,
        decision,
        requester: 'U_ALICE',
        channel: CHANNEL,
        runId,
        now: t0,
      });
      if (!withCard) return approval;
      await enqueueOutbox(db, {
        operation: 'post',
        key: `${runId}:approval-card`,
        runId,
        step: 'approval-card',
        channelId: CHANNEL,
        text: 'Approval needed',
      });
      await db.query(`UPDATE outbox_messages SET state = 'sent', slack_ts = $2 WHERE key = $1`, [
        `${runId}:approval-card`,
        `${CARD_TS}${runId.slice(0, 4)}`,
      ]);
      return approval;
    }

    function clock() {
      base += 24 * 3600_000;
      const t0 = new Date(base);
      return { t0, at: (minutes: number) => new Date(t0.getTime() + minutes * 60_000) };
    }

    const outbox = async (runId: string) =>
      (
        await db.query<{
          key: string;
          operation: string;
          target_key: string | null;
          thread_ts: string | null;
          payload: { text: string };
        }>(
          'SELECT key, operation, target_key, thread_ts, payload FROM outbox_messages WHERE run_id = $1 ORDER BY id',
          [runId],
        )
      ).rows;
    const audit = async (kind: string, runId: string) =>
      (
        await db.query<{ actor: string; decision: string | null; detail: Record<string, unknown> }>(
          'SELECT actor, decision, detail FROM audit_log WHERE kind = $1 AND run_id = $2 ORDER BY seq',
          [kind, runId],
        )
      ).rows;

    it('expires a due approval once: card says expired, the run ends, the requester is told in the card thread', async () => {
      const { t0, at } = clock();
      const a = await waitingRun(t0);
      const runId = a.runId!;
      assert.equal((await sweepApprovals(deps(), at(29))).expired.length, 0, 'not due before its time');

      const first = await sweepApprovals(deps(), at(30));
      assert.deepEqual(
        first.expired.map((e) => e.id),
        [a.id],
      );
      assert.equal((await sweepApprovals(deps(), at(31))).expired.length, 0, 'expires only once');
      assert.equal((await getApproval(db, a.id))?.status, 'expired');

      const run = (
        await db.query<{ state: string; outcome: string; finished_at: Date | null }>(
          'SELECT state, outcome, finished_at FROM runs WHERE id = $1',
          [runId],
        )
      ).rows[0]!;
      assert.equal(run.state, 'cancelled');
      assert.equal(run.outcome, 'expired');
      assert.ok(run.finished_at, 'the run is finished');

      const messages = await outbox(runId);
      const update = messages.filter((m) => m.operation === 'update');
      assert.equal(update.length, 1);
      assert.equal(update[0]!.target_key, `${runId}:approval-card`);
      assert.match(update[0]!.payload.text, /expired/);
      const told = messages.filter((m) => m.key === `${runId}:expired`);
      assert.equal(told.length, 1);
      assert.match(told[0]!.payload.text, /expired without a decision.*Requested by <@U_ALICE>/);
      assert.equal(told[0]!.thread_ts, `${CARD_TS}${runId.slice(0, 4)}`, 'told in the card thread');

      const expiredEntries = await audit('approval.expired', runId);
      assert.equal(expiredEntries.length, 1);
      assert.equal(expiredEntries[0]!.decision, 'expired');
      assert.equal(expiredEntries[0]!.detail.approvalId, a.id);
      assert.equal((await audit('run.cancelled', runId)).length, 1);

      const late = await castVote(
        db,
        { approvalId: a.id, voter: 'U_LEAD1', choice: 'approve', payloadHash: a.payloadHash },
        { resolveGroups, now: at(32) },
      );
      assert.equal(late.verdict.ok ? '' : late.verdict.refusal, 'expired');
      assert.match(late.verdict.ok ? '' : late.verdict.reason, /expired at .* without a decision/);
      const votes = await audit('approval.vote', runId);
      assert.equal(votes.at(-1)?.decision, 'refused');
      assert.equal((await verifyAuditChain(db)).ok, true);
    });

    it('two sweepers racing expire each approval exactly once', async () => {
      const { t0, at } = clock();
      const approvals = await Promise.all(
        Array.from({ length: 8 }, (_, i) => waitingRun(new Date(t0.getTime() + i), `race-${i}`)),
      );
      const [one, two] = await Promise.all([sweepApprovals(deps(), at(45)), sweepApprovals(deps(), at(45))]);
      const ids = [...one.expired, ...two.expired].map((a) => a.id);
      assert.equal(ids.length, approvals.length, 'every approval expired, none twice');
      assert.deepEqual(new Set(ids), new Set(approvals.map((a) => a.id)));
      for (const a of approvals) {
        const runId = a.runId!;
        assert.equal((await audit('approval.expired', runId)).length, 1);
        assert.equal((await audit('run.cancelled', runId)).length, 1);
        const messages = await outbox(runId);
        assert.equal(messages.filter((m) => m.operation === 'update').length, 1);
        assert.equal(messages.filter((m) => m.key === `${runId}:expired`).length, 1);
      }
      assert.equal((await verifyAuditChain(db)).ok, true);
    });

    it('skips an approval whose row another transaction holds, and expires it on the next pass', async (t) => {
      if (target.name !== 'server') return t.skip('one session: a held transaction would block the sweep');
      const { t0, at } = clock();
      const a = await waitingRun(t0);
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      // A vote being counted holds the row until it commits.
      const holder = db.transaction(async (tx) => {
        await tx.query('SELECT id FROM approvals WHERE id = $1 FOR UPDATE', [a.id]);
        locked();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      });
      await isLocked;
      try {
        const swept = await sweepApprovals(deps(), at(30));
        assert.ok(!swept.expired.some((e) => e.id === a.id), 'a held row is skipped, not waited for');
      } finally {
        release();
        await holder;
      }
      const next = await sweepApprovals(deps(), at(30));
      assert.ok(next.expired.some((e) => e.id === a.id));
    });

    it('reminds the approvers who have not voted, once, in the card thread', async () => {
      const { t0, at } = clock();
      const a = await waitingRun(t0);
      const runId = a.runId!;
      await castVote(
        db,
        { approvalId: a.id, voter: 'U_LEAD1', choice: 'approve', payloadHash: a.payloadHash },
        { resolveGroups, now: at(1) },
      );
      // The demo policy warns 5 minutes before its 30-minute expiry.
      assert.equal((await sweepApprovals(deps(), at(24))).reminded.length, 0, 'not before warn time');
      const [one, two] = await Promise.all([sweepApprovals(deps(), at(25)), sweepApprovals(deps(), at(25))]);
      assert.equal(one.reminded.length + two.reminded.length, 1);
      assert.equal((await sweepApprovals(deps(), at(26))).reminded.length, 0);

      const reminders = (await outbox(runId)).filter((m) => m.key.includes('approval-reminder'));
      assert.equal(reminders.length, 1);
      const text = reminders[0]!.payload.text;
      assert.equal(reminders[0]!.thread_ts, `${CARD_TS}${runId.slice(0, 4)}`);
      assert.match(text, /needs 1 more approval \(1 of 2 so far\)/);
      assert.match(text, /<@U_LEAD2>/);
      assert.match(text, /<@U_LEAD3>/);
      assert.doesNotMatch(text, /U_LEAD1/, 'who voted is not reminded');
      assert.doesNotMatch(text, /U_ALICE/, 'the requester may not approve, so is not reminded');
      const entries = await audit('approval.reminded', runId);
      assert.equal(entries.length, 1);
      assert.deepEqual((entries[0]!.detail.waitingOn as { users: string[] }).users, ['U_LEAD2', 'U_LEAD3']);
      await sweepApprovals(deps(), at(30));
      const after = (await outbox(runId)).filter((m) => m.key.includes('approval-reminder'));
      assert.equal(after.length, 1, 'expiring does not remind again');
    });

    it('leaves a run alone that no longer waits, and still expires and audits the approval', async () => {
      const { t0, at } = clock();
      const a = await waitingRun(t0);
      await db.query(`UPDATE runs SET state = 'cancelled', version = version + 1 WHERE id = $1`, [a.runId]);
      const swept = await sweepApprovals(deps(), at(30));
      assert.ok(swept.expired.some((e) => e.id === a.id));
      assert.equal((await audit('approval.expired', a.runId!)).length, 1);
      assert.equal((await audit('run.cancelled', a.runId!)).length, 0);
      assert.equal((await outbox(a.runId!)).filter((m) => m.key === `${a.runId}:expired`).length, 0);
    });

    it('with no card to update or remind in, still reminds nobody twice and ends the run', async () => {
      const { t0, at } = clock();
      const a = await waitingRun(t0, 'no-card', false);
      const runId = a.runId!;
      assert.equal((await sweepApprovals(deps(), at(25))).reminded.length, 1);
      assert.equal((await audit('approval.reminded', runId)).length, 1);
      assert.ok((await sweepApprovals(deps(), at(30))).expired.some((e) => e.id === a.id));
      const messages = await outbox(runId);
      assert.deepEqual(
        messages.map((m) => [m.operation, m.key, m.thread_ts]),
        [['post', `${runId}:expired`, null]],
        'no card update and no reminder without a card; the requester is still told',
      );
      assert.equal((await audit('run.cancelled', runId)).length, 1);
    });

    it('one approval that fails does not hold up the others, and stays due', async () => {
      const { t0, at } = clock();
      const bad = await waitingRun(t0, 'poison');
      const good = await waitingRun(new Date(t0.getTime() + 1), 'fine');
      const failing: ApprovalSweepDeps = {
        ...deps(),
        endRun: async (tx, a, threadTs) => {
          if (a.id === bad.id) throw new Error('boom');
          return expireWaitingRun(tx, createAuditLog(db), a.runId, { approvalId: a.id, threadTs });
        },
      };
      const swept = await sweepApprovals(failing, at(31));
      assert.ok(swept.expired.some((e) => e.id === good.id));
      assert.deepEqual(
        swept.failed.map((f) => f.approvalId),
        [bad.id],
      );
      assert.equal((await getApproval(db, bad.id))?.status, 'pending', 'rolled back, still due');
      assert.equal((await outbox(bad.runId!)).filter((m) => m.operation === 'update').length, 0);
      const retried = await sweepApprovals(deps(), at(32));
      assert.ok(retried.expired.some((e) => e.id === bad.id));
    });

    it('the timer sweeps on its own and stops cleanly', async () => {
      const { t0, at } = clock();
      const a = await waitingRun(t0);
      const sweeper = startApprovalSweeper({
        ...deps(),
        logger: createTestLogger(),
        intervalMs: 20,
        clock: () => at(31),
      });
      try {
        for (let i = 0; i < 200 && (await getApproval(db, a.id))?.status === 'pending'; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal((await getApproval(db, a.id))?.status, 'expired');
      } finally {
        await sweeper.stop();
      }
    });
  });
}
