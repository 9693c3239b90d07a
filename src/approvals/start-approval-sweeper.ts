import type { Logger } from '../logger.ts';
import { type ApprovalSweepDeps, type SweepResult, sweepApprovals } from './sweep-approvals.ts';

/**
 * Runs the approval sweep on a timer in every worker process. No coordination between replicas is
 * needed: the sweep's claims are conditional UPDATEs, so two replicas sweeping at once expire and
 * remind each approval once. Passes never overlap within a process; a failed pass is logged and
 * the next one finds the same rows still due (nothing was committed for them).
 */

export interface ApprovalSweeper {
  /** One pass now, at the sweeper's clock (tests and `stop` use it). */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

export interface ApprovalSweeperOptions extends ApprovalSweepDeps {
  logger: Logger;
  /** Time between passes; expiries are minutes long, so a few seconds late is fine. */
  intervalMs?: number;
  clock?: () => Date;
}

const EMPTY: SweepResult = { expired: [], reminded: [], failed: [] };

export function startApprovalSweeper(options: ApprovalSweeperOptions): ApprovalSweeper {
  const intervalMs = options.intervalMs ?? 10_000;
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger.child({ component: 'approval-sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepResult> = Promise.resolve(EMPTY);
  let stopped = false;

  const sweep = (): Promise<SweepResult> => {
    // Chained, so a pass asked for while one runs starts after it.
    running = running
      .catch(() => EMPTY)
      .then(() => sweepApprovals(options, clock()))
      .then((result) => {
        for (const a of result.expired) logger.info({ approvalId: a.id, runId: a.runId }, 'approval expired');
        for (const a of result.reminded)
          logger.info({ approvalId: a.id, runId: a.runId }, 'approval reminder');
        for (const f of result.failed) {
          logger.error(
            { err: f.error, approvalId: f.approvalId },
            'sweeping one approval failed; it stays due',
          );
        }
        return result;
      });
    return running;
  };

  const tick = () => {
    sweep()
      .catch((error: unknown) => logger.error({ err: error }, 'approval sweep failed; the rows stay due'))
      .finally(() => {
        if (stopped) return;
        timer = setTimeout(tick, intervalMs);
        timer.unref();
      });
  };

  // The first pass soon after start: approvals that expired while no worker ran are ended now.
  timer = setTimeout(tick, Math.min(intervalMs, 1_000));
  timer.unref();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
