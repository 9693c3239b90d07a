import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listRunTransitions, loadRun } from '../../src/agent/run-record.ts';
import { exportRunStory } from '../../src/audit/export-run-story.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';
import { databaseTargets } from '../support/test-database.ts';
import { runStates, startHarness, TEST_CHANNELS, waitFor } from './support/durable-harness.ts';
import { scriptedSteps } from './support/scripted-steps.ts';

for (const target of databaseTargets()) {
  describe(`a run from request to reply (${target.name})`, () => {
    it('goes received -> retrieving -> thinking -> decided -> executing -> replied -> done, effect once, reply delivered', async () => {
      const db = await target.create();
      const executions: Array<{ runId: string; key: string; attempt: number; at: number }> = [];
      const h = await startHarness(db, { steps: (slack) => scriptedSteps({ slack, executions }) });
      try {
        const accepted = await h.command('restart the payments worker in staging');
        assert.equal(accepted.duplicate, false);
        const runId = accepted.runId!;
        const run = await waitFor('the run to finish', async () => {
          const r = await loadRun(db, runId);
          return r?.state === 'done' ? r : undefined;
        });
        assert.equal(run.outcome, 'executed');
        assert.ok(run.finishedAt);
        assert.ok(Math.abs(run.costUsd - 0.002) < 1e-9, `cost ${run.costUsd}`);
        const transitions = (await listRunTransitions(db, runId)).map((t) => t.toState);
        assert.deepEqual(transitions, [
          'received',
          'retrieving',
          'thinking',
          'decided',
          'executing',
          'replied',
          'done',
        ]);
        assert.equal(executions.length, 1);
        assert.equal(executions[0]!.key, `${runId}:execute`);
        const posts = h.double
          .callsTo('chat.postMessage')
          .filter((c) => c.response && (c.response as { ok: boolean }).ok);
        const texts = posts.map((c) => c.args.text);
        assert.deepEqual(texts, [`effect of ${runId}`, 'done: restart the payments worker in staging']);
        assert.equal(posts[1]!.args.channel, TEST_CHANNELS[0]);
        const verification = await verifyAuditChain(db);
        assert.equal(verification.ok, true, JSON.stringify(verification.problem));
        const story = await exportRunStory(db, runId);
        const kinds = story.entries.map((e) => e.kind);
        assert.deepEqual(kinds, [
          'run.started',
          'retrieval',
          'proposal',
          'decision',
          'effect.intent',
          'effect.started',
          'effect.succeeded',
          'run.done',
        ]);
        assert.match(story.text, /decision=auto/);
        assert.match(story.text, /rule=rule-auto@policy-v1/);
        assert.match(story.text, /model=test-model prompt=p1/);
      } finally {
        await h.close();
        await db.close();
      }
    });

    it('answers a question without an effect, and a second delivery of the same request starts nothing', async () => {
      const db = await target.create();
      const h = await startHarness(db, { steps: (slack) => scriptedSteps({ slack, answer: true }) });
      try {
        const request = {
          key: 'event:Ev0ANSWER1',
          kind: 'event' as const,
          payload: { event_id: 'Ev0ANSWER1' },
          receivedAt: new Date(),
          run: { channelId: TEST_CHANNELS[1]!, userId: 'U0ASKER001', text: 'how do I rotate the password?' },
        };
        const first = await h.inbox.accept(request);
        const again = await h.inbox.accept(request);
        assert.equal(again.duplicate, true);
        assert.equal(again.runId, first.runId);
        assert.equal(again.deliveries, 2);
        await waitFor('the answer', async () => (await loadRun(db, first.runId!))?.state === 'done');
        assert.deepEqual(await runStates(db), { done: 1 });
        const run = await loadRun(db, first.runId!);
        assert.equal(run!.outcome, 'answered');
        const effects = await db.query('SELECT * FROM effects');
        assert.equal(effects.rows.length, 0);
      } finally {
        await h.close();
        await db.close();
      }
    });
  });
}
