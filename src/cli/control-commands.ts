import os from 'node:os';
import type { Command } from 'commander';
import { getRunStats, today } from '../agent/run-stats.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import { createKillSwitch, describePause } from '../control/kill-switch.ts';
import { formatPauseScope, parsePauseScope } from '../control/pause-scope.ts';
import { countPendingOutbox } from '../outbox/outbox-message.ts';
import { type CliContext, withRuntime } from './context.ts';

/**
 * `sluice pause`, `sluice resume` and `sluice status`: the kill switch from a terminal. A pause is
 * stored in the database, so it holds for every replica and across restarts, and both commands
 * are audited with the operator's name.
 */
export function registerControlCommands(program: Command, context: CliContext): void {
  const defaultActor = `cli:${safeUsername()}`;

  program
    .command('pause')
    .description('stop side effects now: globally, for one channel, or for one action type (audited)')
    .option('--scope <scope>', 'global, channel:<channel id> or action:<action name>', 'global')
    .requiredOption('--reason <text>', 'why (shown to people whose requests are stopped)')
    .option('--by <who>', 'who is pausing (recorded in the audit log)', defaultActor)
    .action(async (opts: { scope: string; reason: string; by: string }) => {
      const scope = parsePauseScope(opts.scope);
      await withRuntime(context, async ({ db }) => {
        const { pause, alreadyPaused } = await createKillSwitch(db, createAuditLog(db)).pause({
          scope,
          reason: opts.reason,
          by: opts.by,
        });
        context.stdout(
          alreadyPaused ? `Already ${describePause(pause)}\n` : `Sluice is now ${describePause(pause)}\n`,
        );
      });
    });

  program
    .command('resume')
    .description('lift a pause (audited); requests made while paused were cancelled and must be asked again')
    .option('--scope <scope>', 'global, channel:<channel id> or action:<action name>', 'global')
    .option('--by <who>', 'who is resuming (recorded in the audit log)', defaultActor)
    .action(async (opts: { scope: string; by: string }) => {
      const scope = parsePauseScope(opts.scope);
      await withRuntime(context, async ({ db }) => {
        const { resumed } = await createKillSwitch(db, createAuditLog(db)).resume({ scope, by: opts.by });
        context.stdout(
          resumed
            ? `Resumed ${formatPauseScope(scope)} (paused by ${resumed.pausedBy} since ${resumed.pausedAt.toISOString()}: ${resumed.reason})\n`
            : `Nothing to resume: ${formatPauseScope(scope)} is not paused\n`,
        );
      });
    });

  program
    .command('status')
    .description('paused or not, runs today, failures, latency, cost, dead letters and the last errors')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(context, async ({ db, capabilities }) => {
        const [pauses, stats, pendingOutbox] = await Promise.all([
          createKillSwitch(db, createAuditLog(db)).list(),
          getRunStats(db, today()),
          countPendingOutbox(db),
        ]);
        if (opts.json) {
          context.stdout(
            `${JSON.stringify({ pauses, runsToday: stats, pendingOutbox, retrieval: capabilities.retrievalMode }, null, 2)}\n`,
          );
          return;
        }
        const lines = [
          pauses.length === 0 ? 'Not paused.' : pauses.map((p) => `PAUSED: ${describePause(p)}`).join('\n'),
          `Runs today: ${stats.total} (${stats.succeeded} done, ${stats.failed} failed, ${stats.cancelled} cancelled, ${stats.inProgress} in progress)` +
            (stats.successRate === null ? '' : `, success rate ${(stats.successRate * 100).toFixed(1)}%`),
          `Latency: p50 ${ms(stats.latencyMs.p50)}, p95 ${ms(stats.latencyMs.p95)}; cost today $${stats.costUsd.toFixed(4)}`,
          `Dead-lettered runs: ${stats.deadLetteredRuns}; Slack messages waiting in the outbox: ${pendingOutbox}`,
          `Retrieval: ${capabilities.retrievalMode}`,
        ];
        if (stats.lastErrors.length > 0) {
          lines.push('Last errors:');
          for (const e of stats.lastErrors) {
            lines.push(
              `  ${e.at.toISOString()}  run ${e.runId}  ${e.state}${e.code ? ` (${e.code})` : ''}: ${e.message ?? ''}`,
            );
          }
        }
        context.stdout(`${lines.join('\n')}\n`);
      });
    });
}

function ms(value: number | null): string {
  return value === null ? '-' : `${value} ms`;
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
