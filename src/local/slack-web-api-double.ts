import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerSlackMethod } from './answer-slack-method.ts';
import { readRequestBody } from './read-request-body.ts';
import { readSlackApiRequest } from './slack-api-request.ts';
import { type OpenedAssistantThread, openAssistantThread } from './slack-assistant-methods.ts';
import { createSlackDirectory, type SlackDirectory, type SlackDirectorySeed } from './slack-directory.ts';
import { createSlackFailureRules, type FailureHandle, type SlackFailure } from './slack-failure-rules.ts';
import { createTsClock, mintTriggerId } from './slack-ids.ts';
import {
  createSlackMessageStore,
  type SlackMessageChange,
  type SlackMessageStore,
} from './slack-message-store.ts';
import type {
  AssistantThreadContext,
  AssistantThreadState,
  SlackMethodContext,
} from './slack-method-context.ts';
import { createSlackResponseUrls, type ResponseUrlTarget } from './slack-response-urls.ts';
import { createSlackViewStore, type SlackViewStore } from './slack-view-store.ts';
import { type SlackWorkspaceIdentity, workspaceIdentity } from './slack-workspace-identity.ts';

/**
 * A DOUBLE OF SLACK: an HTTP server that speaks the subset of Slack's Web API Sluice calls, in
 * Slack's wire format, with a workspace behind it (people, channels, messages, threads, views).
 * The test suite points `@slack/web-api` at `url` (its `slackApiUrl`); the local workspace uses it
 * as the Slack that people without Slack talk to. It records every call, mints `response_url`s,
 * and fails on demand (see slack-failure-rules.ts). It is not Slack: limits and errors follow
 * Slack's documentation, and where Slack documents nothing the double says so in its comments.
 */

export interface SlackWebApiDoubleOptions {
  /** Default 0: any free port. */
  port?: number;
  host?: '127.0.0.1';
  identity?: Partial<SlackWorkspaceIdentity>;
  /** Tokens accepted besides the identity's bot token. */
  tokens?: string[];
  seed?: SlackDirectorySeed;
  /** Scopes granted to the token; when set, methods outside them answer `missing_scope`. */
  scopes?: string[];
  now?: () => number;
  /** Slack lets a trigger id be exchanged for 3 seconds; null turns the check off. */
  triggerTtlMs?: number | null;
  responseUrlTtlMs?: number;
  responseUrlMaxUses?: number;
}

export interface SlackDoubleCall {
  /** The Web API method, or `response_url` for a post to a response URL. */
  method: string;
  /** Arguments as received; JSON-valued fields (blocks, view, metadata, ...) decoded. */
  args: Record<string, unknown>;
  headers: Record<string, string>;
  token: string | undefined;
  /** The double's clock, in milliseconds since the epoch. */
  time: number;
  status: number;
  /** The body answered (parsed JSON), or undefined when the connection was dropped. */
  response: unknown;
  /** For `response_url` calls: what the URL was minted for. */
  responseUrl?: { url: string; target?: ResponseUrlTarget };
}

export type SlackDoubleChange = SlackMessageChange | { kind: 'api_call'; call: SlackDoubleCall };

export interface SlackWebApiDouble {
  /** The Web API base, ending in `/api/`: pass it as `slackApiUrl` / SLACK_API_URL. */
  readonly url: string;
  readonly origin: string;
  readonly identity: SlackWorkspaceIdentity;
  /** The bot token the double accepts. */
  readonly token: string;
  readonly calls: SlackDoubleCall[];
  callsTo(method: string): SlackDoubleCall[];
  readonly messages: SlackMessageStore;
  readonly views: SlackViewStore;
  readonly directory: SlackDirectory;
  /** Status, suggested prompts and title of assistant threads, keyed by `channel:thread_ts`. */
  readonly assistantThreads: ReadonlyMap<string, AssistantThreadState>;
  /**
   * Slack's side of a person opening the assistant container: a new thread in their DM with the
   * app. Send the app `assistantThreadStartedEvent` (slack-payloads.ts) for it.
   */
  openAssistantThread(userId: string, context?: AssistantThreadContext): OpenedAssistantThread;
  /** A new response URL for one command or interaction. */
  responseUrl(target: ResponseUrlTarget): string;
  /** A trigger id for `views.open`; knowing the user lets the double put the modal on their screen. */
  mintTriggerId(userId?: string): string;
  fail(method: string, failure: SlackFailure): FailureHandle;
  clearFailures(): void;
  onChange(listener: (change: SlackDoubleChange) => void): () => void;
  /** Forgets calls, messages, views and failures; the directory returns to its seed. */
  reset(): void;
  close(): Promise<void>;
}

