import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRun } from '../../src/agent/run-record.ts';
import { GLOBAL_SCOPE } from '../../src/control/pause-scope.ts';
import { databaseTargets } from '../support/test-database.ts';
import { runStates, startHarness, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';
import { scriptedSteps } from './support/scripted-steps.ts';

type Execution = { runId: string; key: string; attempt: number; at: number };

const allEnded = (db: Parameters<typeof runStates>[0], n: number) => async () => {
  const states = await runStates(db);
  const ended = (states.done ?? 0) + (states.cancelled ?? 0) + (states.failed ?? 0);
  return ended === n ? states : undefined;
};

for (const target of databaseTargets()) {
  describe(`the kill switch (${target.name})`, () => {
    it('lets 100 requests arriving while paused cause 0 effects, tells each requester, and runs new requests after resume', async () => {
      const db = await target.create();
      const executions: Execution[] = [];
      const h = await startHarness(db, {
        steps: (slack) => scriptedSteps({ slack, executions }),
        pacingMs: 5,
      });
      try {
        await h.killSwitch.pause({ scope: GLOBAL_SCOPE, reason: 'incident in progress', by: 'U0OPS00001' });
        const accepted = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            h.command(`restart worker ${i}`, TEST_CHANNELS[i % TEST_CHANNELS.length]),
          ),
        );
        assert.equal(new Set(accepted.map((a) => a.runId)).size, 100);
        const states = await waitFor('every paused request to be cancelled', allEnded(db, 100), 40_000);
        assert.deepEqual(states, { cancelled: 100 });
        assert.equal(executions.length, 0);
        assert.equal((await db.query('SELECT 1 FROM effects')).rows.length, 0);
        await waitFor('the paused notices', async () => {
          const sent = await db.query(
            "SELECT 1 FROM outbox_messages WHERE key LIKE '%:paused' AND state = 'sent'",
          );
          return sent.rows.length === 100;
        });
        const notice = h.double.callsTo('chat.postMessage')[0]!.args.text as string;
        assert.match(notice, /Sluice is paused \(global\) by U0OPS00001: incident in progress/);

        await h.killSwitch.resume({ scope: GLOBAL_SCOPE, by: 'U0OPS00001' });
        const after = await h.command('restart worker after resume');
        await waitFor(
          'the run after resume',
          async () => (await loadRun(db, after.runId!))?.state === 'done',
        );
        assert.equal(executions.length, 1, 'only the request made after resume acted');
        assert.deepEqual(
          await runStates(db),
          { cancelled: 100, done: 1 },
          'requests cancelled by the pause stay cancelled',
        );
        const audit = await db.query<{ kind: string; actor: string }>(
          "SELECT kind, actor FROM audit_log WHERE kind IN ('pause', 'resume') ORDER BY seq",
        );
        assert.deepEqual(audit.rows, [
          { kind: 'pause', actor: 'U0OPS00001' },
          { kind: 'resume', actor: 'U0OPS00001' },
        ]);
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('starts no effect more than 1 s after a pause is recorded, while runs are in flight', async () => {
      const db = await target.create();
      const executions: Execution[] = [];
      const h = await startHarness(db, {
        steps: (slack) => scriptedSteps({ slack, executions, stepDelayMs: () => Math.random() * 150 }),
        concurrency: 8,
        pacingMs: 5,
      });
      try {
        for (let i = 0; i < 40; i++) await h.command(`job ${i}`, TEST_CHANNELS[i % TEST_CHANNELS.length]);
        await waitFor('some effects to start', async () => executions.length >= 3, 20_000);
        const { pause } = await h.killSwitch.pause({
          scope: GLOBAL_SCOPE,
          reason: 'stop now',
          by: 'U0OPS00001',
        });
        const pausedAt = pause.pausedAt.getTime();
        const states = await waitFor('every run to end', allEnded(db, 40), 40_000);
        assert.ok((states.cancelled ?? 0) > 0, `the pause stopped nothing: ${JSON.stringify(states)}`);
        const late = executions.filter((e) => e.at > pausedAt + 1000);
        assert.deepEqual(late, [], 'effects started more than 1 s after the pause');
        const startedAfter = await db.query('SELECT id FROM effects WHERE started_at > $1', [
          new Date(pausedAt + 1000),
        ]);
        assert.deepEqual(startedAfter.rows, []);
        const abandoned = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM effects WHERE state = 'abandoned'",
        );
        const executedRuns = new Set(executions.map((e) => e.runId)).size;
        assert.equal(
          executedRuns + abandoned.rows[0]!.n,
          (await db.query('SELECT 1 FROM effects')).rows.length,
        );
      } finally {
        await h.close();
        await db.close();
      }
    });
  });
}
