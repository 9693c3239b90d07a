import type { Command } from 'commander';
import { type Config, type Env, loadConfig } from '../config.ts';
import { type Capabilities, detectCapabilities } from '../db/capabilities.ts';
import type { Database } from '../db/database.ts';
import { migrate } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { createLogger, type Logger } from '../logger.ts';

/**
 * What every `sluice` subcommand gets: the environment (tests pass their own), where to print,
 * and a way to open the configured, migrated database for the length of one command.
 */
export interface CliContext {
  env: Env;
  cwd: string;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
}

export interface CliRuntime {
  config: Config;
  logger: Logger;
  db: Database;
  capabilities: Capabilities;
}

export function loadCliConfig(context: CliContext): Config {
  return loadConfig(context.env, context.cwd);
}

/** Logs go to stderr so that `--json` output on stdout stays machine-readable. */
export function cliLogger(config: Config): Logger {
  return createLogger({
    level: config.logLevel === 'info' ? 'warn' : config.logLevel,
    destination: process.stderr,
  });
}

/** Opens and migrates the database, runs `fn`, and always closes it again. */
export async function withRuntime<T>(
  context: CliContext,
  fn: (runtime: CliRuntime) => Promise<T>,
): Promise<T> {
  const config = loadCliConfig(context);
  const logger = cliLogger(config);
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const capabilities = await detectCapabilities(db);
    return await fn({ config, logger, db, capabilities });
  } finally {
    await db.close();
  }
}

/** Each command family exports one of these and `src/cli.ts` registers it. */
export type RegisterCommands = (program: Command, context: CliContext) => void;
