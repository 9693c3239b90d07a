import { failureOf } from './provider-failure.ts';

/**
 * Our retry policy for one turn: a number of attempts, a deadline for all of them, and the
 * server's `retry-after` honoured up to a cap. Only failures the provider marked retryable are
 * retried; 400, 401, 403 and spend limits are thrown at once.
 */

export interface RetryPolicy {
  attempts: number;
  deadlineMs: number;
  retryAfterCapMs: number;
  /** First backoff when the server names no wait; doubles per attempt, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface RetryClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
}

export const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  random: Math.random,
};

export interface RetryOutcome {
  attempt: number;
  error: unknown;
  /** The wait before the next attempt, or undefined when this error ends the turn. */
  waitMs: number | undefined;
}

/** How long to wait after `error` on `attempt`, or undefined to give up now. */
export function nextWait(
  error: unknown,
  attempt: number,
  elapsedMs: number,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  const retryable = (error as { retryable?: unknown })?.retryable === true && failureOf(error) !== undefined;
  if (!retryable || attempt >= policy.attempts) return undefined;
  const told = (error as { retryAfterMs?: number }).retryAfterMs;
  const wait =
    typeof told === 'number' && told >= 0
      ? Math.min(told, policy.retryAfterCapMs)
      : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)) * (0.5 + random() / 2);
  if (elapsedMs + wait > policy.deadlineMs) return undefined;
  return Math.round(wait);
}

export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  clock: RetryClock,
  options: { signal?: AbortSignal; onFailure?: (outcome: RetryOutcome) => void } = {},
): Promise<T> {
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (error) {
      const waitMs = nextWait(error, attempt, clock.now() - started, policy, clock.random);
      options.onFailure?.({ attempt, error, waitMs });
      if (waitMs === undefined) throw error;
      await clock.sleep(waitMs, options.signal);
    }
  }
}
