import { clearStatusOnReply } from './slack-assistant-methods.ts';
import { hasContent, NO_TEXT_FALLBACK, readMessageContent } from './slack-message-content.ts';
import type { SlackMessage } from './slack-message-store.ts';
import {
  flagArg,
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
 * `chat.postMessage`, `chat.postEphemeral`, `chat.update`, `chat.delete` and `chat.getPermalink` as the Web API
 * reference documents them: argument rules, the errors listed for each, and the response shapes
 * of the documented examples. Limits: `text` past 40,000 characters is truncated with the
 * `message_truncated` warning on post; `chat.update` refuses `text` past 4,000 (`msg_too_long`).
 */

const MAX_TEXT = 40_000;
const MAX_UPDATE_TEXT = 4_000;

/** The bot's message as Slack stores and echoes it for a bot token. */
function botFields(ctx: SlackMethodContext): Partial<SlackMessage> {
  const { identity } = ctx;
  return {
    user: identity.botUserId,
    bot_id: identity.botId,
    app_id: identity.appId,
    team: identity.teamId,
    bot_profile: {
      id: identity.botId,
      app_id: identity.appId,
      name: identity.botName,
      icons: { image_36: '', image_48: '', image_72: '' },
      deleted: false,
      updated: 1_700_000_000,
      team_id: identity.teamId,
    },
  };
}

function writableChannel(ctx: SlackMethodContext, args: SlackArgs) {
  requireScope(ctx, 'chat:write');
  const channel = requireChannel(ctx, stringArg(args, 'channel'));
  if (channel.isArchived) throw new SlackMethodError('is_archived');
  if (!ctx.directory.isMember(channel, ctx.identity.botUserId)) throw new SlackMethodError('not_in_channel');
  return channel;
}

const postMessage: SlackMethodHandler = (args, ctx) => {
  const channel = writableChannel(ctx, args);
  const content = readMessageContent(args);
  if (!hasContent(content)) throw new SlackMethodError('no_text');
  let text = content.text ?? (content.blocks?.length ? NO_TEXT_FALLBACK : '');
  const warnings: string[] = [];
  if (text.length > MAX_TEXT) {
    text = text.slice(0, MAX_TEXT);
    warnings.push('message_truncated');
  }
  const username = stringArg(args, 'username');
  const threadTs = stringArg(args, 'thread_ts') || undefined;
  const broadcast = threadTs !== undefined && flagArg(args, 'reply_broadcast');
  const message = ctx.messages.post(channel.id, {
    ...botFields(ctx),
    text,
    blocks: content.blocks,
    attachments: content.attachments,
    metadata: content.metadata ?? undefined,
    thread_ts: threadTs,
    // A custom name makes it the legacy `bot_message` the documented example shows.
    ...(username ? { username, subtype: 'bot_message' } : {}),
    ...(broadcast ? { subtype: 'thread_broadcast' } : {}),
  });
  if (threadTs) clearStatusOnReply(ctx, channel.id, threadTs);
  return {
    channel: channel.id,
    ts: message.ts,
    message: structuredClone(message),
    ...(warnings.length ? { warning: warnings.join(','), response_metadata: { warnings } } : {}),
  };
};

const postEphemeral: SlackMethodHandler = (args, ctx) => {
  const channel = writableChannel(ctx, args);
  const user = stringArg(args, 'user');
  if (!user || !ctx.directory.user(user) || !ctx.directory.isMember(channel, user)) {
    throw new SlackMethodError('user_not_in_channel');
  }
  const content = readMessageContent(args);
  if (!hasContent(content)) throw new SlackMethodError('no_text');
  if ((content.text ?? '').length > MAX_TEXT) throw new SlackMethodError('msg_too_long');
  const message = ctx.messages.postEphemeral({
    channel: channel.id,
    user,
    text: content.text ?? NO_TEXT_FALLBACK,
    blocks: content.blocks,
    thread_ts: stringArg(args, 'thread_ts') || undefined,
  });
  return { message_ts: message.message_ts };
};

function ownMessage(ctx: SlackMethodContext, args: SlackArgs, refusal: string) {
  requireScope(ctx, 'chat:write');
  const channel = requireChannel(ctx, stringArg(args, 'channel'));
  const ts = stringArg(args, 'ts');
  const message = ts ? ctx.messages.find(channel.id, ts) : undefined;
  if (!message || message.subtype === 'tombstone') throw new SlackMethodError('message_not_found');
  if (message.bot_id !== ctx.identity.botId) throw new SlackMethodError(refusal);
  return { channel, message };
}

const update: SlackMethodHandler = (args, ctx) => {
  const { channel, message } = ownMessage(ctx, args, 'cant_update_message');
  const content = readMessageContent(args);
  if (content.text === undefined && content.blocks === undefined && content.attachments === undefined) {
    throw new SlackMethodError('no_text');
  }
  if ((content.text ?? '').length > MAX_UPDATE_TEXT) throw new SlackMethodError('msg_too_long');
  // Documented: blocks sent replace; text without blocks removes them; attachments and
  // metadata are kept unless sent (`{}` removes metadata).
  const blocks = content.blocks ?? (content.text !== undefined ? undefined : message.blocks);
  const patch: Partial<SlackMessage> = {
    text: content.text ?? (blocks?.length ? NO_TEXT_FALLBACK : message.text),
    blocks: blocks?.length ? blocks : undefined,
    attachments: content.attachments === undefined ? message.attachments : content.attachments,
    metadata: content.metadata === undefined ? message.metadata : (content.metadata ?? undefined),
    ...(content.blocks === undefined && content.text !== undefined
      ? { edited: { user: ctx.identity.botUserId, ts: ctx.nextTs() } }
      : {}),
  };
  const updated = ctx.messages.update(channel.id, message.ts, patch);
  const echo: Json = structuredClone(updated);
  delete echo.ts;
  return { channel: channel.id, ts: updated.ts, text: updated.text, message: echo };
};

const remove: SlackMethodHandler = (args, ctx) => {
  const { channel, message } = ownMessage(ctx, args, 'cant_delete_message');
  ctx.messages.remove(channel.id, message.ts);
  return { channel: channel.id, ts: message.ts };
};

/** No scope; any message in a conversation the bot can see, as Slack's permalink shape. */
const getPermalink: SlackMethodHandler = (args, ctx) => {
  const channel = requireChannel(ctx, stringArg(args, 'channel'));
  const ts = stringArg(args, 'message_ts');
  const message = ts ? ctx.messages.find(channel.id, ts) : undefined;
  if (!ts || !message) throw new SlackMethodError('message_not_found');
  const base = `https://${ctx.identity.teamDomain}.slack.com/archives/${channel.id}/p${ts.replace('.', '')}`;
  const inThread = message.thread_ts && message.thread_ts !== message.ts;
  return {
    channel: channel.id,
    permalink: inThread ? `${base}?thread_ts=${message.thread_ts}&cid=${channel.id}` : base,
  };
};

export const chatMethods: Record<string, SlackMethodHandler> = {
  'chat.getPermalink': getPermalink,
  'chat.postMessage': postMessage,
  'chat.postEphemeral': postEphemeral,
  'chat.update': update,
  'chat.delete': remove,
};
