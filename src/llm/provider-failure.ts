import { SluiceError } from '../errors.ts';

/**
 * What went wrong talking to a provider, decided once at the edge (each provider maps its own
 * errors here), so retry, breaker and fallback logic never look at vendor classes.
 */
export type ProviderFailure =
  | 'rate_limited'
  | 'spend_limit'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'bad_request'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'bad_response'
  | 'breaker_open'
  | 'aborted';

/** Worth another attempt at the same model. Spend limits, auth and our own bad requests never are. */
const retryable: ReadonlySet<ProviderFailure> = new Set([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connection',
]);

/** Says something about the model's availability, so it feeds the circuit breaker. */
const availability: ReadonlySet<ProviderFailure> = new Set([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connection',
  'bad_response',
]);

export interface ProviderErrorInfo {
  failure: ProviderFailure;
  provider: string;
  status?: number;
  requestId?: string | null;
  retryAfterMs?: number;
  errorCode?: string | null;
}

export function providerError(message: string, info: ProviderErrorInfo, cause?: unknown): SluiceError {
  const code =
    info.failure === 'rate_limited'
      ? 'rate_limited'
      : info.failure === 'bad_request' || info.failure === 'not_found' || info.failure === 'bad_response'
        ? 'upstream_failed'
        : 'model_unavailable';
  return new SluiceError(code, message, {
    retryable: retryable.has(info.failure),
    ...(info.retryAfterMs === undefined ? {} : { retryAfterMs: info.retryAfterMs }),
    cause,
    details: { ...info },
  });
}

/** The failure kind of an error a provider threw, or undefined for anything else. */
export function failureOf(error: unknown): ProviderFailure | undefined {
  if (!(error instanceof SluiceError)) return undefined;
  const failure = error.details?.failure;
  return typeof failure === 'string' ? (failure as ProviderFailure) : undefined;
}

export function countsAgainstBreaker(failure: ProviderFailure | undefined): boolean {
  return failure !== undefined && availability.has(failure);
}

/** `retry-after` is seconds or an HTTP date; `retry-after-ms` (sent by some proxies) wins. */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
