import {
  flagArg,
  jsonArg,
  requireScope,
  type SlackMethodContext,
  type SlackMethodHandler,
  stringArg,
} from './slack-method-context.ts';
import { invalidArguments, SlackMethodError } from './slack-method-error.ts';

/**
 * `auth.test`, `users.info`, `usergroups.list`, `usergroups.users.list` and the assistant thread methods
 * (`assistant.threads.setStatus`, `assistant.threads.setSuggestedPrompts`).
 */

const authTest: SlackMethodHandler = (_args, ctx) => {
  const { identity } = ctx;
  return {
    url: `https://${identity.teamDomain}.slack.com/`,
    team: identity.teamName,
    user: identity.botName,
    team_id: identity.teamId,
    user_id: identity.botUserId,
    bot_id: identity.botId,
    is_enterprise_install: false,
  };
};

const usersInfo: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'users:read');
  const id = stringArg(args, 'user');
  const user = id ? ctx.directory.userObject(id) : undefined;
  if (!user) throw new SlackMethodError('user_not_found');
  return { user };
};

const usergroupUsers: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'usergroups:read');
  const id = stringArg(args, 'usergroup');
  const group = id ? ctx.directory.usergroup(id) : undefined;
  if (!group) throw new SlackMethodError('no_such_subteam');
  return { users: [...group.users] };
};

/** `usergroups.list`: the workspace's groups; with `include_users`, each group's members too. */
const usergroupsList: SlackMethodHandler = (args, ctx) => {
  requireScope(ctx, 'usergroups:read');
  const withUsers = flagArg(args, 'include_users');
  const withDisabled = flagArg(args, 'include_disabled');
  return {
    usergroups: ctx.directory
      .usergroups()
      .filter((g) => withDisabled || !g.disabled)
      .map((g) => ({
        id: g.id,
        team_id: ctx.identity.teamId,
        is_usergroup: true,
        name: g.name ?? g.handle,
        handle: g.handle,
        date_delete: g.disabled ? 1 : 0,
        user_count: g.users.length,
        ...(withUsers ? { users: [...g.users] } : {}),
      })),
  };
};

/** The documented refusals of the assistant methods carry a human `detail`. */
function assistantThread(args: Record<string, unknown>, ctx: SlackMethodContext): string {
  requireScope(ctx, 'assistant:write');
  const channelId = stringArg(args, 'channel_id');
  const channel = channelId ? ctx.directory.channel(channelId) : undefined;
  if (!channel) throw new SlackMethodError('channel_not_found', { detail: 'Invalid channel_id' });
  const threadTs = stringArg(args, 'thread_ts');
  if (!threadTs || !ctx.messages.find(channel.id, threadTs)) {
    throw new SlackMethodError('invalid_thread_ts', { detail: 'Thread not found' });
  }
  const key = `${channel.id}:${threadTs}`;
  if (!ctx.assistantThreads.has(key)) ctx.assistantThreads.set(key, {});
  return key;
}

const setStatus: SlackMethodHandler = (args, ctx) => {
  const status = stringArg(args, 'status');
  if (status === undefined) throw invalidArguments('missing required field: status');
  const key = assistantThread(args, ctx);
  ctx.assistantThreads.get(key)!.status = status;
  return {};
};

const setSuggestedPrompts: SlackMethodHandler = (args, ctx) => {
  const prompts = jsonArg(args, 'prompts');
  const valid =
    Array.isArray(prompts) &&
    prompts.length >= 1 &&
    prompts.length <= 4 &&
    prompts.every(
      (p) => typeof p === 'object' && p && typeof p.title === 'string' && typeof p.message === 'string',
    );
  if (!valid)
    throw invalidArguments(
      'must provide 1 to 4 prompts, each with title and message [json-pointer:/prompts]',
    );
  const key = assistantThread(args, ctx);
  const state = ctx.assistantThreads.get(key)!;
  state.prompts = (prompts as Array<{ title: string; message: string }>).map(({ title, message }) => ({
    title,
    message,
  }));
  state.promptsTitle = stringArg(args, 'title');
  return {};
};

export const workspaceMethods: Record<string, SlackMethodHandler> = {
  'auth.test': authTest,
  'users.info': usersInfo,
  'usergroups.users.list': usergroupUsers,
  'usergroups.list': usergroupsList,
  'assistant.threads.setStatus': setStatus,
  'assistant.threads.setSuggestedPrompts': setSuggestedPrompts,
};
