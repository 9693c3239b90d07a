import { SluiceError } from '../errors.ts';
import { httpFailure, platformRefusal, rateLimited } from './map-slack-error.ts';

/**
 * One JSON post to a `response_url` (replies to slash commands and interactions). No token goes
 * with it: the URL is the credential. Because the URL arrives inside a request, it is only
 * followed to Slack's hooks host or to an origin configured as trusted (the local workspace),
 * never wherever a payload points, and redirects are refused.
 */

export interface ResponseUrlMessage {
  text?: string;
  blocks?: ReadonlyArray<{ type: string }>;
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
}

export const SLACK_HOOKS_ORIGIN = 'https://hooks.slack.com';

export async function postToResponseUrl(
  url: string,
  message: ResponseUrlMessage,
  options: { allowedOrigins: readonly string[]; timeoutMs: number; attempt: number },
): Promise<void> {
  const method = 'response_url';
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SluiceError('invalid_input', 'The response_url is not a URL', { details: { method } });
  }
  if (!options.allowedOrigins.includes(target.origin)) {
    throw new SluiceError('invalid_input', `Refusing to post to a response_url on ${target.origin}`, {
      details: { method, origin: target.origin },
    });
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timeout = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    throw new SluiceError(
      'upstream_failed',
      timeout
        ? 'Slack did not answer a response_url post in time'
        : 'Could not reach Slack for a response_url post',
      {
        retryable: true,
        cause: error,
        details: {
          method,
          attempt: options.attempt,
          reason: timeout ? 'timeout' : 'network',
          outcome: 'unknown',
        },
      },
    );
  }
  const text = await response.text();
  if (response.status === 429) {
    const seconds = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    throw rateLimited(method, options.attempt, Number.isNaN(seconds) ? undefined : seconds * 1000);
  }
  if (response.status >= 500) throw httpFailure(method, options.attempt, response.status);
  const body = parseBody(text);
  if (response.status !== 200 || body.ok === false) {
    throw platformRefusal(method, options.attempt, body);
  }
}

/** Slack answers with JSON or with a bare word (`ok`, `expired_url`, ...). */
function parseBody(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) return parsed as Record<string, unknown>;
  } catch {}
  return text.trim() === 'ok' ? { ok: true } : { ok: false, error: text.trim() || 'unknown_error' };
}
