/**
 * One error module for the whole project. Every error Sluice raises on purpose carries a stable
 * `code`, a message that says what was wrong and what to do, and whether retrying could help.
 * Vendor errors (Anthropic, Slack, pg) are mapped to these once, at the edge that calls them.
 */

export type ErrorCode =
  | 'config_invalid'
  | 'usage'
  | 'data_dir_in_use'
  | 'database_unavailable'
  | 'migration_checksum_mismatch'
  | 'migration_failed'
  | 'not_found'
  | 'invalid_input'
  | 'paused'
  | 'budget_exceeded'
  | 'model_unavailable'
  | 'model_output_invalid'
  | 'rate_limited'
  | 'upstream_failed'
  /** Slack answered `{ ok: false, error }`: it refused the call; `details.slackError` says why. */
  | 'slack_platform_error'
  /** Not authorised: an execution without an allowing decision or approval, a vote from a non-approver. */
  | 'forbidden'
  /** The same idempotency key or approval is already taken by something else (another payload, a running attempt). */
  | 'conflict'
  | 'internal';

export interface SluiceErrorOptions {
  /** Whether trying the same thing again later could succeed. */
  retryable?: boolean;
  /** Milliseconds the caller was told to wait before retrying, when known. */
  retryAfterMs?: number;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** Configuration that cannot be used; the message lists every problem at once. */
export class ConfigError extends SluiceError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('config_invalid', `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** A command line that cannot be run as written (exit code 2). */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  return error instanceof SluiceError;
}

/** Wraps anything thrown into a SluiceError, keeping the original as the cause. */
export function toSluiceError(error: unknown): SluiceError {
  if (error instanceof SluiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SluiceError('internal', message, { cause: error });
}

/** A short, single-line description for logs and replies. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
