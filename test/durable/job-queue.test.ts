import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '../../src/errors.ts';
import { createJobQueue, type DeadLetterContext, type JobQueue } from '../../src/jobs/job-queue.ts';
import { retryDelayWindow } from '../../src/jobs/retry-policy.ts';
import { databaseTargets } from '../support/test-database.ts';
import { createTestLogger } from '../support/test-logger.ts';
import { waitFor } from './support/durable-harness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polling (0.5 s) and supervision (1 s) add to every wait; this is how late an attempt may be. */
const SLACK_MS = 900;

for (const target of databaseTargets()) {
  describe(`the job queue (${target.name})`, () => {
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

    it('retries a failing job with exponential backoff and jitter, then dead-letters it after maxAttempts', async () => {
      await withQueue(async (queue) => {
        const policy = { maxAttempts: 3, baseDelaySeconds: 1, maxDelaySeconds: 8, leaseSeconds: 30 };
        await queue.define('flaky', policy);
        const attempts: Array<{ attempt: number; at: number }> = [];
        const dead: DeadLetterContext<{ n: number }>[] = [];
        await queue.work<{ n: number }>(
          'flaky',
          async (job) => {
            attempts.push({ attempt: job.attempt, at: Date.now() });
            throw new SluiceError('upstream_failed', 'still down', { retryable: true });
          },
          { concurrency: 1, onDeadLetter: async (job) => void dead.push(job) },
        );
        await queue.enqueue('flaky', { n: 1 });
        await waitFor('the dead letter', async () => dead.length === 1, 20_000);
        assert.deepEqual(
          attempts.map((a) => a.attempt),
          [1, 2, 3],
        );
        assert.equal(dead[0]!.reason, 'attempts_exhausted');
        assert.equal(dead[0]!.attempt, 3);
        for (const n of [1, 2]) {
          const gap = attempts[n]!.at - attempts[n - 1]!.at;
          const window = retryDelayWindow({ ...policy, deadlineSeconds: 3600 }, n);
          assert.ok(
            gap >= window.min * 1000 - 50,
            `retry ${n} came after ${gap} ms, before its window [${window.min}, ${window.max}) s`,
          );
          assert.ok(
            gap <= window.max * 1000 + SLACK_MS,
            `retry ${n} came after ${gap} ms, after its window [${window.min}, ${window.max}) s`,
          );
        }
        // The hook runs first; the move to the dead-letter queue follows when the attempt settles.
        const letters = await waitFor('the dead-letter queue', async () => {
          const found = await queue.deadLetters('flaky');
          return found.length === 1 ? found : undefined;
        });
        assert.deepEqual(letters[0]!.payload, { n: 1 });
        assert.equal(letters[0]!.attempts, 3);
        assert.match(JSON.stringify(letters[0]!.error), /still down/);
      });
    });

    it('sends a non-retryable error straight to the dead-letter queue, and a redrive completes it exactly once', async () => {
      await withQueue(async (queue) => {
        await queue.define('strict', { maxAttempts: 5, baseDelaySeconds: 1 });
        let fixed = false;
        const calls: Array<{ attempt: number; redriven: boolean }> = [];
        const dead: string[] = [];
        await queue.work<{ id: string }>(
          'strict',
          async (job) => {
            calls.push({ attempt: job.attempt, redriven: job.redriven });
            if (!fixed) throw new SluiceError('invalid_input', 'bad payload', { retryable: false });
          },
          { concurrency: 1, onDeadLetter: async (job) => void dead.push(job.reason) },
        );
        await queue.enqueue('strict', { id: 'a' });
        await waitFor('the dead letter', async () => dead.length === 1);
        await sleep(1500);
        assert.deepEqual(calls, [{ attempt: 1, redriven: false }], 'a non-retryable error is not retried');
        assert.deepEqual(dead, ['non_retryable']);
        const letter = (
          await waitFor('the dead-letter queue', async () => {
            const found = await queue.deadLetters('strict');
            return found.length === 1 ? found : undefined;
          })
        )[0]!;
        fixed = true;
        assert.equal(await queue.redrive(letter.id), true);
        await waitFor('the redriven job', async () => calls.length === 2);
        await sleep(1500);
        assert.deepEqual(calls, [
          { attempt: 1, redriven: false },
          { attempt: 1, redriven: true },
        ]);
        assert.deepEqual(await queue.deadLetters('strict'), []);
        assert.equal(await queue.redrive(letter.id), false, 'a dead letter is redriven once');
      });
    });

    it('runs at most `concurrency` jobs of a kind at once, and skips jobs when told to', async () => {
      await withQueue(async (queue) => {
        await queue.define('bounded');
        let running = 0;
        let peak = 0;
        const done: number[] = [];
        await queue.work<{ n: number }>(
          'bounded',
          async (job) => {
            running++;
            peak = Math.max(peak, running);
            await sleep(300);
            running--;
            done.push(job.payload.n);
          },
          { concurrency: 2, skipWhen: async (p) => (p.n === 99 ? 'skipped for the test' : null) },
        );
        for (const n of [1, 2, 3, 4, 5, 6, 99]) await queue.enqueue('bounded', { n });
        queue.wake('bounded');
        await waitFor('six jobs', async () => done.length === 6, 15_000);
        await sleep(700);
        assert.equal(peak, 2);
        assert.deepEqual([...done].sort(), [1, 2, 3, 4, 5, 6]);
      });
    });

    it('keeps at most one queued or running job per key for a keyed kind', async () => {
      await withQueue(async (queue) => {
        await queue.define('keyed', { uniqueByKey: true });
        const first = await queue.enqueue('keyed', { a: 1 }, { key: 'k1' });
        const second = await queue.enqueue('keyed', { a: 2 }, { key: 'k1' });
        const other = await queue.enqueue('keyed', { a: 3 }, { key: 'k2' });
        assert.ok(first);
        assert.equal(second, null);
        assert.ok(other);
        await assert.rejects(queue.enqueue('keyed', { a: 4 }), /needs a key/);
      });
    });
  });
}
