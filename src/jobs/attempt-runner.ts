import type { JobWithMetadata } from 'pg-boss';
import { isSluiceError } from '../errors.ts';
import { type Logger, redactSecrets } from '../logger.ts';
import type { DeadLetterContext, JobContext, WorkOptions } from './job-queue.ts';
import type { RetryPolicy } from './retry-policy.ts';

/**
 * One attempt of one job: decides, around the handler, whether the job completes, is retried, or
 * is given up (the dead-letter hook first, then pg-boss moves it to the dead-letter queue).
 * See ARCHITECTURE.md for the extra attempt that only runs the hook.
 */

type JobResult = { id: string; status: 'completed' | 'failed' | 'deadletter'; output?: object };

export function createAttemptRunner<P extends object>(
  kind: string,
  policy: RetryPolicy,
  handler: (job: JobContext<P>) => Promise<void>,
  options: WorkOptions<P>,
  logger: Logger,
  signal: AbortSignal,
): (job: JobWithMetadata<object>) => Promise<JobResult> {
  return async (job) => {
    const attempt = job.retryCount + 1;
    const payload = job.data as P;
    const log = logger.child({ job: job.id, kind, attempt });
    const deadline = job.createdOn.getTime() + policy.deadlineSeconds * 1000;
    const giveUp = async (reason: DeadLetterContext<P>['reason'], error: unknown): Promise<JobResult> => {
      log.error({ err: error, reason }, `job dead-lettered (${reason})`);
      try {
        await options.onDeadLetter?.({ jobId: job.id, kind, payload, attempt, reason, error });
      } catch (hookError) {
        log.error({ err: hookError }, 'the dead-letter hook failed; the job is dead-lettered anyway');
      }
      return { id: job.id, status: 'deadletter', output: { reason, ...describe(error) } };
    };

    if (attempt > policy.maxAttempts) {
      return giveUp(
        'attempt_lost',
        new Error(`attempt ${attempt - 1} of ${policy.maxAttempts} did not finish (worker lost?)`),
      );
    }
    if (Date.now() > deadline) {
      return giveUp(
        'deadline_passed',
        new Error(`the job's deadline of ${policy.deadlineSeconds} s has passed`),
      );
    }
    try {
      const skip = await options.skipWhen?.(payload);
      if (skip) {
        log.info({ reason: skip }, 'job skipped');
        return { id: job.id, status: 'completed', output: { skipped: skip } };
      }
      await handler({
        id: job.id,
        kind,
        payload,
        attempt,
        maxAttempts: policy.maxAttempts,
        redriven: job.sourceRootId !== null && job.sourceRootId !== undefined,
        signal: AbortSignal.any([signal, job.signal]),
      });
      return { id: job.id, status: 'completed' };
    } catch (error) {
      if (isSluiceError(error) && !error.retryable) return giveUp('non_retryable', error);
      if (attempt >= policy.maxAttempts) return giveUp('attempts_exhausted', error);
      if (Date.now() > deadline) return giveUp('deadline_passed', error);
      log.warn({ err: error }, `job attempt ${attempt} of ${policy.maxAttempts} failed; it will be retried`);
      return { id: job.id, status: 'failed', output: describe(error) };
    }
  };
}

function describe(error: unknown): { message: string; code?: string } {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  return isSluiceError(error) ? { message, code: error.code } : { message };
}
