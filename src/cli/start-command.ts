import type { Command } from 'commander';
import { createLogger } from '../logger.ts';
import { startSluice } from '../main.ts';
import { type CliContext, loadCliConfig } from './context.ts';

export function registerStartCommand(program: Command, context: CliContext): void {
  program
    .command('start')
    .description(
      'run Sluice: migrate the database, serve HTTP (/healthz, /metrics, Slack) and run the workers',
    )
    .action(async () => {
      const config = loadCliConfig(context);
      const logger = createLogger({ level: config.logLevel });
      const app = await startSluice(config, logger);
      // Listening before saying so: a signal sent as soon as the line is read must stop Sluice cleanly.
      const shutdown = waitForShutdownSignal();
      context.stderr(`Sluice is running at ${app.url} (database: ${app.db.kind}, ${app.db.location})\n`);
      if (config.slack.mode === 'local') {
        context.stderr(
          `Local workspace (not Slack): open ${app.url} in a browser. To connect Slack instead, set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode); see README.md\n`,
        );
      }
      await shutdown;
      context.stderr('Stopping Sluice...\n');
      // A second Ctrl-C while stopping means "now".
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      await app.stop();
      context.stderr('Sluice stopped.\n');
    });
}

function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
