import { flagArg, requireScope, type SlackMethodHandler, stringArg } from './slack-method-context.ts';
import { SlackMethodError } from './slack-method-error.ts';

/** `auth.test`, `users.info`, `usergroups.list` and `usergroups.users.list`. */

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

export const workspaceMethods: Record<string, SlackMethodHandler> = {
  'auth.test': authTest,
  'users.info': usersInfo,
  'usergroups.users.list': usergroupUsers,
  'usergroups.list': usergroupsList,
};
