import type { Config } from './config.ts';
import { detectCapabilities } from './db/capabilities.ts';
import type { Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { openDatabase } from './db/open-database.ts';
import { SluiceError } from './errors.ts';
import { checkHealth } from './http/health.ts';
import { createMetrics } from './http/metrics.ts';
import { sendJson, startHttpServer } from './http/server.ts';
import type { Logger } from './logger.ts';

/**
 * The composition root: config -> logger -> database -> migrate -> services -> HTTP (Slack) ->
 * workers. Nothing imports this file except the CLI; everything it builds is passed down.
 */

export interface SluiceApp {
  url: string;
  db: Database;
  stop(): Promise<void>;
}

export async function startSluice(config: Config, logger: Logger): Promise<SluiceApp> {
  const db = await openDatabase(config);
  const cleanups: (() => Promise<void>)[] = [() => db.close()];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
    }
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
    const server = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      logger,
      metrics,
      routes: {
        '/healthz': async (_req, res) => {
          const report = await checkHealth(db, config.slack.mode);
          sendJson(res, report.status === 'ok' ? 200 : 503, report);
        },
        '/metrics': async (_req, res) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(await metrics.registry.metrics());
        },
      },
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
    logger.info(
      {
        url: server.url,
        database: db.kind,
        location: db.location,
        retrievalMode: capabilities.retrievalMode,
        slack: config.slack.mode,
      },
      'sluice started',
    );
    return { url: server.url, db, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
