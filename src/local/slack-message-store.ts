/**
 * The messages of a pretend workspace, kept as Slack keeps them: per channel, ordered by `ts`,
 * threads hanging off a parent whose `reply_count`, `reply_users` and `latest_reply` follow its
 * replies, and ephemeral messages apart (they are never in history). The Web API double writes
 * here; tests and the local workspace read here and post messages as people.
 */

type Json = Record<string, unknown>;

export interface SlackMessageMetadata {
  event_type: string;
  event_payload: Json;
}

export type SlackMessage = {
  type: 'message';
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  subtype?: string;
  username?: string;
  blocks?: Json[];
  attachments?: Json[];
  metadata?: SlackMessageMetadata;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  bot_profile?: Json;
  client_msg_id?: string;
  /** On the root of an assistant thread (subtype `assistant_app_thread`): its title. */
  assistant_app_thread?: { title: string; title_blocks: Json[]; artifacts: Json[] };
};

export interface SlackEphemeralMessage {
  channel: string;
  /** The person who sees it. */
  user: string;
  message_ts: string;
  text: string;
  blocks?: Json[];
  thread_ts?: string;
}

export type SlackMessageChange =
  | { kind: 'message_posted' | 'message_updated'; channel: string; message: SlackMessage }
  | { kind: 'message_deleted'; channel: string; ts: string }
  | { kind: 'ephemeral_posted' | 'ephemeral_updated'; message: SlackEphemeralMessage }
  | { kind: 'ephemeral_deleted'; channel: string; user: string; message_ts: string };

export type NewMessage = Omit<SlackMessage, 'type' | 'ts'>;

export interface SlackMessageStore {
  /** Appends a message; a `thread_ts` naming a reply is moved to that reply's parent, as Slack does. */
  post(channel: string, message: NewMessage): SlackMessage;
  find(channel: string, ts: string): SlackMessage | undefined;
  /** Replaces the fields given; a field set to undefined is removed. */
  update(channel: string, ts: string, patch: Partial<NewMessage>): SlackMessage;
  /** Removes a message; a parent with replies becomes Slack's tombstone so the thread survives. */
  remove(channel: string, ts: string): void;
  /** Top-level messages and broadcast replies, oldest first: what history shows. */
  channel(channel: string): SlackMessage[];
  /** The parent and its replies, oldest first; empty when the parent is unknown. */
  thread(channel: string, threadTs: string): SlackMessage[];
  all(): Array<{ channel: string; message: SlackMessage }>;
  postEphemeral(message: Omit<SlackEphemeralMessage, 'message_ts'>): SlackEphemeralMessage;
  findEphemeral(channel: string, user: string, messageTs: string): SlackEphemeralMessage | undefined;
  updateEphemeral(message: SlackEphemeralMessage): void;
  removeEphemeral(channel: string, user: string, messageTs: string): void;
  ephemerals(filter?: { channel?: string; user?: string }): SlackEphemeralMessage[];
  clear(): void;
}

