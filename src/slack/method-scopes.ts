/**
 * The bot token scopes each Web API method Sluice calls needs (any one of a list will do), from
 * Slack's method reference. `test/architecture/manifest-scopes.test.ts` checks that every method
 * the code calls is listed here and that manifest.json grants what each one needs, so a new call
 * cannot ship without its scope, and the manifest asks for nothing more.
 */
export const methodScopes: Record<string, readonly string[]> = {
  'auth.test': [],
  'chat.postMessage': ['chat:write'],
  'chat.postEphemeral': ['chat:write'],
  'chat.update': ['chat:write'],
  'chat.delete': ['chat:write'],
  // History of the conversation type being read: public channel, private channel, DM.
  'conversations.history': ['channels:history', 'groups:history', 'im:history'],
  'conversations.replies': ['channels:history', 'groups:history', 'im:history'],
  'users.info': ['users:read'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  // Views need no scope of their own: a trigger id or the app's Home tab is the permission.
  'chat.getPermalink': [],
  'views.open': [],
  'views.publish': [],
  'views.update': [],
  // setStatus also takes chat:write; Slack's reference says it will soon take only that.
  'assistant.threads.setStatus': ['assistant:write', 'chat:write'],
  'assistant.threads.setSuggestedPrompts': ['assistant:write'],
  'assistant.threads.setTitle': ['assistant:write'],
};
