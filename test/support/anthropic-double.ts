import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Anthropic Messages API (`POST /v1/messages`), speaking its wire format:
 * the Message object with `text` and `tool_use` content blocks and a `usage` block with the cache
 * counters, and the documented error envelope
 * `{"type":"error","error":{"type":...,"message":...},"request_id":"req_..."}` with a
 * `request-id` header on every response. Point the SDK's `baseURL` (or ANTHROPIC_BASE_URL) at
 * `url`. Replies come from per-model scripts, then the shared script, then the responder.
 */

export const DOUBLE_API_KEY = 'sk-ant-api03-double-0000000000000000000000';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface UsageScript {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type ContentScript =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: unknown; id?: string };

interface Timing {
  /** Milliseconds to wait before answering; the reply is dropped if the client goes away. */
  delayMs?: number;
}

export interface MessageReply extends Timing {
  kind: 'message';
  content: ContentScript[];
  stopReason?: StopReason;
  /** Fields given here win; missing ones are computed from the request (see `usage` below). */
  usage?: UsageScript;
  model?: string;
}

export interface ErrorReply extends Timing {
  kind: 'error';
  status: number;
  errorType: string;
  message: string;
  /** Seconds, sent as the `retry-after` header. */
  retryAfter?: number;
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Any status and body, for malformed answers (a proxy's HTML page, truncated JSON). */
export interface RawReply extends Timing {
  kind: 'raw';
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Never answers; the client's own timeout has to end the request. */
export interface HangReply {
  kind: 'hang';
}

export type ScriptedReply = MessageReply | ErrorReply | RawReply | HangReply;

export interface RecordedRequest {
  method: string;
  path: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** The parsed JSON body (the raw text when it was not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read deep into recorded bodies; typing every shape would only hide them
  body: any;
  receivedAt: number;
  /** The `request-id` this double answered with. */
  requestId: string;
}

export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface AnthropicDoubleOptions {
  /** The key the client must send as `x-api-key` or `authorization: Bearer`. */
  apiKey?: string;
  /** Answers requests no script covers; default: a short text reply. */
  respond?: Responder;
  /**
   * Prompt caching is simulated: the prefix up to the last `cache_control` breakpoint (tools, then
   * system, then messages) is written on first sight and read afterwards, for 5 minutes. The API
   * ignores breakpoints on prefixes shorter than a model-dependent minimum (1,024 tokens for most
   * models); this is that minimum.
   */
  cacheMinTokens?: number;
}

export interface AnthropicDouble {
  url: string;
  apiKey: string;
  /** Every request received, in order, including rejected ones. */
  requests: RecordedRequest[];
  /** Queues replies for any model. */
  script(...replies: ScriptedReply[]): void;
  /** Queues replies used only for requests naming `model`; they go before the shared queue. */
  scriptModel(model: string, ...replies: ScriptedReply[]): void;
  /** Replaces the responder used once scripts run out. */
  setResponder(respond: Responder): void;
  /** Scripted replies not used yet. */
  pending(): number;
  /** Requests to `/v1/messages` for one model (or all). */
  messageRequests(model?: string): RecordedRequest[];
  close(): Promise<void>;
}

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** Roughly what the tokenizer counts: about four characters of English or JSON per token. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.ceil(text.length / 4);
}

export async function startAnthropicDouble(options: AnthropicDoubleOptions = {}): Promise<AnthropicDouble> {
  const apiKey = options.apiKey ?? DOUBLE_API_KEY;
  const cacheMinTokens = options.cacheMinTokens ?? 1024;
  let respond: Responder = options.respond ?? (() => reply.text('This is the Anthropic double.'));
  const shared: ScriptedReply[] = [];
  const perModel = new Map<string, ScriptedReply[]>();
  const requests: RecordedRequest[] = [];
  const promptCache = new Map<string, number>();
  const organizationId = randomUUID();

  function nextReply(req: RecordedRequest): ScriptedReply | Promise<ScriptedReply> {
    const model = typeof req.body?.model === 'string' ? req.body.model : '';
    const own = perModel.get(model);
    if (own && own.length > 0) return own.shift()!;
    if (shared.length > 0) return shared.shift()!;
    return respond(req);
  }

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // kept as text: the 400 below says it was not JSON
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
    }
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers,
      body,
      receivedAt: Date.now(),
      requestId: `req_${base62(24)}`,
    };
    requests.push(recorded);
    const baseHeaders = {
      'request-id': recorded.requestId,
      'anthropic-organization-id': organizationId,
    };

    const rejection = checkRequest(recorded, apiKey);
    if (rejection) return send(res, rejection, baseHeaders, recorded);

    const scripted = await nextReply(recorded);
    if (scripted.kind === 'hang') return;
    if (scripted.delayMs && scripted.delayMs > 0) {
      const finished = await waitUnlessClosed(res, scripted.delayMs);
      if (!finished) return;
    }
    send(res, scripted, baseHeaders, recorded);
  });

  function send(
    res: http.ServerResponse,
    scripted: Exclude<ScriptedReply, HangReply>,
    baseHeaders: Record<string, string>,
    recorded: RecordedRequest,
  ): void {
    if (res.destroyed) return;
    if (scripted.kind === 'raw') {
      res.writeHead(scripted.status, { ...baseHeaders, ...scripted.headers });
      res.end(scripted.body);
      return;
    }
    if (scripted.kind === 'error') {
      const headers: Record<string, string> = {
        ...baseHeaders,
        'content-type': 'application/json',
        ...scripted.headers,
      };
      if (scripted.retryAfter !== undefined) headers['retry-after'] = String(scripted.retryAfter);
      const error: Record<string, unknown> = { type: scripted.errorType, message: scripted.message };
      if (scripted.details) error.details = scripted.details;
      res.writeHead(scripted.status, headers);
      res.end(JSON.stringify({ type: 'error', error, request_id: recorded.requestId }));
      return;
    }
    const message = buildMessage(scripted, recorded.body, promptCache, cacheMinTokens);
    res.writeHead(200, { ...baseHeaders, 'content-type': 'application/json' });
    res.end(JSON.stringify(message));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    script: (...replies) => {
      shared.push(...replies);
    },
    scriptModel: (model, ...replies) => {
      const queue = perModel.get(model) ?? [];
      queue.push(...replies);
      perModel.set(model, queue);
    },
    setResponder: (next) => {
      respond = next;
    },
    pending: () => shared.length + [...perModel.values()].reduce((n, q) => n + q.length, 0),
    messageRequests: (model) =>
      requests.filter((r) => r.path === '/v1/messages' && (model === undefined || r.body?.model === model)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The checks the real API makes before it thinks: route, credentials, version header, body shape. */
function checkRequest(req: RecordedRequest, apiKey: string): ErrorReply | undefined {
  if (req.method !== 'POST' || req.path !== '/v1/messages') {
    return errorReply(404, 'not_found_error', `Not found: ${req.method} ${req.path}`);
  }
  const bearer = req.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
  const key = req.headers['x-api-key'] ?? bearer;
  if (key !== apiKey) return reply.authenticationError();
  if (!req.headers['anthropic-version']) {
    return reply.invalidRequest('anthropic-version: header is required');
  }
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return reply.invalidRequest('The request body is not valid JSON.');
  }
  if (typeof body.model !== 'string' || body.model === '')
    return reply.invalidRequest('model: Field required');
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
    return reply.invalidRequest('max_tokens: Field required and must be a positive integer');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return reply.invalidRequest('messages: at least one message is required');
  }
  for (const [i, m] of body.messages.entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') {
      return reply.invalidRequest(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
  }
  if (body.messages[0].role !== 'user')
    return reply.invalidRequest('messages: first message must use the "user" role');
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return reply.invalidRequest('tools: Input should be a valid list');
    for (const [i, t] of body.tools.entries()) {
      if (typeof t?.name !== 'string' || !TOOL_NAME.test(t.name)) {
        return reply.invalidRequest(
          `tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`,
        );
      }
      if (t.input_schema?.type !== 'object') {
        return reply.invalidRequest(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
      }
    }
  }
  if (body.stream === true) return reply.invalidRequest('stream: the double answers without streaming only');
  return undefined;
}

/** The parts of a request body the double reads, once checkRequest has accepted it. */
interface WireBody {
  model: string;
  max_tokens: number;
  system?: string | unknown[];
  messages: { role: string; content?: unknown }[];
  tools?: unknown[];
}

function buildMessage(
  scripted: MessageReply,
  body: WireBody,
  promptCache: Map<string, number>,
  cacheMinTokens: number,
): Record<string, unknown> {
  const content = scripted.content.map((block) =>
    block.type === 'text'
      ? { type: 'text', text: block.text }
      : { type: 'tool_use', id: block.id ?? `toolu_${base62(24)}`, name: block.name, input: block.input },
  );
  const computed = computeUsage(body, content, promptCache, cacheMinTokens);
  const usage = {
    input_tokens: scripted.usage?.input_tokens ?? computed.input_tokens,
    cache_creation_input_tokens:
      scripted.usage?.cache_creation_input_tokens ?? computed.cache_creation_input_tokens,
    cache_read_input_tokens: scripted.usage?.cache_read_input_tokens ?? computed.cache_read_input_tokens,
    output_tokens: scripted.usage?.output_tokens ?? computed.output_tokens,
  };
  return {
    id: `msg_${base62(24)}`,
    type: 'message',
    role: 'assistant',
    model: scripted.model ?? body.model,
    content,
    stop_reason:
      scripted.stopReason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      ...usage,
      cache_creation: {
        ephemeral_5m_input_tokens: usage.cache_creation_input_tokens,
        ephemeral_1h_input_tokens: 0,
      },
      service_tier: 'standard',
    },
  };
}

