import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRun } from '../../src/agent/run-record.ts';
import { findBlockingPause } from '../../src/control/kill-switch.ts';
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
  describe(`pause scopes, approvals and schedules (${target.name})`, () => {
    it('pauses one channel or one action type without stopping the rest, and the pause outlives a restart', async () => {
      const db = await target.create();
      const executions: Execution[] = [];
      const steps = (slack: Parameters<typeof scriptedSteps>[0]['slack']) =>
        scriptedSteps({ slack, executions, action: 'http.request' });
      let h = await startHarness(db, { steps });
      await h.killSwitch.pause({
        scope: { kind: 'channel', value: TEST_CHANNELS[1]! },
        reason: 'noisy channel',
        by: 'cli:ops',
      });
      await h.close();
      // A new process: the pause is in the database, not in memory.
      h = await startHarness(db, { steps });
      try {
        const inPaused = await h.command('in the paused channel', TEST_CHANNELS[1]);
        const elsewhere = await h.command('in another channel', TEST_CHANNELS[0]);
        await waitFor('both runs', allEnded(db, 2));
        assert.equal((await loadRun(db, inPaused.runId!))!.state, 'cancelled');
        assert.equal((await loadRun(db, elsewhere.runId!))!.state, 'done');

        await h.killSwitch.pause({
          scope: { kind: 'action', value: 'http.request' },
          reason: 'endpoint flaky',
          by: 'cli:ops',
        });
        const blocked = await h.command('needs http', TEST_CHANNELS[2]);
        await waitFor('the blocked run', allEnded(db, 3));
        const run = await loadRun(db, blocked.runId!);
        assert.equal(run!.state, 'cancelled');
        assert.equal(run!.outcome, 'paused');
        const effect = await db.query<{ state: string }>('SELECT state FROM effects WHERE run_id = $1', [
          run!.id,
        ]);
        assert.deepEqual(effect.rows, [{ state: 'abandoned' }], 'the action was decided but never started');
        assert.equal(executions.length, 1);
        assert.equal(
          await findBlockingPause(db, { channelId: TEST_CHANNELS[3], action: 'kb.add_note' }),
          null,
        );
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('keeps an approval in a paused scope from executing until resume', async () => {
      const db = await target.create();
      const executions: Execution[] = [];
      const h = await startHarness(db, {
        steps: (slack) => scriptedSteps({ slack, executions, decision: 'escalate' }),
      });
      try {
        const accepted = await h.command('restart payments in production');
        const runId = accepted.runId!;
        await waitFor(
          'the approval request',
          async () => (await loadRun(db, runId))?.state === 'awaiting_approval',
        );
        await h.killSwitch.pause({ scope: GLOBAL_SCOPE, reason: 'freeze', by: 'U0OPS00001' });
        await assert.rejects(
          h.processor.resolveApproval(runId, { outcome: 'approved', by: ['U0LEAD0001', 'U0LEAD0002'] }),
          (error: Error & { code?: string }) => error.code === 'paused',
        );
        assert.equal(
          (await loadRun(db, runId))!.state,
          'awaiting_approval',
          'the approval stays pending, frozen',
        );
        await h.killSwitch.resume({ scope: GLOBAL_SCOPE, by: 'U0OPS00001' });
        await h.processor.resolveApproval(runId, { outcome: 'approved', by: ['U0LEAD0001', 'U0LEAD0002'] });
        await waitFor('the approved run', async () => (await loadRun(db, runId))?.state === 'done');
        assert.equal(executions.length, 1);
        const granted = await db.query<{ approvers: string[] }>(
          "SELECT approvers FROM audit_log WHERE kind = 'approval.granted'",
        );
        assert.deepEqual(granted.rows[0]!.approvers, ['U0LEAD0001', 'U0LEAD0002']);
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('skips scheduled jobs while paused', async () => {
      const db = await target.create();
      const h = await startHarness(db, { steps: (slack) => scriptedSteps({ slack }), start: false });
      try {
        await h.queue.define('digest');
        const ran: string[] = [];
        await h.queue.work<{ slot: string }>('digest', async (job) => void ran.push(job.payload.slot), {
          concurrency: 1,
          skipWhen: async () => {
            const pause = await findBlockingPause(db);
            return pause ? `paused: ${pause.reason}` : null;
          },
        });
        await h.killSwitch.pause({ scope: GLOBAL_SCOPE, reason: 'quiet please', by: 'cli:ops' });
        // What the scheduler enqueues at 09:00.
        await h.queue.enqueue('digest', { slot: 'while paused' });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await h.killSwitch.resume({ scope: GLOBAL_SCOPE, by: 'cli:ops' });
        await h.queue.enqueue('digest', { slot: 'after resume' });
        await waitFor('the digest after resume', async () => ran.length === 1);
        assert.deepEqual(ran, ['after resume']);
      } finally {
        await h.close();
        await db.close();
      }
    });
  });
}
