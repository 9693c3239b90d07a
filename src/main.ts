import { buildAnswerMessage, buildUnknownAnswerMessage } from '../handlers/blocks/answer-blocks.ts';
import { buildApprovalCard } from '../handlers/blocks/approval-card.ts';
import { digestMessage } from '../handlers/blocks/digest-message.ts';
import { buildHomeView } from '../handlers/blocks/home-view.ts';
import { createSlackApp, SLACK_EVENTS_PATH } from '../handlers/create-slack-app.ts';
import type { ReplyRenderers } from './agent/reply-renderers.ts';
import {
  demoChannels,
  demoEndpointRoutes,
  demoUsergroups,
  demoUsers,
  withDemoDefaults,
} from './compose/local-demo.ts';
import { seedDemoRunbooks } from './compose/seed-demo-runbooks.ts';
import { startCore } from './compose/start-core.ts';
import { type SlackConnection, startSlackConnection } from './compose/start-slack-connection.ts';
import type { Config } from './config.ts';
import { detectCapabilities } from './db/capabilities.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { SluiceError } from './errors.ts';
import { checkHealth } from './http/health.ts';
import { createMetrics } from './http/metrics.ts';
import { type RequestHandler, sendJson, startHttpServer } from './http/server.ts';
import { createLocalWorkspace } from './local/local-workspace.ts';
import type { SlackDirectorySeed } from './local/slack-directory.ts';
import type { Logger } from './logger.ts';

/**
 * The composition root: config -> logger -> database -> migrate -> core (queue, workers,
 * retrieval, model gateway, actions, outbox) -> Slack (real or local) -> HTTP. Nothing imports
 * this file except the CLI; everything it builds is passed down.
 */

export interface SluiceApp {
  url: string;
  db: Database;
  slack: SlackConnection;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** An open database to use instead of the configured one (tests); it is not closed on stop. */
  db?: Database;
  /** Users, channels and groups of the local workspace (local mode only). */
  localSeed?: SlackDirectorySeed;
}

const renderers: ReplyRenderers = {
  answer: buildAnswerMessage,
  unknown: buildUnknownAnswerMessage,
  approvalCard: buildApprovalCard,
  digest: (digest) => digestMessage(digest),
  home: (view) => buildHomeView(view),
};

export async function startSluice(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<SluiceApp> {
  const db = options.db ?? (await openDatabase(config));
  const cleanups: (() => Promise<void>)[] = options.db ? [] : [() => db.close()];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
    cleanups.length = 0;
  };
  try {
    const migrated = await migrate(db);
    if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'migrations applied');
    const capabilities = await detectCapabilities(db);
    if (!capabilities.vector) {
      logger.warn(
        { retrievalMode: capabilities.retrievalMode },
        'KEYWORD-ONLY MODE: pgvector is not installed in this database, so vector search is off; install pgvector 0.5+ on the server for hybrid retrieval',
      );
    }
    const metrics = createMetrics();
    const routes: Record<string, RequestHandler> = {
      '/healthz': async (_req, res) => {
        const report = await checkHealth(db, config.slack.mode);
        sendJson(res, report.status === 'ok' ? 200 : 503, report);
      },
      '/metrics': async (_req, res) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(await metrics.registry.metrics());
      },
    };
    // The server starts first (its routes fill in below): the local demo needs its address.
    const server = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      metrics,
      routes,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        throw new SluiceError(
          'invalid_input',
          `port ${config.http.port} on ${config.http.host} is already in use; stop the other program or set PORT to a free port`,
        );
      }
      throw error;
    });
    cleanups.push(() => server.close());
    const eventsUrl = new URL(SLACK_EVENTS_PATH.slice(1), server.url).toString();

    const local = config.slack.mode === 'local';
    const slack = await startSlackConnection(config, logger, options.localSeed);
    cleanups.push(() => slack.close());
    const effective = local && !options.localSeed ? withDemoDefaults(config, server.url) : config;
    if (local && !options.localSeed) Object.assign(routes, demoEndpointRoutes());
    const core = await startCore({
      config: effective,
      logger,
      db,
      capabilities,
      slack: slack.client,
      render: renderers,
    });
    cleanups.push(() => core.stop());
    const hasModel = Boolean(config.anthropic.apiKey || config.llm.openaiCompat.baseUrl);
    const slackApp = createSlackApp({
      mode: slack.mode === 'socket' ? 'socket' : 'http',
      botToken: slack.botToken,
      signingSecret: slack.signingSecret,
      ...(slack.appToken ? { appToken: slack.appToken } : {}),
      ...(slack.apiUrl ? { apiUrl: slack.apiUrl } : {}),
      botUserId: slack.botUserId,
      botId: slack.botId,
      assistant: config.slack.assistant,
      useCases: core.core,
      logger,
    });
    if (slackApp.requestListener) routes[SLACK_EVENTS_PATH] = slackApp.requestListener;
    await slackApp.start();
    cleanups.push(() => slackApp.stop());
    if (local && slack.local) {
      const workspace = createLocalWorkspace({
        slack: slack.local,
        appEventsUrl: eventsUrl,
        signingSecret: slack.signingSecret,
        mode: hasModel ? 'model' : 'no-model',
        modeNotice: hasModel
          ? 'Answers and proposals come from the configured model.'
          : 'No ANTHROPIC_API_KEY: answers are cited passages; actions only through /agent do.',
        ...(options.localSeed
          ? {}
          : { users: demoUsers, channels: demoChannels, usergroups: demoUsergroups }),
        logger,
      });
      Object.assign(routes, workspace.routes);
      // Closed before the server: open live-update streams would otherwise hold it open.
      cleanups.push(async () => workspace.close());
      if (!options.localSeed) await seedDemoRunbooks(db, core.retrieval, logger);
    }
    logger.info(
      {
        url: server.url,
        database: db.kind,
        location: db.location,
        retrievalMode: capabilities.retrievalMode,
        slack: slack.mode,
      },
      'sluice started',
    );
    return { url: server.url, db, slack, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
