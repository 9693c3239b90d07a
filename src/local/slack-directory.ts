import type { SlackWorkspaceIdentity } from './slack-workspace-identity.ts';

/**
 * The people, channels and user groups of a pretend workspace. Seeded by tests and by the local
 * workspace; read by the Web API double's methods. Channel ids follow Slack's letters: C for
 * channels, D for direct messages (opened on demand when a user id is used as a channel).
 */

export interface SlackUserSeed {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  email?: string;
  isAdmin?: boolean;
  isOwner?: boolean;
  isBot?: boolean;
  deleted?: boolean;
  tz?: string;
  tzLabel?: string;
  tzOffset?: number;
}

export interface SlackChannelSeed {
  id: string;
  name: string;
  isPrivate?: boolean;
  isArchived?: boolean;
  /** Members by user id; when left out, every user of the workspace is a member. */
  members?: string[];
  /** Whether the app's bot user is in the channel (default true). */
  botIsMember?: boolean;
}

export interface SlackUsergroupSeed {
  id: string;
  handle: string;
  name?: string;
  users: string[];
  disabled?: boolean;
}

export interface SlackChannel {
  id: string;
  name: string;
  isIm: boolean;
  isPrivate: boolean;
  isArchived: boolean;
  botIsMember: boolean;
  members: Set<string> | undefined;
  /** For a direct message: the user on the other side. */
  imUser?: string;
}

export interface SlackDirectorySeed {
  users?: SlackUserSeed[];
  channels?: SlackChannelSeed[];
  usergroups?: SlackUsergroupSeed[];
}

export const GENERAL_CHANNEL_ID = 'C0GENERAL1';

export interface SlackDirectory {
  addUser(seed: SlackUserSeed): void;
  addChannel(seed: SlackChannelSeed): void;
  addUsergroup(seed: SlackUsergroupSeed): void;
  seed(seed: SlackDirectorySeed): void;
  user(id: string): SlackUserSeed | undefined;
  users(): SlackUserSeed[];
  /** Resolves an id, a `#name` or a bare name; a user id resolves to (and opens) the DM with them. */
  channel(ref: string): SlackChannel | undefined;
  channels(): SlackChannel[];
  usergroup(id: string): SlackUsergroupSeed | undefined;
  usergroups(): SlackUsergroupSeed[];
  isMember(channel: SlackChannel, userId: string): boolean;
  /** The user as `users.info` returns it. */
  userObject(id: string): Record<string, unknown> | undefined;
  /** Back to the bot user, #general and whatever seed the double was started with. */
  clear(): void;
}

export function createSlackDirectory(
  identity: SlackWorkspaceIdentity,
  initialSeed: SlackDirectorySeed = {},
  avatarUrl: (userId: string, size: number) => string = () => '',
): SlackDirectory {
  const users = new Map<string, SlackUserSeed>();
  const channels = new Map<string, SlackChannel>();
  const usergroups = new Map<string, SlackUsergroupSeed>();

  const directory: SlackDirectory = {
    addUser(seed) {
      users.set(seed.id, seed);
    },
    addChannel(seed) {
      channels.set(seed.id, {
        id: seed.id,
        name: seed.name.replace(/^#/, ''),
        isIm: false,
        isPrivate: seed.isPrivate ?? false,
        isArchived: seed.isArchived ?? false,
        botIsMember: seed.botIsMember ?? true,
        members: seed.members ? new Set(seed.members) : undefined,
      });
    },
    addUsergroup(seed) {
      usergroups.set(seed.id, seed);
    },
    seed(seed) {
      for (const user of seed.users ?? []) directory.addUser(user);
      for (const channel of seed.channels ?? []) directory.addChannel(channel);
      for (const group of seed.usergroups ?? []) directory.addUsergroup(group);
    },
    user: (id) => users.get(id),
    users: () => [...users.values()],
    channel(ref) {
      const direct = channels.get(ref);
      if (direct) return direct;
      if (/^[UW][A-Z0-9]+$/.test(ref) && users.has(ref)) return openIm(ref);
      const name = ref.replace(/^#/, '');
      return [...channels.values()].find((c) => !c.isIm && c.name === name);
    },
    channels: () => [...channels.values()],
    usergroup: (id) => usergroups.get(id),
    usergroups: () => [...usergroups.values()],
    isMember(channel, userId) {
      if (channel.isIm) return channel.imUser === userId || userId === identity.botUserId;
      if (userId === identity.botUserId) return channel.botIsMember;
      return channel.members ? channel.members.has(userId) : users.has(userId);
    },
    userObject(id) {
      const user = users.get(id);
      return user ? toUserObject(user, identity, avatarUrl) : undefined;
    },
    clear() {
      users.clear();
      channels.clear();
      usergroups.clear();
      seedDefaults();
    },
  };

  function openIm(userId: string): SlackChannel {
    const id = `D${userId.slice(1)}`;
    const existing = channels.get(id);
    if (existing) return existing;
    const im: SlackChannel = {
      id,
      name: id,
      isIm: true,
      isPrivate: true,
      isArchived: false,
      botIsMember: true,
      members: new Set([userId, identity.botUserId]),
      imUser: userId,
    };
    channels.set(id, im);
    return im;
  }

  function seedDefaults(): void {
    directory.addUser({ id: identity.botUserId, name: identity.botName, realName: 'Sluice', isBot: true });
    directory.addChannel({ id: GENERAL_CHANNEL_ID, name: 'general' });
    directory.seed(initialSeed);
  }

  seedDefaults();
  return directory;
}

function toUserObject(
  user: SlackUserSeed,
  identity: SlackWorkspaceIdentity,
  avatarUrl: (userId: string, size: number) => string,
): Record<string, unknown> {
  const realName = user.realName ?? user.name;
  const displayName = user.displayName ?? user.name;
  const images = Object.fromEntries(
    [24, 32, 48, 72, 192, 512].map((s) => [`image_${s}`, avatarUrl(user.id, s)]),
  );
  return {
    id: user.id,
    team_id: identity.teamId,
    name: user.name,
    deleted: user.deleted ?? false,
    color: '9f69e7',
    real_name: realName,
    tz: user.tz ?? 'Europe/London',
    tz_label: user.tzLabel ?? 'Greenwich Mean Time',
    tz_offset: user.tzOffset ?? 0,
    profile: {
      avatar_hash: 'g000000000aa',
      status_text: '',
      status_emoji: '',
      real_name: realName,
      display_name: displayName,
      real_name_normalized: realName,
      display_name_normalized: displayName,
      ...(user.email ? { email: user.email } : {}),
      image_original: avatarUrl(user.id, 512),
      ...images,
      team: identity.teamId,
      ...(user.isBot && user.id === identity.botUserId ? { bot_id: identity.botId } : {}),
    },
    is_admin: user.isAdmin ?? false,
    is_owner: user.isOwner ?? false,
    is_primary_owner: false,
    is_restricted: false,
    is_ultra_restricted: false,
    is_bot: user.isBot ?? false,
    is_app_user: false,
    updated: 1_700_000_000,
    has_2fa: false,
  };
}
