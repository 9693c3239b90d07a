import type { Command } from 'commander';
import { exportRunStory } from '../audit/export-run-story.ts';
import { verifyAuditChain } from '../audit/verify-audit-chain.ts';
import { SluiceError } from '../errors.ts';
import { type CliContext, withRuntime } from './context.ts';
import { assertRunId } from './run-commands.ts';

/**
 * `sluice audit verify` walks the hash chain and names the first bad entry (exit 1 if any);
 * `sluice audit export --run <id>` prints one run's story from the audit log.
 */
export function registerAuditCommands(program: Command, context: CliContext): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log');

  audit
    .command('verify')
    .description('check every entry of the audit chain; names the first edited, deleted or reordered entry')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const result = await withRuntime(context, ({ db }) => verifyAuditChain(db));
      if (opts.json) context.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.ok) {
        context.stdout(
          `Audit chain OK: ${result.checked} entries, head #${result.lastSeq} ${result.headHash ?? ''}\n`,
        );
      } else {
        context.stdout(`AUDIT CHAIN BROKEN at entry #${result.problem!.seq}: ${result.problem!.reason}\n`);
        context.stdout(`(${result.checked} entries before it verified)\n`);
      }
      if (!result.ok) throw new SluiceError('internal', 'audit chain broken', { details: { quiet: true } });
    });

  audit
    .command('export')
    .description(
      "print one run's story: who asked, what was proposed, which rule decided, who approved, what ran",
    )
    .requiredOption('--run <id>', 'the run id (shown in every Slack reply)')
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { run: string; json?: boolean }) => {
      assertRunId(opts.run);
      const story = await withRuntime(context, ({ db }) => exportRunStory(db, opts.run));
      context.stdout(opts.json ? `${JSON.stringify(story.entries, null, 2)}\n` : story.text);
      if (story.entries.length === 0)
        throw new SluiceError('not_found', `no audit entries for run ${opts.run}`, {
          details: { quiet: true },
        });
    });
}