/**
 * Usage as the API reports it: `input_tokens` counts only what came after the last cache
 * breakpoint; the cached prefix is counted as written (first time) or read (later).
 */
function computeUsage(
  body: WireBody,
  content: unknown[],
  promptCache: Map<string, number>,
  cacheMinTokens: number,
): Required<UsageScript> {
  const parts: unknown[] = [
    ...(Array.isArray(body.tools) ? body.tools : []),
    ...(typeof body.system === 'string' ? [{ type: 'text', text: body.system }] : (body.system ?? [])),
    ...body.messages.flatMap((m) =>
      typeof m.content === 'string' ? [m.content] : ((m.content as unknown[]) ?? []),
    ),
  ];
  const total = estimateTokens(parts);
  let lastBreakpoint = -1;
  parts.forEach((p, i) => {
    if (p && typeof p === 'object' && (p as { cache_control?: unknown }).cache_control) lastBreakpoint = i;
  });
  // The API stops generating at max_tokens, so it never bills more output than that.
  const output = Math.min(Math.max(1, estimateTokens(content)), body.max_tokens);
  if (lastBreakpoint < 0) {
    return {
      input_tokens: total,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: output,
    };
  }
  const prefix = parts.slice(0, lastBreakpoint + 1);
  const prefixTokens = estimateTokens(prefix);
  if (prefixTokens < cacheMinTokens) {
    return {
      input_tokens: total,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: output,
    };
  }
  const key = createHash('sha256')
    .update(`${body.model}\n${JSON.stringify(prefix)}`)
    .digest('hex');
  const now = Date.now();
  const hit = (promptCache.get(key) ?? 0) > now;
  // A hit refreshes the entry's five-minute lifetime, as the API does.
  promptCache.set(key, now + 5 * 60_000);
  const rest = Math.max(0, total - prefixTokens);
  return {
    input_tokens: rest,
    cache_creation_input_tokens: hit ? 0 : prefixTokens,
    cache_read_input_tokens: hit ? prefixTokens : 0,
    output_tokens: output,
  };
}

