import type { AuditLog } from '../audit/audit-log.ts';
import type { Database, Queryable } from '../db/database.ts';
import { describeError, isSluiceError, SluiceError } from '../errors.ts';
import { childLogger, type Logger } from '../logger.ts';
import { commitTransition, type RunChange, RunFencedError } from './commit-transition.ts';
import { type ApprovalResolution, resolveApproval } from './resolve-approval.ts';
import { alertText, deadLetterReply, runMessage, stoppedReply } from './run-messages.ts';
import { loadRun, type Run } from './run-record.ts';
import { isTerminal, type RunState } from './run-state.ts';
import { createStepRunner } from './run-step-runner.ts';
import type { RunSteps, StepContext } from './run-steps.ts';

export type { ApprovalResolution } from './resolve-approval.ts';

/**
 * Drives a run through its states, one committed step at a time, so a run resumes from its last
 * recorded state after a crash and never repeats a recorded effect. The steps themselves are
 * injected (see run-steps.ts). The kill switch is checked before a run starts and again, inside
 * the transaction that records the start, immediately before every effect.
 */

export interface RunJob {
  attempt: number;
  signal: AbortSignal;
  /** The job was sent back from the dead-letter queue by an operator. */
  redriven: boolean;
}

export interface RunProcessor {
  /** Does all the work the run's current state allows; returns when it waits or has ended. */
  advance(runId: string, job: RunJob): Promise<void>;
  /** Ends a run whose job was given up, tells the requester and, if configured, the operators. */
  deadLetter(runId: string, failure: { reason: string; error: unknown }): Promise<void>;
  /** Continues a run that waits for approval (called by the approvals module). */
  resolveApproval(runId: string, resolution: ApprovalResolution): Promise<Run>;
}

export interface RunProcessorOptions {
  db: Database;
  steps: RunSteps;
  audit: AuditLog;
  logger: Logger;
  /** Enqueues the run's job inside `tx` (after an approval, for example). */
  /** The run's job; null when a job of the run still holds its key. */
  enqueueRun: (tx: Queryable, runId: string) => Promise<string | null>;
  /** Called after a commit that enqueued the run, to start it now. */
  wakeRuns?: () => void;
  /** Where operators are told about dead-lettered runs. */
  alertChannelId?: string | null;
}

/** A run passes through at most this many states in one job; more means a bug, not progress. */
const MAX_STEPS_PER_JOB = 20;

export function createRunProcessor(options: RunProcessorOptions): RunProcessor {
  const { db, audit } = options;
  const runner = createStepRunner(options);

  // One statement (commit-transition.ts): atomic without a transaction around it.
  const commit = (run: Run, to: RunState, change: RunChange = {}) =>
    commitTransition(db, audit, run, to, change);

  async function endEarly(
    run: Run,
    to: 'budget_exceeded' | 'cancelled' | 'failed',
    error: unknown,
  ): Promise<void> {
    const message = describeError(error);
    await commit(run, to, {
      error: { code: isSluiceError(error) ? error.code : 'internal', message },
      messages: runMessage(run, to, stoppedReply(run, message)),
      audit: [{ actor: 'system', kind: `run.${to}`, detail: { error: message } }],
    });
  }

  async function resumeRedriven(run: Run): Promise<Run> {
    const back = run.context.deadLetteredFrom ?? 'received';
    return commit(run, back, {
      audit: [{ actor: 'operator', kind: 'run.redriven', detail: { resumedAt: back } }],
    });
  }

  const processor: RunProcessor = {
    async advance(runId, job) {
      for (let i = 0; i < MAX_STEPS_PER_JOB; i++) {
        let run = await loadRun(db, runId);
        if (!run) throw new SluiceError('not_found', `run ${runId} does not exist`);
        const logger = childLogger(options.logger, { correlationId: run.correlationId, runId: run.id });
        try {
          if (run.state === 'dead_lettered') {
            if (!job.redriven) return;
            run = await resumeRedriven(run);
            continue;
          }
          if (isTerminal(run.state) || run.state === 'awaiting_approval' || run.state === 'replied') return;
          const ctx: StepContext = { run, attempt: job.attempt, signal: job.signal, logger };
          logger.debug({ state: run.state, attempt: job.attempt }, 'run step');
          await runner.step(run, ctx);
        } catch (error) {
          if (error instanceof RunFencedError) {
            logger.warn('run was taken over by another worker; stopping here');
            return;
          }
          if (isSluiceError(error) && error.code === 'budget_exceeded')
            return endEarly(run, 'budget_exceeded', error);
          throw error;
        }
      }
      throw new SluiceError('internal', `run ${runId} took more than ${MAX_STEPS_PER_JOB} steps in one job`);
    },

    async deadLetter(runId, failure) {
      const run = await loadRun(db, runId);
      if (!run || isTerminal(run.state)) return;
      const message = describeError(failure.error);
      const alert =
        options.alertChannelId && run.channelId !== options.alertChannelId
          ? [
              {
                operation: 'post' as const,
                key: `${run.id}:alert:${run.version}`,
                runId: run.id,
                step: 'alert',
                channelId: options.alertChannelId,
                text: alertText(run, failure.reason, message).text,
              },
            ]
          : [];
      await commit(run, 'dead_lettered', {
        context: { deadLetteredFrom: run.state },
        error: { code: isSluiceError(failure.error) ? failure.error.code : 'internal', message },
        messages: [...runMessage(run, `dead-lettered:${run.version}`, deadLetterReply(run)), ...alert],
        audit: [
          {
            actor: 'system',
            kind: 'run.dead_lettered',
            detail: { reason: failure.reason, error: message, from: run.state },
          },
        ],
      });
    },

    resolveApproval: (runId, resolution) => resolveApproval(options, runId, resolution),
  };

  return processor;
}