export function createSlackMessageStore(
  nextTs: () => string,
  emit: (change: SlackMessageChange) => void = () => {},
): SlackMessageStore {
  const byChannel = new Map<string, SlackMessage[]>();
  let ephemerals: SlackEphemeralMessage[] = [];

  const list = (channel: string): SlackMessage[] => {
    let messages = byChannel.get(channel);
    if (!messages) {
      messages = [];
      byChannel.set(channel, messages);
    }
    return messages;
  };

  const store: SlackMessageStore = {
    post(channel, fields) {
      const messages = list(channel);
      const message = { type: 'message', ts: nextTs(), ...withoutUndefined(fields) } as SlackMessage;
      if (message.thread_ts) {
        const named = messages.find((m) => m.ts === message.thread_ts);
        const parent = named?.thread_ts ? messages.find((m) => m.ts === named.thread_ts) : named;
        if (parent) linkReply(parent, message);
      }
      messages.push(message);
      emit({ kind: 'message_posted', channel, message: structuredClone(message) });
      return message;
    },
    find: (channel, ts) => byChannel.get(channel)?.find((m) => m.ts === ts),
    update(channel, ts, patch) {
      const message = store.find(channel, ts);
      if (!message) throw new Error(`no message ${ts} in ${channel}`);
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) delete (message as unknown as Json)[key];
        else (message as unknown as Json)[key] = value;
      }
      emit({ kind: 'message_updated', channel, message: structuredClone(message) });
      return message;
    },
    remove(channel, ts) {
      const messages = list(channel);
      const index = messages.findIndex((m) => m.ts === ts);
      if (index < 0) return;
      const message = messages[index]!;
      if (message.reply_count) {
        messages[index] = {
          type: 'message',
          subtype: 'tombstone',
          ts,
          text: 'This message was deleted.',
          thread_ts: ts,
          reply_count: message.reply_count,
          reply_users: message.reply_users,
          reply_users_count: message.reply_users_count,
          latest_reply: message.latest_reply,
        };
      } else {
        messages.splice(index, 1);
        if (message.thread_ts && message.thread_ts !== ts) unlinkReply(messages, message);
      }
      emit({ kind: 'message_deleted', channel, ts });
    },
    channel: (channel) =>
      (byChannel.get(channel) ?? []).filter(
        (m) => !m.thread_ts || m.thread_ts === m.ts || m.subtype === 'thread_broadcast',
      ),
    thread(channel, threadTs) {
      const messages = byChannel.get(channel) ?? [];
      const parent = messages.find((m) => m.ts === threadTs);
      if (!parent) return [];
      return [parent, ...messages.filter((m) => m.thread_ts === threadTs && m.ts !== threadTs)];
    },
    all: () =>
      [...byChannel].flatMap(([channel, messages]) => messages.map((message) => ({ channel, message }))),
    postEphemeral(fields) {
      const message = { ...withoutUndefined(fields), message_ts: nextTs() } as SlackEphemeralMessage;
      ephemerals.push(message);
      emit({ kind: 'ephemeral_posted', message: structuredClone(message) });
      return message;
    },
    findEphemeral: (channel, user, ts) =>
      ephemerals.find((e) => e.channel === channel && e.user === user && e.message_ts === ts),
    updateEphemeral(message) {
      ephemerals = ephemerals.map((e) =>
        e.channel === message.channel && e.user === message.user && e.message_ts === message.message_ts
          ? message
          : e,
      );
      emit({ kind: 'ephemeral_updated', message: structuredClone(message) });
    },
    removeEphemeral(channel, user, ts) {
      ephemerals = ephemerals.filter(
        (e) => !(e.channel === channel && e.user === user && e.message_ts === ts),
      );
      emit({ kind: 'ephemeral_deleted', channel, user, message_ts: ts });
    },
    ephemerals: (filter = {}) =>
      ephemerals.filter(
        (e) => (!filter.channel || e.channel === filter.channel) && (!filter.user || e.user === filter.user),
      ),
    clear() {
      byChannel.clear();
      ephemerals = [];
    },
  };
  return store;
}

function linkReply(parent: SlackMessage, reply: SlackMessage): void {
  reply.thread_ts = parent.ts;
  if (parent.user) reply.parent_user_id = parent.user;
  parent.thread_ts = parent.ts;
  parent.reply_count = (parent.reply_count ?? 0) + 1;
  const users = new Set(parent.reply_users ?? []);
  if (reply.user) users.add(reply.user);
  parent.reply_users = [...users];
  parent.reply_users_count = users.size;
  parent.latest_reply = reply.ts;
}

function unlinkReply(messages: SlackMessage[], reply: SlackMessage): void {
  const parent = messages.find((m) => m.ts === reply.thread_ts);
  if (!parent) return;
  const replies = messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  parent.reply_count = replies.length;
  parent.reply_users = [...new Set(replies.flatMap((r) => (r.user ? [r.user] : [])))];
  parent.reply_users_count = parent.reply_users.length;
  parent.latest_reply = replies.at(-1)?.ts ?? parent.ts;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