function waitUnlessClosed(res: http.ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function base62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += BASE62[b % 62];
  return out;
}

function errorReply(
  status: number,
  errorType: string,
  message: string,
  extra: Partial<ErrorReply> = {},
): ErrorReply {
  return { kind: 'error', status, errorType, message, ...extra };
}

/** Builders for scripted replies, named after what the API does. */
export const reply = {
  text(text: string, extra: Partial<Omit<MessageReply, 'kind' | 'content'>> = {}): MessageReply {
    return { kind: 'message', content: [{ type: 'text', text }], ...extra };
  },
  toolUse(
    name: string,
    input: unknown,
    extra: Partial<Omit<MessageReply, 'kind' | 'content'>> & { id?: string; text?: string } = {},
  ): MessageReply {
    const { id, text, ...rest } = extra;
    const content: ContentScript[] = [];
    if (text) content.push({ type: 'text', text });
    content.push({ type: 'tool_use', name, input, ...(id ? { id } : {}) });
    return { kind: 'message', content, stopReason: 'tool_use', ...rest };
  },
  message(
    content: ContentScript[],
    extra: Partial<Omit<MessageReply, 'kind' | 'content'>> = {},
  ): MessageReply {
    return { kind: 'message', content, ...extra };
  },
  invalidRequest(message = 'messages: field required', extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(400, 'invalid_request_error', message, extra);
  },
  /** The 400 sent when a spend limit set in the Console is reached. */
  usageLimitReached(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(
      400,
      'invalid_request_error',
      'You have reached your specified API usage limits. You will regain access on 2030-01-01 at 00:00 UTC.',
      extra,
    );
  },
  authenticationError(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(401, 'authentication_error', 'invalid x-api-key', extra);
  },
  permissionError(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(
      403,
      'permission_error',
      'Your API key does not have permission to use the specified resource.',
      extra,
    );
  },
  rateLimited(retryAfterSeconds?: number, extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(
      429,
      'rate_limit_error',
      'Number of request tokens has exceeded your per-minute rate limit (https://docs.claude.com/en/api/rate-limits); see the response headers for current usage.',
      retryAfterSeconds === undefined ? extra : { retryAfter: retryAfterSeconds, ...extra },
    );
  },
  /** The organization's tier spend cap: a 429 with an error code and no `retry-after`. */
  spendLimitReached(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(
      429,
      'rate_limit_error',
      "This request would exceed your organization's monthly usage limit for its API tier. Access resumes at the start of next month.",
      { details: { error_code: 'enforced_spend_limit_reached' }, ...extra },
    );
  },
  apiError(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(500, 'api_error', 'Internal server error', extra);
  },
  overloaded(extra: Partial<ErrorReply> = {}): ErrorReply {
    return errorReply(529, 'overloaded_error', 'Overloaded', extra);
  },
  raw(status: number, body: string, headers: Record<string, string> = {}): RawReply {
    return { kind: 'raw', status, body, headers };
  },
  hang(): HangReply {
    return { kind: 'hang' };
  },
};
