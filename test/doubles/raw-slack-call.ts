import type { SlackWebApiDouble } from '../../src/local/slack-web-api-double.ts';

/**
 * Calls the Slack double over plain HTTP, without the SDK, to test its wire format: a form body
 * (what @slack/web-api sends) or a JSON body, with the token in the Authorization header unless
 * told otherwise.
 */
export interface RawCallOptions {
  body?: 'form' | 'json';
  /** null sends no Authorization header. */
  token?: string | null;
  /** Extra headers, e.g. a content type without charset. */
  headers?: Record<string, string>;
}

export async function rawSlackCall(
  double: SlackWebApiDouble,
  method: string,
  args: Record<string, unknown> = {},
  options: RawCallOptions = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const token = options.token === undefined ? double.token : options.token;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  let body: string;
  if (options.body === 'json') {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(args);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const form = Object.entries(args).map(([k, v]): [string, string] => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v),
    ]);
    body = new URLSearchParams(form).toString();
  }
  Object.assign(headers, options.headers);
  const response = await fetch(`${double.url}${method}`, { method: 'POST', headers, body });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
