/**
 * How a job kind is retried. The delay before retry n (n = 1 for the first retry) is drawn from
 * [base * 2^(n-1), base * 2^n) seconds ("equal jitter"), capped at `maxDelaySeconds`. A job is
 * dead-lettered when an attempt fails with a non-retryable error, when `maxAttempts` attempts
 * have failed, or when it is still failing `deadlineSeconds` after it was enqueued (or redriven).
 */
export interface RetryPolicy {
  /** Attempts (handler runs) before the job is dead-lettered. */
  maxAttempts: number;
  /** The first retry waits between this and twice this, in whole seconds (at least 1). */
  baseDelaySeconds: number;
  /** No retry waits longer than this. */
  maxDelaySeconds: number;
  /**
   * The lease: how long an attempt may run before the job is presumed lost (a killed worker) and
   * retried. Must exceed the longest honest attempt.
   */
  leaseSeconds: number;
  /** After this long, a failing job is dead-lettered whatever its attempts. */
  deadlineSeconds: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelaySeconds: 2,
  maxDelaySeconds: 300,
  leaseSeconds: 300,
  deadlineSeconds: 24 * 60 * 60,
};

/** The window the delay before retry `n` (1-based) is drawn from, in seconds. */
export function retryDelayWindow(policy: RetryPolicy, n: number): { min: number; max: number } {
  const base = Math.max(1, Math.round(policy.baseDelaySeconds)) * 2 ** Math.min(16, n - 1);
  return { min: Math.min(policy.maxDelaySeconds, base), max: Math.min(policy.maxDelaySeconds, base * 2) };
}

export function resolveRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...defaultRetryPolicy, ...overrides };
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 1)
      throw new Error(`retry policy ${name} must be a number >= 1 (got ${value})`);
  }
  return policy;
}
