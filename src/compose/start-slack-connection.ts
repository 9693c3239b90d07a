import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { SluiceError } from '../errors.ts';
import type { SlackDirectorySeed } from '../local/slack-directory.ts';
import { type SlackWebApiDouble, startSlackWebApiDouble } from '../local/slack-web-api-double.ts';
import type { Logger } from '../logger.ts';
import { createSlackWebApiClient, type SlackWebApiClient } from '../slack/web-api-client.ts';

/**
 * Who Sluice is in Slack and how it reaches the Web API. With Slack credentials: the real
 * workspace, identity from one auth.test at start (so Bolt need not ask on every request).
 * Without: the local workspace, a double of Slack run in this process on loopback.
 */
export interface SlackConnection {
  mode: 'local' | 'http' | 'socket';
  client: SlackWebApiClient;
  botToken: string;
  signingSecret: string;
  appToken: string | undefined;
  apiUrl: string | undefined;
  botUserId: string;
  botId: string;
  /** The local workspace's Slack double, in local mode. */
  local: SlackWebApiDouble | undefined;
  close(): Promise<void>;
}

export async function startSlackConnection(
  config: Config,
  logger: Logger,
  localSeed?: SlackDirectorySeed,
): Promise<SlackConnection> {
  if (config.slack.mode === 'local') {
    const local = await startSlackWebApiDouble({ ...(localSeed ? { seed: localSeed } : {}) });
    const client = createSlackWebApiClient({ token: local.token, apiUrl: local.url, logger });
    return {
      mode: 'local',
      client,
      botToken: local.token,
      // A fresh secret per start: only this process signs requests for the local workspace.
      signingSecret: randomBytes(32).toString('hex'),
      appToken: undefined,
      apiUrl: local.url,
      botUserId: local.identity.botUserId,
      botId: local.identity.botId,
      local,
      close: () => local.close(),
    };
  }
  const token = config.slack.botToken ?? '';
  const client = createSlackWebApiClient({
    token,
    ...(config.slack.apiUrl ? { apiUrl: config.slack.apiUrl } : {}),
    logger,
  });
  const who = await client.authTest().catch((error: unknown) => {
    throw new SluiceError(
      'invalid_input',
      `Slack refused SLACK_BOT_TOKEN (auth.test: ${(error as Error).message}); copy the Bot User OAuth Token again, or unset it to use the local workspace`,
      { cause: error },
    );
  });
  return {
    mode: config.slack.mode,
    client,
    botToken: token,
    signingSecret: config.slack.signingSecret ?? '',
    appToken: config.slack.appToken,
    apiUrl: config.slack.apiUrl,
    botUserId: String(who.user_id ?? ''),
    botId: String(who.bot_id ?? ''),
    local: undefined,
    close: async () => {},
  };
}
