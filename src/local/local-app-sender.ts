import {
  encodeEvent,
  encodeInteraction,
  encodeSlashCommand,
  type SlackInboundRequest,
  signedHeaders,
} from './slack-inbound-request.ts';

/**
 * Delivers what a person does on the local workspace page to Sluice the way Slack would: a
 * request to the app's `/slack/events` URL, encoded and signed (v0) with the app's signing
 * secret, and given Slack's three seconds to be answered. Nothing reaches Sluice any other way.
 */

export interface AppAnswer {
  status: number;
  /** The raw body the app answered with ('' when none). */
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: Record<string, unknown> | undefined;
  /** Set when Slack would report a failure to the person: the app was too slow or unreachable. */
  failure?: 'operation_timeout' | 'dispatch_failed' | `http_status_${number}`;
}

export interface LocalAppSender {
  command(fields: Record<string, string>): Promise<AppAnswer>;
  event(payload: Record<string, unknown>): Promise<AppAnswer>;
  interaction(payload: Record<string, unknown>): Promise<AppAnswer>;
}

export function createLocalAppSender(options: {
  /** Sluice's `/slack/events` URL; a function when the port is only known after listening. */
  url: string | (() => string);
  signingSecret: string;
  /** Slack waits three seconds for an acknowledgement. */
  timeoutMs?: number;
}): LocalAppSender {
  const timeoutMs = options.timeoutMs ?? 3000;

  async function send(request: SlackInboundRequest): Promise<AppAnswer> {
    const url = typeof options.url === 'function' ? options.url() : options.url;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: signedHeaders(request, options.signingSecret),
        body: request.body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return {
        status: 0,
        body: '',
        json: undefined,
        failure: timedOut ? 'operation_timeout' : 'dispatch_failed',
      };
    }
    const body = await response.text();
    return {
      status: response.status,
      body,
      json: parseObject(body),
      ...(response.ok ? {} : { failure: `http_status_${response.status}` as const }),
    };
  }

  return {
    command: (fields) => send(encodeSlashCommand(fields)),
    event: (payload) => send(encodeEvent(payload)),
    interaction: (payload) => send(encodeInteraction(payload)),
  };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
