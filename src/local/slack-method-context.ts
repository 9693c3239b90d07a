import type { SlackChannel, SlackDirectory } from './slack-directory.ts';
import type { SlackMessageStore } from './slack-message-store.ts';
import { SlackMethodError } from './slack-method-error.ts';
import type { SlackViewStore } from './slack-view-store.ts';
import type { SlackWorkspaceIdentity } from './slack-workspace-identity.ts';

/**
 * What a Web API method of the Slack double sees: the workspace's state, a clock, and its
 * arguments as Slack received them (strings from a form body, JSON values from a JSON body).
 * The helpers read arguments the way Slack does: booleans as `true`/`1`, JSON-valued fields
 * either as JSON text (form bodies) or as values (JSON bodies).
 */

export type Json = Record<string, unknown>;
export type SlackArgs = Record<string, unknown>;

/** What the person was viewing when they opened (or moved with) the assistant container. */
export interface AssistantThreadContext {
  channel_id?: string;
  team_id?: string;
  enterprise_id?: string | null;
}

export interface AssistantThreadState {
  /** Who opened the thread (threads opened through `openAssistantThread`). */
  user?: string;
  context?: AssistantThreadContext;
  status?: string;
  loadingMessages?: string[];
  prompts?: Array<{ title: string; message: string }>;
  promptsTitle?: string;
  title?: string;
}

export interface SlackMethodContext {
  identity: SlackWorkspaceIdentity;
  directory: SlackDirectory;
  messages: SlackMessageStore;
  views: SlackViewStore;
  /** Assistant thread status, suggested prompts and title, keyed by `channel:thread_ts` of the root. */
  assistantThreads: Map<string, AssistantThreadState>;
  now(): number;
  nextTs(): string;
  /** Trigger ids already exchanged for a view, and who each was minted for (when known). */
  triggers: { exchanged: Set<string>; users: Map<string, string> };
  /** How long a trigger id stays usable; null disables the check (Slack: 3 seconds). */
  triggerTtlMs: number | null;
  /** Scopes the token was granted; undefined grants every scope. */
  scopes: ReadonlySet<string> | undefined;
}

export type SlackMethodHandler = (args: SlackArgs, ctx: SlackMethodContext) => Json;

export function stringArg(args: SlackArgs, name: string): string | undefined {
  const value = args[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export function flagArg(args: SlackArgs, name: string): boolean {
  const value = args[name];
  return value === true || value === 'true' || value === '1' || value === 1;
}

export function intArg(args: SlackArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args[name];
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw !== '' ? Number(raw) : fallback;
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(n)));
}

/** A JSON-valued argument: undefined when absent, INVALID_JSON when its text is not JSON. */
export function jsonArg(args: SlackArgs, name: string): unknown {
  const value = args[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return INVALID_JSON;
  }
}

export const INVALID_JSON = Symbol('invalid JSON');

/** Slack's answer to a channel that is missing, unknown or not visible. */
export function requireChannel(
  ctx: SlackMethodContext,
  ref: string | undefined,
  error = 'channel_not_found',
) {
  const channel = ref ? ctx.directory.channel(ref) : undefined;
  if (!channel) throw new SlackMethodError(error);
  return channel;
}

/** Refuses with `missing_scope` when the token lacks every one of the scopes that would do. */
export function requireScope(ctx: SlackMethodContext, ...anyOf: string[]): void {
  if (!ctx.scopes || anyOf.length === 0 || anyOf.some((s) => ctx.scopes!.has(s))) return;
  throw new SlackMethodError('missing_scope', {
    needed: anyOf.join(','),
    provided: [...ctx.scopes].join(','),
  });
}

/** The history scope that reading a conversation needs, by its kind. */
export function historyScope(channel: SlackChannel): string {
  if (channel.isIm) return 'im:history';
  return channel.isPrivate ? 'groups:history' : 'channels:history';
}