export async function startSlackWebApiDouble(
  options: SlackWebApiDoubleOptions = {},
): Promise<SlackWebApiDouble> {
  const identity = workspaceIdentity(options.identity);
  const now = options.now ?? Date.now;
  const tokens = new Set([identity.botToken, ...(options.tokens ?? [])]);
  const listeners = new Set<(change: SlackDoubleChange) => void>();
  const emit = (change: SlackDoubleChange) => {
    for (const listener of listeners) listener(change);
  };
  let origin = '';
  const nextTs = createTsClock(now);
  const directory = createSlackDirectory(
    identity,
    options.seed,
    (id, size) => `${origin}/avatars/${id}_${size}.png`,
  );
  const messages = createSlackMessageStore(nextTs, emit);
  const views = createSlackViewStore(identity, now);
  const assistantThreads = new Map<string, AssistantThreadState>();
  const triggers = { exchanged: new Set<string>(), users: new Map<string, string>() };
  const failures = createSlackFailureRules();
  const responseUrls = createSlackResponseUrls({
    identity,
    directory,
    messages,
    origin: () => origin,
    now,
    ttlMs: options.responseUrlTtlMs ?? 30 * 60_000,
    maxUses: options.responseUrlMaxUses ?? 5,
  });
  const context: SlackMethodContext = {
    identity,
    directory,
    messages,
    views,
    assistantThreads,
    now,
    nextTs,
    triggers,
    triggerTtlMs: options.triggerTtlMs === undefined ? 3000 : options.triggerTtlMs,
    scopes: options.scopes ? new Set(options.scopes) : undefined,
  };
  const calls: SlackDoubleCall[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function record(call: SlackDoubleCall): void {
    calls.push(call);
    emit({ kind: 'api_call', call });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    // A client that gave up (a timeout) closes the response before it is written.
    let clientGone = false;
    res.on('close', () => {
      clientGone = !res.writableFinished;
    });
    const url = new URL(req.url ?? '/', origin);
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
    );
    const body = await readRequestBody(req);
    const isApi = url.pathname.startsWith('/api/');
    const isResponseUrl = req.method === 'POST' && /^\/(commands|actions)\//.test(url.pathname);
    if (!isApi && !isResponseUrl) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const method = isApi ? decodeURIComponent(url.pathname.slice('/api/'.length)) : 'response_url';
    const request = isApi ? readSlackApiRequest({ method, url, headers, body }) : undefined;
    const base = {
      method,
      args: request?.args ?? objectOf(parseLoose(body)),
      headers,
      token: request?.token,
      time: now(),
      ...(isResponseUrl ? { responseUrl: { url: `${origin}${url.pathname}` } } : {}),
    };

    const planned = failures.take(method);
    if (planned?.delayMs) await sleep(planned.delayMs);
    if (clientGone) return;
    if (planned?.dropConnection) {
      record({ ...base, status: 0, response: undefined });
      req.socket.destroy();
      return;
    }
    if (planned?.response) {
      const { status, headers: failureHeaders, body: text } = planned.response;
      record({ ...base, status, response: parseLoose(text) });
      res.writeHead(status, failureHeaders).end(text);
      return;
    }

    if (isResponseUrl) {
      const answer = responseUrls.handle(url.pathname, body)!;
      record({
        ...base,
        responseUrl: { url: base.responseUrl!.url, target: answer.target },
        status: answer.status,
        response: answer.body,
      });
      res
        .writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(answer.body));
      return;
    }
    const answer = answerSlackMethod(request!, context, tokens);
    record({ ...base, status: 200, response: answer });
    const responseHeaders: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (context.scopes) responseHeaders['x-oauth-scopes'] = [...context.scopes].join(',');
    res.writeHead(200, responseHeaders).end(JSON.stringify(answer));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ ok: false, error: 'fatal_error', detail: String(error) }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.address}:${address.port}`;

  return {
    url: `${origin}/api/`,
    origin,
    identity,
    token: identity.botToken,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages,
    views,
    directory,
    assistantThreads,
    openAssistantThread: (userId, threadContext) => openAssistantThread(context, userId, threadContext),
    responseUrl: (target) => responseUrls.mint(target),
    mintTriggerId(userId) {
      const triggerId = mintTriggerId(now());
      if (userId) triggers.users.set(triggerId, userId);
      return triggerId;
    },
    fail: (method, failure) => failures.add(method, failure),
    clearFailures: () => failures.clear(),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    reset() {
      calls.length = 0;
      directory.clear();
      messages.clear();
      views.clear();
      assistantThreads.clear();
      triggers.exchanged.clear();
      triggers.users.clear();
      failures.clear();
      responseUrls.clear();
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      listeners.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
