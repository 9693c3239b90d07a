import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, type Logger as BoltLogger, HTTPReceiver, LogLevel, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../src/logger.ts';
import { registerAgentCommand } from './commands/agent-command.ts';
import { registerAppHomeOpened } from './events/app-home-opened.ts';
import { registerAssistant } from './events/assistant-thread.ts';
import { registerMessageEvents } from './events/message-events.ts';
import { rejectFutureTimestamps } from './future-timestamp-guard.ts';
import { registerApprovalActions } from './interactions/approval-actions.ts';
import type { SlackUseCases } from './slack-use-cases.ts';

/**
 * The Bolt app, in HTTP mode (its request listener mounted at /slack/events on Sluice's own
 * server) or in Socket Mode, with the same handlers either way.
 */

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppOptions {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret: string;
  appToken?: string;
  /** Web API base (the local workspace and tests point it at the Slack double). */
  apiUrl?: string;
  /** Known from auth.test at start, so Bolt need not call it on every request. */
  botUserId: string;
  botId: string;
  /**
   * Slack's assistant surface (manifest.json sets the app up for it). Default true. False leaves
   * threaded DMs to the plain DM handler, for an app created without `assistant_view`.
   */
  assistant?: boolean;
  useCases: SlackUseCases;
  logger: Logger;
}

export interface SlackApp {
  /** HTTP mode: serves /slack/events (signature checked by Bolt, future timestamps refused first). */
  requestListener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const logger = options.logger.child({ component: 'bolt' });
  const boltLogger = toBoltLogger(logger);
  const common = {
    token: options.botToken,
    botId: options.botId,
    botUserId: options.botUserId,
    tokenVerificationEnabled: false,
    convoStore: false as const,
    logger: boltLogger,
    clientOptions: {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 },
      timeout: 10_000,
    },
  };
  let app: App;
  let requestListener: SlackApp['requestListener'];
  if (options.mode === 'socket') {
    const receiver = new SocketModeReceiver({ appToken: options.appToken ?? '', logger: boltLogger });
    app = new App({ ...common, receiver });
  } else {
    const receiver = new HTTPReceiver({
      signingSecret: options.signingSecret,
      endpoints: SLACK_EVENTS_PATH,
      // The response goes out only after the listener has stored the request: persist, then ack.
      processBeforeResponse: true,
      logger: boltLogger,
      unhandledRequestTimeoutMillis: 2_500,
    });
    app = new App({ ...common, receiver });
    requestListener = rejectFutureTimestamps(receiver.requestListener);
  }
  app.error(async (error) => {
    logger.error({ err: error }, 'slack handler failed');
  });
  const deps = { useCases: options.useCases, logger };
  registerAgentCommand(app, deps);
  // Global middleware: assistant events and threaded DMs stop there, before the DM listener.
  if (options.assistant ?? true) registerAssistant(app, { ...deps, botUserId: options.botUserId });
  registerMessageEvents(app, { ...deps, botUserId: options.botUserId });
  registerApprovalActions(app, deps);
  registerAppHomeOpened(app, deps);
  return {
    requestListener,
    start: async () => {
      if (options.mode === 'socket') await app.start();
    },
    stop: async () => {
      if (options.mode === 'socket') await app.stop();
    },
  };
}

function toBoltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.error(msg.map(String).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
