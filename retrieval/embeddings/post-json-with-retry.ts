import { SluiceError } from '../../src/errors.ts';

/**
 * POSTs JSON to an embeddings API, retrying what can succeed later (network errors, timeouts,
 * 408, 429, 5xx) with exponential backoff and jitter, honouring Retry-After. Other 4xx answers
 * fail at once with the API's own message. The API key never appears in an error.
 */

export interface RetryOptions {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 60_000,
};

export interface PostJsonDeps {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  retry?: Partial<RetryOptions>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function postJsonWithRetry(
  label: string,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  deps: PostJsonDeps = {},
): Promise<unknown> {
  const retry = { ...DEFAULT_RETRY, ...deps.retry };
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? wait;
  let last: SluiceError | undefined;
  for (let attempt = 1; attempt <= retry.maxAttempts; attempt++) {
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(retry.timeoutMs),
      });
      if (response.ok) return await response.json();
      const text = (await response.text()).slice(0, 500);
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      last = new SluiceError(
        response.status === 429 ? 'rate_limited' : 'upstream_failed',
        `${label} answered ${response.status}: ${text || response.statusText}`,
        { retryable, retryAfterMs, details: { status: response.status } },
      );
      if (!retryable) throw last;
    } catch (error) {
      if (error instanceof SluiceError && !error.retryable) throw error;
      if (!(error instanceof SluiceError)) {
        last = new SluiceError('upstream_failed', `${label} unreachable: ${(error as Error).message}`, {
          retryable: true,
          cause: error,
        });
      }
    }
    if (attempt < retry.maxAttempts) {
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
      await sleep(retryAfterMs ?? backoff / 2 + Math.random() * (backoff / 2));
    }
  }
  throw new SluiceError(
    'upstream_failed',
    `${last?.message ?? label} (gave up after ${retry.maxAttempts} attempts)`,
    {
      retryable: true,
      cause: last,
    },
  );
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
