import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listRunTransitions, loadRun } from '../../src/agent/run-record.ts';
import { getRunStats, today } from '../../src/agent/run-stats.ts';
import { redriveRun } from '../../src/agent/run-worker.ts';
import { SluiceError } from '../../src/errors.ts';
import { databaseTargets } from '../support/test-database.ts';
import { startHarness, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';
import { scriptedSteps } from './support/scripted-steps.ts';

const ALERTS = TEST_CHANNELS[4]!;
const state = (db: Parameters<typeof loadRun>[0], runId: string, wanted: string) => async () =>
  (await loadRun(db, runId))?.state === wanted;

for (const target of databaseTargets()) {
  describe(`runs that do not go to plan (${target.name})`, () => {
    it('dead-letters a run on a non-retryable error, tells the requester and the operators, and a redrive finishes it once', async () => {
      const db = await target.create();
      const executions: Array<{ runId: string; key: string; attempt: number; at: number }> = [];
      let broken = true;
      const h = await startHarness(db, {
        alertChannelId: ALERTS,
        steps: (slack) =>
          scriptedSteps({
            slack,
            executions,
            executeError: () =>
              broken
                ? new SluiceError('invalid_input', 'endpoint rejected the parameters', { retryable: false })
                : undefined,
          }),
      });
      try {
        const { runId } = await h.command('restart the thing');
        await waitFor('the dead letter', state(db, runId!, 'dead_lettered'));
        const run = (await loadRun(db, runId!))!;
        assert.equal(run.errorCode, 'invalid_input');
        assert.equal(run.context.deadLetteredFrom, 'executing');
        await waitFor(
          'the notices',
          async () =>
            (await db.query("SELECT 1 FROM outbox_messages WHERE state = 'sent'")).rows.length === 2,
        );
        const texts = h.double.callsTo('chat.postMessage').map((c) => `${c.args.channel}: ${c.args.text}`);
        assert.ok(
          texts.some((t) => t.startsWith(`${TEST_CHANNELS[0]}: Sorry, I could not finish this request`)),
          texts.join('\n'),
        );
        assert.ok(
          texts.some((t) => t.startsWith(`${ALERTS}: Run ${runId} was dead-lettered (non_retryable)`)),
          texts.join('\n'),
        );
        assert.equal((await getRunStats(db, today())).deadLetteredRuns, 1);

        broken = false;
        // The run is marked first; its job reaches the dead-letter queue as the attempt settles.
        await waitFor('the redrive', () => redriveRun(h.queue, runId!));
        await waitFor('the redriven run', state(db, runId!, 'done'));
        assert.deepEqual(
          executions.map((e) => e.attempt),
          [1, 2],
          'the effect started once before the dead letter and once after the redrive',
        );
        const transitions = (await listRunTransitions(db, runId!)).map((t) => t.toState);
        assert.deepEqual(transitions.slice(-4), ['dead_lettered', 'executing', 'replied', 'done']);
        const effectPosts = h.double
          .callsTo('chat.postMessage')
          .filter((c) => c.args.text === `effect of ${runId}`);
        assert.equal(effectPosts.length, 1);
        assert.equal(await redriveRun(h.queue, runId!), false, 'nothing left to redrive');
        assert.equal((await getRunStats(db, today())).deadLetteredRuns, 0);
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('denies, rejects, expires and stops over budget with a reply each time, and fails a run whose reply Slack refuses', async () => {
      const db = await target.create();
      const decisions: Record<string, 'deny' | 'escalate'> = {};
      const h = await startHarness(db, {
        steps: (slack) => {
          const base = scriptedSteps({ slack, decision: (ctx) => decisions[ctx.run.text] ?? 'auto' });
          return {
            ...base,
            async think(ctx) {
              if (ctx.run.text === 'expensive')
                throw new SluiceError('budget_exceeded', 'the daily budget of $5.00 is spent');
              return base.think(ctx);
            },
          };
        },
      });
      try {
        decisions.denied = 'deny';
        decisions.rejected = 'escalate';
        decisions.expired = 'escalate';
        const denied = await h.command('denied');
        const rejected = await h.command('rejected', TEST_CHANNELS[1]);
        const expired = await h.command('expired', TEST_CHANNELS[2]);
        const expensive = await h.command('expensive', TEST_CHANNELS[3]);
        await waitFor('the denial', state(db, denied.runId!, 'done'));
        await waitFor('the approval requests', async () => {
          const a = await loadRun(db, rejected.runId!);
          const b = await loadRun(db, expired.runId!);
          return a?.state === 'awaiting_approval' && b?.state === 'awaiting_approval';
        });
        await h.processor.resolveApproval(rejected.runId!, {
          outcome: 'rejected',
          by: ['U0LEAD0001'],
          reason: 'not during the freeze',
        });
        await h.processor.resolveApproval(expired.runId!, { outcome: 'expired' });
        await assert.rejects(
          h.processor.resolveApproval(expired.runId!, { outcome: 'approved', by: ['U0LEAD0001'] }),
          /not waiting for approval/,
        );
        await waitFor('the rejection', state(db, rejected.runId!, 'done'));
        await waitFor('the budget stop', state(db, expensive.runId!, 'budget_exceeded'));
        assert.equal((await loadRun(db, denied.runId!))!.outcome, 'denied');
        assert.equal((await loadRun(db, rejected.runId!))!.outcome, 'rejected');
        assert.equal((await loadRun(db, expired.runId!))!.state, 'cancelled');
        await waitFor(
          'every reply',
          async () =>
            (await db.query("SELECT 1 FROM outbox_messages WHERE state = 'pending'")).rows.length === 0,
        );
        const texts = h.double.callsTo('chat.postMessage').map((c) => String(c.args.text));
        assert.ok(
          texts.some((t) => t.startsWith('Not done: test rule for test.post (policy rule rule-deny')),
        );
        assert.ok(texts.some((t) => t.startsWith('Rejected by <@U0LEAD0001>: not during the freeze.')));
        assert.ok(texts.some((t) => t.startsWith('The approval request expired')));
        assert.ok(
          texts.some((t) => t.startsWith('This request stopped: the daily budget of $5.00 is spent')),
        );
        assert.equal((await db.query('SELECT 1 FROM effects')).rows.length, 0);

        h.double.fail('chat.postMessage', { error: 'channel_not_found' });
        decisions['nowhere to reply'] = 'deny';
        const lost = await h.command('nowhere to reply');
        await waitFor('the undeliverable reply', state(db, lost.runId!, 'failed'));
        assert.equal((await loadRun(db, lost.runId!))!.errorCode, 'reply_undeliverable');
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('reports runs, outcomes, latency percentiles, cost, the last errors and dead-letter depth', async () => {
      const db = await target.create();
      const h = await startHarness(db, {
        steps: (slack) => scriptedSteps({ slack, answer: true }),
        start: false,
      });
      try {
        const stats0 = await getRunStats(db, today());
        assert.equal(stats0.total, 0);
        assert.equal(stats0.successRate, null);
        assert.deepEqual(stats0.latencyMs, { p50: null, p95: null });
        const base = Date.now() - 60_000;
        const insert = async (
          i: number,
          stateName: string,
          latencyMs: number | null,
          cost: number,
          error?: string,
        ) => {
          await db.query(
            `INSERT INTO runs (id, correlation_id, origin, state, cost_usd, created_at, updated_at, finished_at, error_code, error_message)
             VALUES (gen_random_uuid(), gen_random_uuid(), 'command', $1, $2, $3, $3, $4, $5, $6)`,
            [
              stateName,
              cost,
              new Date(base + i),
              latencyMs === null ? null : new Date(base + i + latencyMs),
              error ? 'upstream_failed' : null,
              error ?? null,
            ],
          );
        };
        for (let i = 0; i < 19; i++) await insert(i, 'done', 1000 + i * 100, 0.01);
        await insert(19, 'failed', 9000, 0.02, 'endpoint answered 500');
        await insert(20, 'dead_lettered', 500, 0, 'model output invalid twice');
        await insert(21, 'awaiting_approval', null, 0.005);
        await insert(22, 'cancelled', 10, 0);
        await db.query(
          "INSERT INTO runs (id, correlation_id, origin, state, created_at, updated_at) VALUES (gen_random_uuid(), gen_random_uuid(), 'command', 'done', now() - interval '2 days', now())",
        );
        const stats = await getRunStats(db, { from: new Date(base - 1000), to: new Date() });
        assert.equal(stats.total, 23);
        assert.equal(stats.succeeded, 19);
        assert.equal(stats.failed, 2);
        assert.equal(stats.cancelled, 1);
        assert.equal(stats.inProgress, 1);
        assert.equal(stats.successRate, 19 / 21);
        assert.ok(Math.abs(stats.costUsd - (19 * 0.01 + 0.02 + 0.005)) < 1e-9);
        // Latencies of the 22 finished runs: 10, 500, 1000..2800, 9000.
        assert.equal(stats.latencyMs.p50, 1850);
        assert.ok(stats.latencyMs.p95! > 2700 && stats.latencyMs.p95! < 9000, `p95 ${stats.latencyMs.p95}`);
        assert.deepEqual(
          stats.lastErrors.map((e) => e.message),
          ['model output invalid twice', 'endpoint answered 500'],
        );
        assert.equal(stats.deadLetteredRuns, 1);
      } finally {
        await h.close();
        await db.close();
      }
    });
  });
}
