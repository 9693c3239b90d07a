import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { APPROVE_ACTION, buildApprovalCard } from '../../handlers/blocks/approval-card.ts';
import { approvalCardView } from '../../src/agent/approval-card-view.ts';
import { expireWaitingRun } from '../../src/agent/resolve-approval.ts';
import { type ApprovalSweepDeps, sweepApprovals } from '../../src/approvals/sweep-approvals.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { Database } from '../../src/db/database.ts';
import type { SlackDoubleCall } from '../../src/local/slack-web-api-double.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';
import { eventually, type Harness, OPS_CHANNEL, startHarness, USERS } from './support/sluice-harness.ts';

/**
 * Approval expiry end to end: a production restart escalates to a card (2 of ops-leads, 30
 * minutes); the sweep, at an injected time, reminds the leads who have not voted in the card's
 * thread once, then expires the request: the card says so in place, the requester is told in the
 * thread, the run ends cancelled, a late click is refused and nothing runs. The last test leaves
 * the clock alone and lets the sweeper that start-core wires do it.
 */

let db: Database;
let h: Harness;

before(async () => {
  db = await createEmbeddedTestDatabase();
  h = await startHarness(db);
});

after(async () => {
  await h.stop();
  await db.close();
});

const posts = () =>
  h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === OPS_CHANNEL && c.status === 200);
const text = (call: SlackDoubleCall) => JSON.stringify(call.args);

/** The sweep as start-core wires it, with the same renderer, at a time the test chooses. */
const sweepDeps = (): ApprovalSweepDeps => {
  const audit = createAuditLog(db);
  return {
    db,
    audit,
    renderCard: (a) => buildApprovalCard(approvalCardView(a, 'high')),
    endRun: (tx, a, threadTs) => expireWaitingRun(tx, audit, a.runId, { approvalId: a.id, threadTs }),
    listGroups: () => h.app.slack.client.usergroupsList(),
  };
};

async function requestProductionRestart(service: string) {
  const before = posts().length;
  const requestedAt = Date.now();
  await h.driver.command({
    command: '/agent',
    text: `do http.request endpoint=restart-service params.service=${service} params.environment=production`,
    userId: USERS.alice,
    channelId: OPS_CHANNEL,
  });
  const card = await eventually('the approval card', () =>
    posts()
      .slice(before)
      .find((c) => /Approval needed/.test(text(c))),
  );
  const blocks = card.args.blocks as { type: string; elements?: { action_id: string; value: string }[] }[];
  const approve = blocks
    .find((b) => b.type === 'actions')!
    .elements!.find((e) => e.action_id === APPROVE_ACTION)!;
  const ts = (card.response as { ts: string }).ts;
  const run = await eventually('the run awaiting approval', async () => {
    const { rows } = await db.query<{ id: string; state: string }>(
      "SELECT id, state FROM runs WHERE state = 'awaiting_approval' AND text LIKE $1",
      [`%${service}%`],
    );
    return rows[0];
  });
  return { requestedAt, ts, value: approve.value, runId: run.id, message: { channel: OPS_CHANNEL, ts } };
}

describe('approval expiry', () => {
  it('reminds once in the card thread, then expires: card updated, requester told, run ended, late click refused', async () => {
    const calls = h.deployCalls.length;
    const card = await requestProductionRestart('expiring-worker');
    await h.driver.blockAction({
      user: { id: USERS.bob },
      action: { action_id: APPROVE_ACTION, value: card.value },
      message: card.message,
    });
    await eventually('the card updated with one approval', () =>
      h.slack.callsTo('chat.update').find((c) => c.args.ts === card.ts && /1 of 2 approvals/.test(text(c))),
    );

    const at = (minutes: number) => new Date(card.requestedAt + minutes * 60_000);
    const warned = await sweepApprovals(sweepDeps(), at(26));
    assert.equal(warned.reminded.length, 1);
    assert.equal((await sweepApprovals(sweepDeps(), at(27))).reminded.length, 0);
    const reminder = await eventually('the reminder in the card thread', () =>
      posts().find((c) => c.args.thread_ts === card.ts && /Reminder/.test(text(c))),
    );
    assert.match(text(reminder), new RegExp(`<@${USERS.carol}>`));
    assert.match(text(reminder), new RegExp(`<@${USERS.dave}>`));
    assert.doesNotMatch(text(reminder), new RegExp(USERS.bob), 'bob already approved');
    assert.doesNotMatch(text(reminder), new RegExp(`<@${USERS.alice}>`), 'the requester cannot approve');

    const swept = await sweepApprovals(sweepDeps(), at(31));
    assert.equal(swept.expired.length, 1);
    assert.equal((await sweepApprovals(sweepDeps(), at(32))).expired.length, 0, 'expired once');
    const updated = await eventually('the card updated as expired', () =>
      h.slack.callsTo('chat.update').find((c) => c.args.ts === card.ts && /Expired/.test(text(c))),
    );
    assert.ok(!JSON.stringify(updated.args.blocks).includes('"actions"'), 'an expired card has no buttons');
    const told = await eventually('the requester told in the thread', () =>
      posts().find((c) => c.args.thread_ts === card.ts && /expired without a decision/.test(text(c))),
    );
    assert.match(text(told), new RegExp(`<@${USERS.alice}>`));
    const run = await db.query<{ state: string; outcome: string }>(
      'SELECT state, outcome FROM runs WHERE id = $1',
      [card.runId],
    );
    assert.deepEqual(run.rows[0], { state: 'cancelled', outcome: 'expired' });

    await h.driver.blockAction({
      user: { id: USERS.carol },
      action: { action_id: APPROVE_ACTION, value: card.value },
      message: card.message,
    });
    await eventually('the late click refused', () =>
      h.slack.calls.find(
        (c) =>
          c.method === 'response_url' && /not counted: this request expired/.test(JSON.stringify(c.args)),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.deployCalls.length, calls, 'nothing ran');

    const audit = await db.query<{ kind: string; actor: string; decision: string | null }>(
      `SELECT kind, actor, decision FROM audit_log
        WHERE run_id = $1 AND kind IN ('approval.vote', 'approval.reminded', 'approval.expired', 'run.cancelled')
        ORDER BY seq`,
      [card.runId],
    );
    assert.deepEqual(
      audit.rows.map((r) => [r.kind, r.actor, r.decision]),
      [
        ['approval.vote', USERS.bob, 'approve'],
        ['approval.reminded', 'system', null],
        ['run.cancelled', 'system', null],
        ['approval.expired', 'system', 'expired'],
        ['approval.vote', USERS.carol, 'refused'],
      ],
    );
  });

  it('the sweeper start-core runs expires a request whose time is up, on its own', async () => {
    const card = await requestProductionRestart('overdue-worker');
    // As if the request had been made 31 minutes ago and its reminder already sent.
    await db.query(
      `UPDATE approvals SET created_at = now() - interval '31 minutes', warn_at = now() - interval '6 minutes',
          warned_at = now() - interval '6 minutes', expires_at = now() - interval '1 minute'
        WHERE run_id = $1`,
      [card.runId],
    );
    await eventually('the card updated as expired', () =>
      h.slack.callsTo('chat.update').find((c) => c.args.ts === card.ts && /Expired/.test(text(c))),
    );
    await eventually('the requester told in the thread', () =>
      posts().find((c) => c.args.thread_ts === card.ts && /expired without a decision/.test(text(c))),
    );
    const run = await db.query<{ state: string }>('SELECT state FROM runs WHERE id = $1', [card.runId]);
    assert.equal(run.rows[0]?.state, 'cancelled');
  });
});
