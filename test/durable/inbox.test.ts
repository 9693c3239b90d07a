import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineRunJobs, RUN_JOB_KIND, runJobSpec } from '../../src/agent/run-worker.ts';
import { defineVoteJobs, VOTE_JOB_KIND, voteJobSpec } from '../../src/agent/vote-jobs.ts';
import { createInbox } from '../../src/inbox/create-inbox.ts';
import { recordRequest } from '../../src/inbox/record-request.ts';
import { requestKey } from '../../src/inbox/request-key.ts';
import { createJobQueue } from '../../src/jobs/job-queue.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';

describe('inbox keys', () => {
  it("key events by Slack's event_id and commands and clicks by a hash of the signed body", () => {
    assert.equal(requestKey({ kind: 'event', eventId: 'Ev0ABC' }), 'event:Ev0ABC');
    const body = 'command=%2Fagent&text=status&trigger_id=1.2.abc';
    const key = requestKey({ kind: 'command', body });
    assert.match(key, /^command:sha256:[0-9a-f]{64}$/);
    assert.equal(requestKey({ kind: 'command', body: Buffer.from(body) }), key, 'bytes and text agree');
    assert.notEqual(
      requestKey({ kind: 'command', body: body.replace('abc', 'abd') }),
      key,
      'a new trigger is a new request',
    );
    assert.notEqual(requestKey({ kind: 'interaction', body }), key, 'kinds never collide');
    assert.equal(
      requestKey({ kind: 'interaction', body: { b: 1, a: [1, 2] } }),
      requestKey({ kind: 'interaction', body: { a: [1, 2], b: 1 } }),
      'a Socket Mode payload is keyed by its canonical JSON',
    );
  });
});

for (const target of databaseTargets()) {
  describe(`recording a request (${target.name})`, () => {
    it('stores a request and its run in one statement, counts redeliveries and never stores the verification token', async () => {
      const db = await target.create();
      try {
        const receivedAt = new Date('2026-01-05T09:00:00.123Z');
        const request = {
          key: 'event:Ev0INBOX01',
          kind: 'event' as const,
          payload: {
            token: 'legacy-verification-token',
            event_id: 'Ev0INBOX01',
            event: { type: 'app_mention' },
          },
          receivedAt,
          run: {
            channelId: 'C0INBOX001',
            userId: 'U0INBOX001',
            threadTs: '1767603600.000100',
            text: 'hello',
          },
        };
        const first = await recordRequest(db, request);
        assert.equal(first.duplicate, false);
        assert.ok(first.runId);
        const second = await recordRequest(db, {
          ...request,
          receivedAt: new Date(receivedAt.getTime() + 3000),
        });
        assert.deepEqual(
          { ...second, duplicate: undefined },
          { ...first, duplicate: undefined, deliveries: 2 },
        );
        assert.equal(second.duplicate, true);
        const stored = await db.query<{
          payload: Record<string, unknown>;
          deliveries: number;
          run_id: string;
        }>('SELECT payload, deliveries, run_id FROM requests');
        assert.equal(stored.rows.length, 1);
        assert.equal(stored.rows[0]!.payload.token, undefined);
        assert.equal(stored.rows[0]!.payload.event_id, 'Ev0INBOX01');
        const runs = await db.query<{
          state: string;
          thread_ts: string;
          created_at: Date;
          correlation_id: string;
        }>('SELECT state, thread_ts, created_at, correlation_id FROM runs');
        assert.equal(runs.rows.length, 1);
        assert.equal(runs.rows[0]!.state, 'received');
        assert.equal(runs.rows[0]!.thread_ts, '1767603600.000100');
        assert.equal(runs.rows[0]!.created_at.getTime(), receivedAt.getTime());
        assert.equal(runs.rows[0]!.correlation_id, first.correlationId);
        const transitions = await db.query<{ to_state: string }>('SELECT to_state FROM run_transitions');
        assert.deepEqual(transitions.rows, [{ to_state: 'received' }]);

        const click = await recordRequest(db, {
          key: 'interaction:sha256:x',
          kind: 'interaction',
          payload: {},
          receivedAt,
        });
        assert.equal(click.runId, null, 'a button click starts no run of its own');
        assert.equal((await db.query('SELECT 1 FROM runs')).rows.length, 1);
      } finally {
        await db.close();
      }
    });

    it("enqueues a new request's jobs in its statement, and none for a redelivery or a failed write", async () => {
      const db = await target.create();
      // No workers: the jobs stay queued, to be counted.
      const queue = await createJobQueue(db, createTestLogger(), { schedule: false, supervise: false });
      try {
        await defineRunJobs(queue);
        await defineVoteJobs(queue);
        const woken: string[] = [];
        // The queue, and one job kind whose insert cannot run (for the last check).
        const broken = { sql: () => 'INSERT INTO no_such_table VALUES (1)', value: '[]' };
        const inbox = createInbox({
          db,
          queue: {
            prepare: (kind, payload, options) =>
              kind === 'broken' ? Promise.resolve(broken) : queue.prepare(kind, payload, options),
          },
          runJob: runJobSpec,
          afterCommit: (r) => woken.push(r.runId ?? 'click'),
        });
        const jobs = async () =>
          (
            await db.query<{ name: string; key: string; data: Record<string, unknown> }>(
              `SELECT name, singleton_key AS key, data FROM pgboss.job
                WHERE name IN ($1, $2) ORDER BY name, created_on`,
              [RUN_JOB_KIND, VOTE_JOB_KIND],
            )
          ).rows;
        const command = {
          key: 'command:sha256:inbox-jobs',
          kind: 'command' as const,
          payload: { text: 'ask something' },
          receivedAt: new Date(),
          run: { channelId: 'C0INBOX001', userId: 'U0INBOX001', text: 'ask something' },
        };
        const first = await inbox.accept(command);
        const again = await inbox.accept(command);
        assert.equal(again.duplicate, true);
        assert.equal(again.runId, first.runId);
        const vote = {
          key: 'interaction:sha256:inbox-vote',
          actor: { teamId: 'T1', userId: 'U1', channelId: 'C1' },
        };
        const click = { key: vote.key, kind: 'interaction' as const, payload: {}, receivedAt: new Date() };
        const voteJob = { jobs: [voteJobSpec({ ...vote, choice: 'approve', value: 'v1' })] };
        await inbox.accept(click, voteJob);
        await inbox.accept(click, voteJob);
        assert.deepEqual(await jobs(), [
          { name: RUN_JOB_KIND, key: first.runId, data: { runId: first.runId } },
          {
            name: VOTE_JOB_KIND,
            key: vote.key,
            data: { ...vote, choice: 'approve', value: 'v1' },
          },
        ]);
        assert.deepEqual(woken, [first.runId, 'click'], 'woken once per new request');

        // One statement: a job that cannot be inserted leaves no request and no run behind.
        await assert.rejects(
          inbox.accept(
            { ...command, key: 'command:sha256:broken' },
            { jobs: [{ kind: 'broken', payload: {} }] },
          ),
        );
        const left = await db.query("SELECT 1 FROM requests WHERE key = 'command:sha256:broken'");
        assert.equal(left.rows.length, 0);
        assert.equal((await db.query('SELECT 1 FROM runs')).rows.length, 1);
      } finally {
        await queue.stop();
        await db.close();
      }
    });
  });
}
