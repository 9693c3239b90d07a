import Anthropic from '@anthropic-ai/sdk';
import type { SluiceError } from '../errors.ts';
import { type ProviderFailure, parseRetryAfter, providerError } from './provider-failure.ts';

/** Error codes Anthropic sends (in `error.details.error_code`) when money, not load, is the limit. */
const SPEND_LIMIT_CODES = new Set([
  'enforced_spend_limit_reached',
  'contract_spend_limit_reached',
  'linked_organization_spend_limit_reached',
]);

/**
 * Maps whatever the SDK threw to a SluiceError once, here at the edge. The SDK's own retries are
 * off (maxRetries 0); what is retried, and for how long, is the gateway's decision.
 */
export function mapAnthropicError(error: unknown): SluiceError {
  if (error instanceof Anthropic.APIUserAbortError) {
    return providerError(
      'the model call was cancelled',
      { failure: 'aborted', provider: 'anthropic' },
      error,
    );
  }
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return providerError('the model call timed out', { failure: 'timeout', provider: 'anthropic' }, error);
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return providerError(
      `could not reach Anthropic: ${error.message}`,
      { failure: 'connection', provider: 'anthropic' },
      error,
    );
  }
  if (error instanceof Anthropic.APIError) {
    const status = error.status ?? 0;
    const failure = classify(status, error.errorCode, error.apiMessage);
    return providerError(
      `Anthropic answered ${status} ${error.type ?? 'error'}: ${error.apiMessage ?? 'no message'}`,
      {
        failure,
        provider: 'anthropic',
        status,
        requestId: error.requestID ?? null,
        errorCode: error.errorCode,
        ...(failure === 'rate_limited' ? { retryAfterMs: parseRetryAfter(error.headers) } : {}),
      },
      error,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return providerError(
    `unreadable answer from Anthropic: ${message}`,
    { failure: 'bad_response', provider: 'anthropic' },
    error,
  );
}

function classify(status: number, errorCode: string | null, apiMessage: string | null): ProviderFailure {
  if (errorCode && SPEND_LIMIT_CODES.has(errorCode)) return 'spend_limit';
  // A spend limit set in the Console comes back as a 400 whose message says so; no code yet.
  if (
    status === 400 &&
    apiMessage &&
    /reached your specified (workspace )?API usage limits/i.test(apiMessage)
  ) {
    return 'spend_limit';
  }
  if (status === 402) return 'spend_limit';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}
