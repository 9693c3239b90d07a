/**
 * Who the app is inside a workspace that only pretends to be Slack: the team, the installed app
 * and its bot user. The Slack Web API double answers `auth.test` with these, stamps them on every
 * message the bot posts, and the payload builders put them in the requests sent to the app, so
 * the two agree without talking to each other.
 */
export interface SlackWorkspaceIdentity {
  teamId: string;
  teamName: string;
  /** The workspace's subdomain, as in `https://<teamDomain>.slack.com/`. */
  teamDomain: string;
  appId: string;
  botId: string;
  botUserId: string;
  /** The bot user's handle, as `auth.test` reports it in `user`. */
  botName: string;
  botToken: string;
}

/**
 * The local workspace's identity. The token has Slack's `xoxb-` shape so code that checks the
 * prefix accepts it, and so log redaction treats it as the secret it stands for.
 */
export const localWorkspaceIdentity: SlackWorkspaceIdentity = {
  teamId: 'T0LOCAL001',
  teamName: 'Sluice Local',
  teamDomain: 'sluice-local',
  appId: 'A0LOCAL001',
  botId: 'B0LOCAL001',
  botUserId: 'U0SLUICE01',
  botName: 'sluice',
  botToken: 'xoxb-0000000001-0000000001-localworkspacedouble',
};

export function workspaceIdentity(overrides: Partial<SlackWorkspaceIdentity> = {}): SlackWorkspaceIdentity {
  return { ...localWorkspaceIdentity, ...overrides };
}
