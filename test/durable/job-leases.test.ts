import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createJobQueue, type DeadLetterContext, type JobQueue } from '../../src/jobs/job-queue.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from './support/durable-harness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of databaseTargets()) {
  describe(`job leases and deadlines (${target.name})`, () => {
    async function withQueue(fn: (queue: JobQueue) => Promise<void>) {
      const db = await target.create();
      const queue = await createJobQueue(db, createTestLogger(), {
        pollIntervalSeconds: 0.5,
        superviseIntervalSeconds: 1,
      });
      try {
        await fn(queue);
      } finally {
        await queue.stop({ timeoutMs: 1000 });
        await db.close();
      }
    }

    it('retries a job whose worker vanished once its lease runs out, and dead-letters it when that was the last attempt', async () => {
      await withQueue(async (queue) => {
        await queue.define('lost', {
          maxAttempts: 1,
          leaseSeconds: 1,
          baseDelaySeconds: 1,
          maxDelaySeconds: 1,
        });
        const calls: number[] = [];
        const dead: DeadLetterContext<object>[] = [];
        await queue.work(
          'lost',
          async (job) => {
            calls.push(job.attempt);
            // Hangs past its lease, as a worker that was killed would never answer.
            await sleep(6000);
          },
          { concurrency: 1, onDeadLetter: async (job) => void dead.push(job) },
        );
        await queue.enqueue('lost', {});
        await waitFor('the lost attempt to be dead-lettered', async () => dead.length === 1, 15_000);
        assert.deepEqual(calls, [1], 'the extra attempt only runs the dead-letter hook');
        assert.equal(dead[0]!.reason, 'attempt_lost');
      });
    });

    it('dead-letters a job still failing after its deadline', async () => {
      await withQueue(async (queue) => {
        await queue.define('late', { maxAttempts: 10, deadlineSeconds: 1, baseDelaySeconds: 1 });
        const dead: string[] = [];
        await queue.work(
          'late',
          async () => {
            await sleep(1100);
            throw new Error('transient');
          },
          { concurrency: 1, onDeadLetter: async (job) => void dead.push(job.reason) },
        );
        await queue.enqueue('late', {});
        await waitFor('the dead letter', async () => dead.length === 1, 10_000);
        assert.deepEqual(dead, ['deadline_passed']);
      });
    });
  });
}
