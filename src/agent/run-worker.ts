import type { Database, Queryable } from '../db/database.ts';
import type { JobKindOptions, JobQueue, JobSpec } from '../jobs/job-queue.ts';
import type { Logger } from '../logger.ts';
import type { RunProcessor } from './run-processor.ts';
import { WORKING_STATES } from './run-state.ts';

/**
 * Runs as jobs: one job kind, `run`, whose payload names the run. At most one job per run is
 * queued or running (the run id is the job key), a job that fails is retried by the queue, and
 * a job given up dead-letters its run. A sweeper re-enqueues runs that sit in a working state
 * with no job (a job lost in a way the queue could not see), which the job key keeps harmless.
 */

export const RUN_JOB_KIND = 'run';

export interface RunJobPayload {
  runId: string;
}

export async function defineRunJobs(
  queue: JobQueue,
  policy: Omit<JobKindOptions, 'uniqueByKey'> = {},
): Promise<void> {
  await queue.define(RUN_JOB_KIND, { uniqueByKey: true, ...policy });
}

/** For the processor: enqueue a run's job inside a transaction. */
export function runEnqueuer(queue: JobQueue): (tx: Queryable, runId: string) => Promise<string | null> {
  return (tx, runId) => queue.enqueue<RunJobPayload>(RUN_JOB_KIND, { runId }, { key: runId, tx });
}

/** For the inbox: a new run's job, inserted with the request in one statement. */
export function runJobSpec(runId: string): JobSpec {
  const payload: RunJobPayload = { runId };
  return { kind: RUN_JOB_KIND, payload, key: runId };
}

export async function startRunWorker(input: {
  queue: JobQueue;
  processor: RunProcessor;
  concurrency: number;
}): Promise<void> {
  const { queue, processor } = input;
  await queue.work<RunJobPayload>(RUN_JOB_KIND, (job) => processor.advance(job.payload.runId, job), {
    concurrency: input.concurrency,
    onDeadLetter: (job) => processor.deadLetter(job.payload.runId, { reason: job.reason, error: job.error }),
  });
}

/** Sends a dead-lettered run's job back to the queue; false when the run has no dead letter. */
export async function redriveRun(queue: JobQueue, runId: string): Promise<boolean> {
  const letters = await queue.deadLetters(RUN_JOB_KIND);
  const letter = letters.find((l) => (l.payload as RunJobPayload | null)?.runId === runId);
  return letter ? queue.redrive(letter.id) : false;
}

export interface StalledRunSweeper {
  /** Enqueues a job for every stalled run found; returns the runs enqueued. */
  sweep(): Promise<string[]>;
  stop(): void;
}

/**
 * Finds runs in a working state that have no job (queued, retrying, running, or dead-lettered
 * and waiting for a redrive) and enqueues one for each. A run always gets its job in the same
 * statement or transaction that puts it in a working state, so this only finds a job lost some
 * other way: the process that resolved an approval died while the job that had parked the run
 * still held the run's key (src/agent/resolve-approval.ts), or a job row was removed by hand.
 * The job key makes a race with a worker harmless: a second job for a run is refused.
 */
export function startStalledRunSweeper(input: {
  db: Database;
  queue: JobQueue;
  logger: Logger;
  /** A run changed more recently than this is left alone (its job may still be committing). */
  stalledAfterMs?: number;
  intervalMs?: number;
  /** Runs enqueued per sweep at most; the rest wait for the next. */
  batchSize?: number;
}): StalledRunSweeper {
  const stalledAfterMs = input.stalledAfterMs ?? 60_000;
  const stalledSql = `
    SELECT r.id FROM runs r
     WHERE r.state = ANY($1::text[]) AND r.updated_at < clock_timestamp() - $2 * interval '1 millisecond'
       AND NOT ${input.queue.hasJobSql(RUN_JOB_KIND, 'r.id::text')}
     ORDER BY r.updated_at LIMIT $3::int`;
  // Behind Slack's acks on the embedded database, like the workers' own statements.
  const sweep = () => input.db.withPriority('background', sweepOnce);
  const sweepOnce = async () => {
    const stalled = await input.db.query<{ id: string }>(stalledSql, [
      [...WORKING_STATES],
      stalledAfterMs,
      input.batchSize ?? 100,
    ]);
    const enqueued: string[] = [];
    for (const { id } of stalled.rows) {
      const job = await input.queue.enqueue<RunJobPayload>(RUN_JOB_KIND, { runId: id }, { key: id });
      if (job) enqueued.push(id);
    }
    if (enqueued.length > 0) {
      input.logger.warn(
        { runs: enqueued },
        `${enqueued.length} stalled run(s) had no job; enqueued them again`,
      );
      input.queue.wake(RUN_JOB_KIND);
    }
    return enqueued;
  };
  const timer = setInterval(() => {
    sweep().catch((error: unknown) => input.logger.error({ err: error }, 'stalled-run sweep failed'));
  }, input.intervalMs ?? 30_000);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
