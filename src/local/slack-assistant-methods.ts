import type { SlackMessage } from './slack-message-store.ts';
import {
  type AssistantThreadContext,
  INVALID_JSON,
  jsonArg,
  requireScope,
  type SlackArgs,
  type SlackMethodContext,
  type SlackMethodHandler,
  stringArg,
} from './slack-method-context.ts';
import { invalidArguments, SlackMethodError } from './slack-method-error.ts';

/**
 * Slack's assistant surface, as the Web API reference documents it: `assistant.threads.setStatus`,
 * `assistant.threads.setSuggestedPrompts` and `assistant.threads.setTitle`, and Slack's own side
 * of a person opening the assistant container (`openAssistantThread`): a new thread in their DM
 * with the app, rooted in an `assistant_app_thread` message titled "Chats from <date>".
 *
 * Checks, in order: the scope (`assistant:write`; `setStatus` also takes `chat:write`, which the
 * reference announces will become its only scope), the required arguments (`invalid_arguments`),
 * the channel (`channel_not_found`, "Invalid channel_id") and the thread (`invalid_thread_ts`,
 * "Thread not found"). Not documented, so not emulated: refusing a thread that exists but is not
 * an assistant thread.
 */

const MAX_PROMPTS = 4;
const MAX_LOADING_MESSAGES = 10;

function requiredText(args: SlackArgs, name: string): string {
  const value = stringArg(args, name);
  if (value === undefined) throw invalidArguments(`missing required field: ${name}`);
  return value;
}

function requireThreadChannel(args: SlackArgs, ctx: SlackMethodContext) {
  const channel = ctx.directory.channel(requiredText(args, 'channel_id'));
  if (!channel || !ctx.directory.isMember(channel, ctx.identity.botUserId)) {
    throw new SlackMethodError('channel_not_found', { detail: 'Invalid channel_id' });
  }
  return channel;
}

/** The thread's root message; a `thread_ts` naming a reply means that reply's thread. */
function requireThreadRoot(channelId: string, threadTs: string, ctx: SlackMethodContext): SlackMessage {
  const named = ctx.messages.find(channelId, threadTs);
  const root = named?.thread_ts ? ctx.messages.find(channelId, named.thread_ts) : named;
  if (!root || root.subtype === 'tombstone') {
    throw new SlackMethodError('invalid_thread_ts', { detail: 'Thread not found' });
  }
  return root;
}

function threadState(ctx: SlackMethodContext, channelId: string, threadTs: string) {
  const key = `${channelId}:${threadTs}`;
  let state = ctx.assistantThreads.get(key);
  if (!state) {
    state = {};
    ctx.assistantThreads.set(key, state);
  }
  return state;
}

const setStatus: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'assistant:write', 'chat:write');
  const status = requiredText(args, 'status');
  const threadTs = requiredText(args, 'thread_ts');
  const loading = jsonArg(args, 'loading_messages');
  if (
    loading !== undefined &&
    (!Array.isArray(loading) ||
      loading.length > MAX_LOADING_MESSAGES ||
      !loading.every((m) => typeof m === 'string'))
  ) {
    throw invalidArguments(
      `must provide at most ${MAX_LOADING_MESSAGES} loading messages, each a string [json-pointer:/loading_messages]`,
    );
  }
  const channel = requireThreadChannel(args, ctx);
  const root = requireThreadRoot(channel.id, threadTs, ctx);
  const state = threadState(ctx, channel.id, root.ts);
  // An empty status clears it, as a reply from the app does.
  if (status === '') delete state.status;
  else state.status = status;
  if (Array.isArray(loading)) state.loadingMessages = loading as string[];
  return {};
};

const setSuggestedPrompts: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'assistant:write');
  const prompts = jsonArg(args, 'prompts');
  if (prompts === undefined) throw invalidArguments('missing required field: prompts');
  const valid =
    prompts !== INVALID_JSON &&
    Array.isArray(prompts) &&
    prompts.length >= 1 &&
    prompts.length <= MAX_PROMPTS &&
    prompts.every(
      (p) => typeof p === 'object' && p && typeof p.title === 'string' && typeof p.message === 'string',
    );
  if (!valid) {
    throw invalidArguments(
      `must provide 1 to ${MAX_PROMPTS} prompts, each with title and message [json-pointer:/prompts]`,
    );
  }
  const channel = requireThreadChannel(args, ctx);
  // Without thread_ts the reference says the prompts go to the channel's latest message.
  const threadTs = stringArg(args, 'thread_ts') || ctx.messages.channel(channel.id).at(-1)?.ts;
  if (!threadTs) throw new SlackMethodError('message_not_found');
  const root = requireThreadRoot(channel.id, threadTs, ctx);
  const state = threadState(ctx, channel.id, root.ts);
  state.prompts = (prompts as Array<{ title: string; message: string }>).map(({ title, message }) => ({
    title,
    message,
  }));
  state.promptsTitle = stringArg(args, 'title');
  return {};
};

const setTitle: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'assistant:write');
  const title = requiredText(args, 'title');
  const threadTs = requiredText(args, 'thread_ts');
  const channel = requireThreadChannel(args, ctx);
  const root = requireThreadRoot(channel.id, threadTs, ctx);
  threadState(ctx, channel.id, root.ts).title = title;
  if (root.assistant_app_thread) {
    ctx.messages.update(channel.id, root.ts, {
      assistant_app_thread: { ...root.assistant_app_thread, title },
    });
  }
  return {};
};

export const assistantMethods: Record<string, SlackMethodHandler> = {
  'assistant.threads.setStatus': setStatus,
  'assistant.threads.setSuggestedPrompts': setSuggestedPrompts,
  'assistant.threads.setTitle': setTitle,
};

export interface OpenedAssistantThread {
  /** The DM between the person and the app. */
  channel: string;
  threadTs: string;
  user: string;
  context: AssistantThreadContext;
}

/**
 * What Slack does when a person opens the assistant container: a new thread in their DM with the
 * app whose root is an `assistant_app_thread` message by them. The caller sends the app the
 * `assistant_thread_started` event (slack-payloads.ts builds it).
 */
export function openAssistantThread(
  ctx: SlackMethodContext,
  userId: string,
  context: AssistantThreadContext = {},
): OpenedAssistantThread {
  if (!ctx.directory.user(userId)) throw new Error(`no user ${userId} in the Slack double`);
  const im = ctx.directory.channel(userId)!;
  const title = `Chats from ${new Date(ctx.now()).toISOString()}`;
  const root = ctx.messages.post(im.id, {
    user: userId,
    team: ctx.identity.teamId,
    subtype: 'assistant_app_thread',
    text: title,
    assistant_app_thread: { title, title_blocks: [], artifacts: [] },
  });
  ctx.assistantThreads.set(`${im.id}:${root.ts}`, { user: userId, context });
  return { channel: im.id, threadTs: root.ts, user: userId, context };
}

/** Slack clears an assistant thread's status when the app replies in it. */
export function clearStatusOnReply(ctx: SlackMethodContext, channelId: string, threadTs: string): void {
  const root = ctx.messages.find(channelId, threadTs);
  const state = ctx.assistantThreads.get(`${channelId}:${root?.thread_ts ?? threadTs}`);
  if (state) delete state.status;
}
