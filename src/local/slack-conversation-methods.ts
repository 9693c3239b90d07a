import { parseSlackTs } from './slack-ids.ts';
import type { SlackMessage } from './slack-message-store.ts';
import {
  flagArg,
  historyScope,
  intArg,
  type Json,
  requireChannel,
  requireScope,
  type SlackArgs,
  type SlackMethodContext,
  type SlackMethodHandler,
  stringArg,
} from './slack-method-context.ts';
import { SlackMethodError } from './slack-method-error.ts';

/**
 * `conversations.history` and `conversations.replies`: newest-first history without thread
 * replies, threads parent-first, `oldest`/`latest`/`inclusive`, `limit`, and cursors in Slack's
 * own shape (base64 of `next_ts:<ts digits>`). Message metadata is returned only when
 * `include_all_metadata` is set: a reconciler that forgets the flag finds no markers here, as it
 * would find none in Slack.
 */

function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts.replace('.', '')}`).toString('base64');
}

function decodeCursor(cursor: string): bigint {
  const match = /^next_ts:(\d{7,18})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new SlackMethodError('invalid_cursor');
  return BigInt(match[1]!);
}

interface Window {
  oldest: bigint;
  latest: bigint;
  inclusive: boolean;
}

function readWindow(args: SlackArgs, ctx: SlackMethodContext): Window {
  const oldestArg = stringArg(args, 'oldest');
  const latestArg = stringArg(args, 'latest');
  const oldest = oldestArg ? parseSlackTs(oldestArg) : 0n;
  const latest = latestArg ? parseSlackTs(latestArg) : BigInt(Math.floor(ctx.now())) * 1000n + 1_000_000n;
  if (oldest === undefined) throw new SlackMethodError('invalid_ts_oldest');
  if (latest === undefined) throw new SlackMethodError('invalid_ts_latest');
  return { oldest, latest, inclusive: flagArg(args, 'inclusive') };
}

function inWindow(message: SlackMessage, window: Window): boolean {
  const ts = parseSlackTs(message.ts)!;
  return window.inclusive
    ? ts >= window.oldest && ts <= window.latest
    : ts > window.oldest && ts < window.latest;
}

function forReading(message: SlackMessage, includeMetadata: boolean): Json {
  const copy: Json = structuredClone(message);
  if (!includeMetadata) delete copy.metadata;
  return copy;
}

function readableChannel(ctx: SlackMethodContext, args: SlackArgs) {
  const channel = requireChannel(ctx, stringArg(args, 'channel'));
  requireScope(ctx, historyScope(channel));
  if (!ctx.directory.isMember(channel, ctx.identity.botUserId)) throw new SlackMethodError('not_in_channel');
  return channel;
}

/** A page of messages from `ordered`, starting at the cursor, and the cursor of the next page. */
function page(ordered: SlackMessage[], args: SlackArgs, limit: number, newestFirst: boolean) {
  const cursorArg = stringArg(args, 'cursor');
  let start = 0;
  if (cursorArg) {
    const from = decodeCursor(cursorArg);
    const index = ordered.findIndex((m) => {
      const ts = parseSlackTs(m.ts)!;
      return newestFirst ? ts <= from : ts >= from;
    });
    start = index < 0 ? ordered.length : index;
  }
  const items = ordered.slice(start, start + limit);
  const next = ordered[start + limit];
  return { items, hasMore: next !== undefined, nextCursor: next ? encodeCursor(next.ts) : undefined };
}

const history: SlackMethodHandler = (args, ctx) => {
  const channel = readableChannel(ctx, args);
  const window = readWindow(args, ctx);
  const limit = intArg(args, 'limit', 100, 1, 999);
  const includeMetadata = flagArg(args, 'include_all_metadata');
  const ordered = ctx.messages
    .channel(channel.id)
    .filter((m) => inWindow(m, window))
    .reverse();
  const { items, hasMore, nextCursor } = page(ordered, args, limit, true);
  return {
    messages: items.map((m) => forReading(m, includeMetadata)),
    has_more: hasMore,
    pin_count: 0,
    channel_actions_ts: null,
    channel_actions_count: 0,
    ...(stringArg(args, 'latest') ? { latest: stringArg(args, 'latest') } : {}),
    ...(stringArg(args, 'oldest') ? { oldest: stringArg(args, 'oldest') } : {}),
    ...(nextCursor ? { response_metadata: { next_cursor: nextCursor } } : {}),
  };
};

const replies: SlackMethodHandler = (args, ctx) => {
  const channel = readableChannel(ctx, args);
  const ts = stringArg(args, 'ts');
  const named = ts ? ctx.messages.find(channel.id, ts) : undefined;
  if (!named) throw new SlackMethodError('thread_not_found');
  // `ts` may name a reply; Slack answers with the whole thread it belongs to.
  const parentTs = named.thread_ts ?? named.ts;
  const [parent, ...rest] = ctx.messages.thread(channel.id, parentTs);
  if (!parent) throw new SlackMethodError('thread_not_found');
  const window = readWindow(args, ctx);
  const limit = intArg(args, 'limit', 1000, 1, 1000);
  const includeMetadata = flagArg(args, 'include_all_metadata');
  const { items, hasMore, nextCursor } = page(
    rest.filter((m) => inWindow(m, window)),
    args,
    limit,
    false,
  );
  const head = forReading(parent, includeMetadata);
  if (parent.reply_count) head.subscribed = false;
  return {
    messages: [head, ...items.map((m) => forReading(m, includeMetadata))],
    has_more: hasMore,
    ...(nextCursor ? { response_metadata: { next_cursor: nextCursor } } : {}),
  };
};

export const conversationMethods: Record<string, SlackMethodHandler> = {
  'conversations.history': history,
  'conversations.replies': replies,
};
