import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { commitTransition } from '../../src/agent/commit-transition.ts';
import { loadRun } from '../../src/agent/run-record.ts';
import type { RunState } from '../../src/agent/run-state.ts';
import { defineRunJobs, RUN_JOB_KIND, startStalledRunSweeper } from '../../src/agent/run-worker.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { Database } from '../../src/db/database.ts';
import { SluiceError } from '../../src/errors.ts';
import { recordRequest } from '../../src/inbox/record-request.ts';
import { createJobQueue, type JobQueue } from '../../src/jobs/job-queue.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from './support/durable-harness.ts';

/**
 * The stalled-run sweeper against the real job queue (pg-boss) on each database: a run in a
 * working state whose job is gone gets one again; a run whose job is queued, running or
 * dead-lettered, a run changed moments ago, and a run waiting for a person are left alone.
 */

for (const target of databaseTargets()) {
  describe(`the stalled-run sweeper (${target.name})`, () => {
    async function withQueue(fn: (db: Database, queue: JobQueue) => Promise<void>) {
      const db = await target.create();
      const queue = await createJobQueue(db, createTestLogger(), {
        pollIntervalSeconds: 0.5,
        superviseIntervalSeconds: 1,
      });
      await defineRunJobs(queue, { maxAttempts: 1 });
      try {
        await fn(db, queue);
      } finally {
        await queue.stop({ timeoutMs: 1000 });
        await db.close();
      }
    }

    /** A run as the inbox stores it: with its job, or (a lost job) without. */
    async function newRun(db: Database, queue: JobQueue, options: { withJob: boolean }): Promise<string> {
      const runId = randomUUID();
      const jobs = options.withJob ? [await queue.prepare(RUN_JOB_KIND, { runId }, { key: runId })] : [];
      await recordRequest(
        db,
        {
          key: `command:${randomUUID()}`,
          kind: 'command',
          payload: {},
          receivedAt: new Date(),
          runId,
          run: { channelId: 'C0OPS0001', userId: 'U0ALICE01', text: 'how do I restart payments?' },
        },
        jobs,
      );
      return runId;
    }

    const age = (db: Database, runId: string, minutes: number) =>
      db.query(`UPDATE runs SET updated_at = now() - $2 * interval '1 minute' WHERE id = $1`, [
        runId,
        minutes,
      ]);

    const liveJobs = async (db: Database, runId: string) =>
      (
        await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND singleton_key = $2
             AND state IN ('created', 'retry', 'active')`,
          [RUN_JOB_KIND, runId],
        )
      ).rows[0]!.n;

    const sweeper = (db: Database, queue: JobQueue, batchSize?: number) =>
      startStalledRunSweeper({
        db,
        queue,
        logger: createTestLogger(),
        stalledAfterMs: 60_000,
        intervalMs: 3_600_000,
        ...(batchSize ? { batchSize } : {}),
      });

    it('enqueues a job for a working run that lost its own, once', async () => {
      await withQueue(async (db, queue) => {
        const lost = await newRun(db, queue, { withJob: false });
        const queued = await newRun(db, queue, { withJob: true });
        await age(db, lost, 5);
        await age(db, queued, 5);
        const s = sweeper(db, queue);
        try {
          assert.deepEqual(await s.sweep(), [lost]);
          assert.equal(await liveJobs(db, lost), 1);
          assert.equal(await liveJobs(db, queued), 1);
          // The run has its job now: the next sweep finds nothing.
          assert.deepEqual(await s.sweep(), []);
          assert.equal(await liveJobs(db, lost), 1);
        } finally {
          s.stop();
        }
      });
    });

    it('leaves alone a run changed moments ago and runs that wait for a person or have ended', async () => {
      await withQueue(async (db, queue) => {
        const audit = createAuditLog(db);
        const fresh = await newRun(db, queue, { withJob: false });
        const waiting = await newRun(db, queue, { withJob: false });
        const ended = await newRun(db, queue, { withJob: false });
        let run = (await loadRun(db, waiting))!;
        for (const to of ['retrieving', 'thinking', 'decided', 'awaiting_approval'] as RunState[]) {
          run = await commitTransition(db, audit, run, to, {});
        }
        await commitTransition(db, audit, (await loadRun(db, ended))!, 'cancelled', {});
        await age(db, waiting, 5);
        await age(db, ended, 5);
        const s = sweeper(db, queue);
        try {
          assert.deepEqual(await s.sweep(), []);
          // Past the grace period, the working one is taken up.
          await age(db, fresh, 2);
          assert.deepEqual(await s.sweep(), [fresh]);
        } finally {
          s.stop();
        }
      });
    });

    it('does not re-enqueue a run whose job is in the dead-letter queue waiting for a redrive', async () => {
      await withQueue(async (db, queue) => {
        // A handler that gives up at once and no dead-letter hook: as when the hook itself failed
        // and the run was left in its working state with its job dead-lettered.
        await queue.work(
          RUN_JOB_KIND,
          async () => {
            throw new SluiceError('invalid_input', 'cannot be done');
          },
          { concurrency: 1 },
        );
        const runId = await newRun(db, queue, { withJob: true });
        await waitFor('the dead letter', async () => {
          const letters = await queue.deadLetters(RUN_JOB_KIND);
          return letters.some((l) => (l.payload as { runId?: string }).runId === runId) || undefined;
        });
        await age(db, runId, 5);
        const s = sweeper(db, queue);
        try {
          assert.deepEqual(await s.sweep(), []);
          assert.equal(await liveJobs(db, runId), 0);
        } finally {
          s.stop();
        }
      });
    });

    it('finds a lost job behind a backlog of older runs that still have theirs', async () => {
      await withQueue(async (db, queue) => {
        const backlog = [];
        for (let i = 0; i < 4; i++) {
          const runId = await newRun(db, queue, { withJob: true });
          await age(db, runId, 30 - i);
          backlog.push(runId);
        }
        const lost = await newRun(db, queue, { withJob: false });
        await age(db, lost, 5);
        const s = sweeper(db, queue, 2);
        try {
          assert.deepEqual(await s.sweep(), [lost]);
        } finally {
          s.stop();
        }
      });
    });
  });
}
