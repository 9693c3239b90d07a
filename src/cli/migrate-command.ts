import type { Command } from 'commander';
import { migrate } from '../db/migrate.ts';
import { openDatabase } from '../db/open-database.ts';
import { type CliContext, loadCliConfig } from './context.ts';

export function registerMigrateCommand(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('apply pending database migrations (safe to run from several machines at once)')
    .action(async () => {
      const config = loadCliConfig(context);
      const db = await openDatabase(config);
      try {
        const result = await migrate(db);
        for (const file of result.applied) context.stdout(`applied ${file}\n`);
        context.stdout(
          `${result.applied.length} applied, ${result.alreadyApplied} already applied (${db.kind}: ${db.location})\n`,
        );
      } finally {
        await db.close();
      }
    });
}
