import type { SlashCommandSpec } from './local-composer.ts';
import type { LocalModalStack, OpenModal } from './local-modal-stack.ts';
import type { LocalNotices } from './local-notices.ts';
import { parseSlackTs } from './slack-ids.ts';
import type { SlackMessage } from './slack-message-store.ts';
import type { SlackWebApiDouble } from './slack-web-api-double.ts';

/**
 * What the local workspace page shows one person, read from the Slack double: the people,
 * groups and channels they see (with the app's DM), the open channel's messages with their own
 * ephemeral ones mixed in, the open thread, their App Home view and their top modal.
 */

type Json = Record<string, unknown>;

/** Slack's own pseudo-user for messages from Slack itself. */
export const SLACKBOT_USER_ID = 'USLACKBOT';

export interface PageMessage {
  ts: string;
  user?: string;
  text: string;
  blocks?: Json[];
  bot?: boolean;
  ephemeral?: boolean;
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  subtype?: string;
}

export interface SnapshotMeta {
  label: string;
  mode: 'model' | 'no-model';
  modeNotice: string | undefined;
  commands: SlashCommandSpec[];
  titles: ReadonlyMap<string, string>;
}

export interface SnapshotRequest {
  userId: string;
  channelId?: string;
  threadTs?: string;
}

export function buildWorkspaceSnapshot(
  deps: { slack: SlackWebApiDouble; modals: LocalModalStack; notices: LocalNotices; meta: SnapshotMeta },
  request: SnapshotRequest,
  version: number,
) {
  const { slack, meta } = deps;
  const { directory, identity } = slack;
  const me = request.userId;
  const dm = directory.channel(me);
  const groups = directory.usergroups().filter((g) => !g.disabled);
  const users = directory.users().map((u) => ({
    id: u.id,
    name: u.name,
    realName: u.realName ?? u.name,
    // Slack shows a bot by its handle and a person by their display name, else their full name.
    displayName: u.isBot ? u.name : (u.displayName ?? u.realName ?? u.name),
    title: meta.titles.get(u.id) ?? '',
    isBot: u.isBot ?? false,
    groups: groups.filter((g) => g.users.includes(u.id)).map((g) => g.id),
  }));
  const visible = directory
    .channels()
    .filter((c) => (c.isIm ? c.imUser === me : !c.isArchived && directory.isMember(c, me)));
  const channel = request.channelId ? directory.channel(request.channelId) : undefined;
  const open = channel && visible.includes(channel) ? channel : undefined;
  const ephemeral = (channelId: string, threadTs?: string) => [
    ...slack.messages
      .ephemerals({ channel: channelId, user: me })
      .filter((e) => e.thread_ts === threadTs)
      .map(
        (e): PageMessage => ({
          ts: e.message_ts,
          user: identity.botUserId,
          text: e.text,
          blocks: e.blocks,
          bot: true,
          ephemeral: true,
        }),
      ),
    ...deps.notices
      .list({ channel: channelId, user: me })
      .filter((n) => n.threadTs === threadTs)
      .map((n): PageMessage => ({ ts: n.ts, user: SLACKBOT_USER_ID, text: n.text, ephemeral: true })),
  ];
  const thread =
    open && request.threadTs ? slack.messages.thread(open.id, request.threadTs).map(toPageMessage) : [];
  const modal: OpenModal | undefined = deps.modals.top(me);

  return {
    version,
    workspace: { name: identity.teamName, label: meta.label, mode: meta.mode, modeNotice: meta.modeNotice },
    app: { botUserId: identity.botUserId, botName: identity.botName, dmChannelId: dm?.id ?? null },
    me,
    users: [
      ...users,
      {
        id: SLACKBOT_USER_ID,
        name: 'slackbot',
        realName: 'Slackbot',
        displayName: 'Slackbot',
        title: '',
        isBot: true,
        groups: [],
      },
    ],
    usergroups: groups.map((g) => ({ id: g.id, handle: g.handle, name: g.name ?? g.handle, users: g.users })),
    channels: visible.map((c) => ({
      id: c.id,
      name: c.name,
      isIm: c.isIm,
      isPrivate: c.isPrivate,
      latestTs: slack.messages.channel(c.id).at(-1)?.ts ?? null,
    })),
    commands: meta.commands,
    channel: open
      ? {
          id: open.id,
          name: open.name,
          isIm: open.isIm,
          messages: byTs([...slack.messages.channel(open.id).map(toPageMessage), ...ephemeral(open.id)]),
        }
      : null,
    thread:
      open && thread.length > 0
        ? {
            channel: open.id,
            ts: request.threadTs!,
            messages: byTs([...thread, ...ephemeral(open.id, request.threadTs)]),
          }
        : null,
    home: slack.views.home(me)?.view ?? null,
    modal: modal ?? null,
  };
}

export type WorkspaceSnapshot = ReturnType<typeof buildWorkspaceSnapshot>;

function toPageMessage(m: SlackMessage): PageMessage {
  return {
    ts: m.ts,
    user: m.user,
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.bot_id ? { bot: true } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.reply_count
      ? { reply_count: m.reply_count, reply_users: m.reply_users, latest_reply: m.latest_reply }
      : {}),
    ...(m.subtype ? { subtype: m.subtype } : {}),
  };
}

function byTs(messages: PageMessage[]): PageMessage[] {
  const key = (m: PageMessage) => parseSlackTs(m.ts) ?? 0n;
  return messages.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
