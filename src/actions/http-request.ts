import { z } from 'zod';
import { SluiceError } from '../errors.ts';
import { redactSecrets } from '../logger.ts';
import { type ActionDefinition, defineAction, runStepKey } from './define-action.ts';
import type { Endpoint } from './endpoints-file.ts';
import { renderUrlTemplate } from './url-template.ts';

/**
 * `http.request`: calls one configured endpoint by name. The model never supplies a URL, a
 * method or a header; it picks an endpoint and fills that endpoint's parameters. Every call
 * carries the idempotency key as an `Idempotency-Key` header, so if an attempt dies before its
 * outcome is recorded, calling again under the same key is safe for servers that honour it.
 * Redirects are not followed: a 3xx could lead off the configured host.
 */

export interface HttpRequestDeps {
  endpoints: readonly Endpoint[];
  fetch?: typeof fetch;
}

type Fetch = typeof fetch;

export function createHttpRequestAction(deps: HttpRequestDeps): ActionDefinition {
  const byName = new Map(deps.endpoints.map((e) => [e.name, e]));
  const names = [...byName.keys()];
  const doFetch: Fetch = deps.fetch ?? ((input, init) => fetch(input, init));
  const endpointName =
    names.length > 0
      ? z.enum(names as [string, ...string[]], { error: `endpoint must be one of ${names.join(', ')}` })
      : z.string().refine(() => false, 'no HTTP endpoints are configured (set SLUICE_ENDPOINTS_FILE)');

  const input = z
    .strictObject({
      endpoint: endpointName.describe('The configured endpoint to call'),
      params: z
        .record(z.string(), z.unknown())
        .default({})
        .describe("The endpoint's parameters, per its schema"),
    })
    .superRefine((value, ctx) => {
      const endpoint = byName.get(value.endpoint);
      if (!endpoint) return;
      const parsed = endpoint.paramsSchema.safeParse(value.params);
      if (parsed.success) return;
      for (const issue of parsed.error.issues) {
        ctx.addIssue({ code: 'custom', path: ['params', ...issue.path], message: issue.message });
      }
    });

  return defineAction({
    name: 'http.request',
    description: describeEndpoints(deps.endpoints),
    input,
    risk: 'high',
    riskOf: (value) => byName.get(value.endpoint)?.risk ?? 'high',
    idempotencyKey: runStepKey,
    retryUnknownOutcome: true,
    timeoutMs: Math.max(1000, ...deps.endpoints.map((e) => e.timeoutMs)) + 1000,
    baselineMinutes: 10,
    async execute(value, ctx) {
      const endpoint = byName.get(value.endpoint);
      if (!endpoint) throw new SluiceError('invalid_input', `unknown endpoint ${value.endpoint}`);
      const params = endpoint.paramsSchema.parse(value.params);
      const url = renderUrlTemplate(endpoint.url, params);
      const headers: Record<string, string> = {
        ...endpoint.headers(),
        'Idempotency-Key': ctx.idempotencyKey,
        'User-Agent': 'sluice',
      };
      let body: string | undefined;
      if (endpoint.body === 'json') {
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
          headers['Content-Type'] = 'application/json';
        body = JSON.stringify(params);
      }
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(endpoint.timeoutMs)]);
      const started = performance.now();
      let response: Response;
      try {
        response = await doFetch(url, { method: endpoint.method, headers, body, signal, redirect: 'manual' });
      } catch (error) {
        const timedOut = signal.aborted;
        throw new SluiceError(
          'upstream_failed',
          timedOut
            ? `${endpoint.method} ${endpoint.name} timed out after ${endpoint.timeoutMs} ms`
            : `${endpoint.method} ${endpoint.name} failed: ${scrub((error as Error).message, endpoint)}`,
          { retryable: true, cause: error },
        );
      }
      const { text, truncated } = await readLimited(response, endpoint.maxResponseChars);
      const status = response.status;
      const ok = status >= 200 && status < 300;
      return {
        ok,
        retryable: !ok && (status >= 500 || status === 429 || status === 408),
        summary: `${endpoint.method} ${endpoint.name} -> ${status}${status >= 300 && status < 400 ? ' (redirect not followed)' : ''}`,
        data: {
          endpoint: endpoint.name,
          method: endpoint.method,
          url,
          status,
          body: scrub(text, endpoint),
          bodyTruncated: truncated,
          durationMs: Math.round(performance.now() - started),
        },
      };
    },
  });
}

function scrub(text: string, endpoint: Endpoint): string {
  let out = text;
  for (const secret of endpoint.secretValues()) if (secret) out = out.split(secret).join('[redacted]');
  return redactSecrets(out);
}

/** Reads at most about `maxChars` characters of the body and drops the rest unread. */
async function readLimited(
  response: Response,
  maxChars: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const limit = maxChars * 4 + 4;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      if (bytes > limit) {
        truncated = true;
        break;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  if (text.length > maxChars) return { text: text.slice(0, maxChars), truncated: true };
  return { text, truncated };
}

function describeEndpoints(endpoints: readonly Endpoint[]): string {
  const lines = endpoints.map(
    (e) => `- ${e.name} (${e.method}): ${e.description} Params schema: ${JSON.stringify(e.paramsJsonSchema)}`,
  );
  return [
    'Call one of the HTTP endpoints the operators configured. Choose the endpoint by name and give its params;',
    'you never give a URL, method or header.',
    lines.length > 0 ? `Endpoints:\n${lines.join('\n')}` : 'No endpoints are configured.',
  ].join(' ');
}
