import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './cli/audit-commands.ts';
import type { CliContext } from './cli/context.ts';
import { registerControlCommands } from './cli/control-commands.ts';
import { registerDoctorCommand } from './cli/doctor-command.ts';
import { registerMigrateCommand } from './cli/migrate-command.ts';
import { registerPolicyCommands } from './cli/policy-commands.ts';
import { registerRetrievalCommands } from './cli/retrieval-commands.ts';
import { registerRunCommands } from './cli/run-commands.ts';
import { registerStartCommand } from './cli/start-command.ts';
import { ConfigError, isSluiceError, UsageError } from './errors.ts';
import { redactSecrets } from './logger.ts';

/** Exit codes: 0 ok, 1 failure, 2 usage or configuration error. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function buildProgram(context: CliContext): Command {
  const program = new Command('sluice')
    .description(
      'Sluice: a Slack-first operations agent. Configuration comes from the environment (see .env.example).',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: context.stdout, writeErr: context.stderr })
    .exitOverride();
  for (const register of [
    registerStartCommand,
    registerMigrateCommand,
    registerDoctorCommand,
    registerRetrievalCommands,
    registerControlCommands,
    registerAuditCommands,
    registerRunCommands,
    registerPolicyCommands,
  ]) {
    register(program, context);
  }
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: context.stdout, writeErr: context.stderr });
  return program;
}

/** Runs one command line and returns the exit code; never calls process.exit itself. */
export async function runCli(argv: string[], context: CliContext): Promise<number> {
  const program = buildProgram(context);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof ConfigError || error instanceof UsageError) {
      context.stderr(`${error.message}\n`);
      return EXIT_USAGE;
    }
    if (isSluiceError(error) && error.details?.quiet) return EXIT_FAILURE;
    const message = error instanceof Error ? error.message : String(error);
    context.stderr(`error: ${redactSecrets(message)}\n`);
    return EXIT_FAILURE;
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && /(?:^|[\\/])(cli\.ts|sluice(\.js)?)$/.test(process.argv[1]);

if (isEntryPoint) {
  const context: CliContext = {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stdout.isTTY),
  };
  const code = await runCli(process.argv.slice(2), context);
  process.exitCode = code;
}
