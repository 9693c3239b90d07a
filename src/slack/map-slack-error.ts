import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
} from '@slack/web-api';
import { SluiceError } from '../errors.ts';

/**
 * The one place where what Slack's Web API client throws becomes a SluiceError:
 * - HTTP 429 -> `rate_limited`, retryable, `retryAfterMs` from `Retry-After`;
 * - HTTP 5xx, timeouts and network failures -> `upstream_failed`, retryable;
 * - `{ ok: false, error }` -> `slack_platform_error`, not retryable, Slack's error in
 *   `details.slackError` (except the few errors Slack documents as transient or as rate limits).
 * `details.outcome` says whether Slack may have acted: `not_applied` when Slack answered that it
 * did not, `unknown` when the answer never came or was a server error. A caller that must not
 * act twice (a post) reconciles an `unknown` outcome before trying again.
 */

export type SlackCallOutcome = 'not_applied' | 'unknown';

/** Platform errors Slack's reference describes as transient ("likely due to a transient issue"). */
const TRANSIENT_PLATFORM_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);
/** Platform errors that are rate limits answered with HTTP 200 (e.g. chat.postMessage's `rate_limited`). */
const RATE_LIMIT_PLATFORM_ERRORS = new Set(['ratelimited', 'rate_limited']);

export interface SlackErrorContext {
  method: string;
  /** Which attempt failed (1 for the first). */
  attempt: number;
}

export function mapSlackError(error: unknown, context: SlackErrorContext): SluiceError {
  const { method, attempt } = context;
  if (error instanceof SluiceError) return error;
  if (error instanceof WebAPIRateLimitedError)
    return rateLimited(method, attempt, error.retryAfter * 1000, error);
  if (error instanceof WebAPIHTTPError) return httpFailure(method, attempt, error.statusCode, error);
  if (error instanceof WebAPIRequestError) {
    const reason =
      error.original.name === 'TimeoutError' || error.original.name === 'AbortError' ? 'timeout' : 'network';
    const message =
      reason === 'timeout'
        ? `Slack did not answer ${method} in time; it may or may not have acted`
        : `Could not reach Slack for ${method}: ${error.original.message}`;
    return new SluiceError('upstream_failed', message, {
      retryable: true,
      cause: error,
      details: { method, attempt, reason, outcome: 'unknown' satisfies SlackCallOutcome },
    });
  }
  if (error instanceof WebAPIPlatformError) return platformFailure(method, attempt, error);
  // WebClient rejects a 429 that has no usable Retry-After with a plain Error.
  if (error instanceof Error && error.message.startsWith('Retry header did not contain a valid timeout')) {
    return rateLimited(method, attempt, undefined, error);
  }
  return new SluiceError('upstream_failed', `Slack call ${method} failed: ${describe(error)}`, {
    retryable: false,
    cause: error,
    details: { method, attempt, reason: 'unexpected', outcome: 'unknown' satisfies SlackCallOutcome },
  });
}

export function rateLimited(
  method: string,
  attempt: number,
  retryAfterMs: number | undefined,
  cause?: unknown,
): SluiceError {
  const wait = retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(retryAfterMs / 1000)} s`;
  return new SluiceError('rate_limited', `Slack rate-limited ${method}${wait}`, {
    retryable: true,
    retryAfterMs,
    cause,
    details: { method, attempt, outcome: 'not_applied' satisfies SlackCallOutcome },
  });
}

export function httpFailure(method: string, attempt: number, status: number, cause?: unknown): SluiceError {
  if (status === 429) return rateLimited(method, attempt, undefined, cause);
  const serverSide = status >= 500;
  return new SluiceError('upstream_failed', `Slack answered ${method} with HTTP ${status}`, {
    retryable: serverSide,
    cause,
    details: {
      method,
      attempt,
      status,
      outcome: (serverSide ? 'unknown' : 'not_applied') satisfies SlackCallOutcome,
    },
  });
}

/** A refusal in Slack's envelope, from the Web API or a response URL. */
export function platformRefusal(
  method: string,
  attempt: number,
  data: { error?: unknown; needed?: unknown; provided?: unknown; response_metadata?: unknown },
  cause?: unknown,
): SluiceError {
  const slackError = typeof data.error === 'string' ? data.error : 'unknown_error';
  const metadata = (data.response_metadata ?? {}) as { messages?: unknown; retryAfter?: unknown };
  if (RATE_LIMIT_PLATFORM_ERRORS.has(slackError)) {
    const retryAfterMs = typeof metadata.retryAfter === 'number' ? metadata.retryAfter * 1000 : undefined;
    return rateLimited(method, attempt, retryAfterMs, cause);
  }
  const transient = TRANSIENT_PLATFORM_ERRORS.has(slackError);
  return new SluiceError(
    transient ? 'upstream_failed' : 'slack_platform_error',
    `Slack refused ${method}: ${slackError}`,
    {
      retryable: transient,
      cause,
      details: {
        method,
        attempt,
        slackError,
        outcome: (transient ? 'unknown' : 'not_applied') satisfies SlackCallOutcome,
        ...(typeof data.needed === 'string' ? { needed: data.needed } : {}),
        ...(typeof data.provided === 'string' ? { provided: data.provided } : {}),
        ...(Array.isArray(metadata.messages) ? { messages: metadata.messages.map(String) } : {}),
      },
    },
  );
}

function platformFailure(method: string, attempt: number, error: WebAPIPlatformError): SluiceError {
  return platformRefusal(method, attempt, error.data, error);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
