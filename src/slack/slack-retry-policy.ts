import type { SluiceError } from '../errors.ts';

/**
 * How a single Slack call is retried inside the process. Short waits only: a rate limit asking
 * for longer than `maxRetryAfterMs`, or failures that outlast `maxAttempts`, go back to the
 * caller as retryable errors, and the durable layer (outbox, jobs) schedules the next try.
 * A call that is not idempotent (a post) is retried in-process only when Slack said it did not
 * act (a rate limit); after a timeout or a 5xx the outcome is unknown and the caller decides.
 */

export interface SlackRetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest `Retry-After` honoured in-process. */
  maxRetryAfterMs: number;
}

export const defaultSlackRetryPolicy: SlackRetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 2_000,
  maxRetryAfterMs: 3_000,
};

/** Milliseconds to wait before the next attempt, or undefined to give up after `attempt`. */
export function nextRetryDelay(
  error: SluiceError,
  attempt: number,
  idempotent: boolean,
  policy: SlackRetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (!error.retryable || attempt >= policy.maxAttempts) return undefined;
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // Jitter spreads the retries of many replicas hit by the same outage.
  const jittered = Math.round(backoff * (0.5 + random() * 0.5));
  if (error.code === 'rate_limited') {
    const wait = error.retryAfterMs ?? jittered;
    return wait <= policy.maxRetryAfterMs ? wait : undefined;
  }
  if (!idempotent && error.details?.outcome !== 'not_applied') return undefined;
  return jittered;
}
