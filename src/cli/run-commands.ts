import type { Command } from 'commander';
import { listRunTransitions, loadRun } from '../agent/run-record.ts';
import { defineRunJobs, RUN_JOB_KIND, redriveRun } from '../agent/run-worker.ts';
import { UsageError } from '../errors.ts';
import { createJobQueue } from '../jobs/job-queue.ts';
import { type CliContext, withRuntime } from './context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function assertRunId(id: string): string {
  if (!UUID.test(id))
    throw new UsageError(`"${id}" is not a run id; run ids look like 0c5c7f0e-9a52-4c55-9b1f-7a6f3f1f2d11`);
  return id;
}

/**
 * `sluice runs show <id>`, `sluice runs dead-letters`, `sluice runs redrive <id>`: look at one
 * run, list the runs the queue gave up on, and send one back once its cause is fixed.
 */
export function registerRunCommands(program: Command, context: CliContext): void {
  const runs = program
    .command('runs')
    .description('inspect runs, list dead letters, redrive a dead-lettered run');

  runs
    .command('show <runId>')
    .description("a run's state, outcome, error and every transition with its time")
    .action(async (runId: string) => {
      assertRunId(runId);
      await withRuntime(context, async ({ db }) => {
        const run = await loadRun(db, runId);
        if (!run) throw new UsageError(`no run ${runId}`);
        const lines = [
          `Run ${run.id}: ${run.state}${run.outcome ? ` (${run.outcome})` : ''}`,
          `  asked by ${run.userId ?? '-'} in ${run.channelId ?? '-'}: ${run.text}`,
          ...(run.errorMessage ? [`  error ${run.errorCode ?? ''}: ${run.errorMessage}`] : []),
          ...(await listRunTransitions(db, runId)).map(
            (t) => `  ${t.at.toISOString()}  ${t.fromState ?? '(new)'} -> ${t.toState}`,
          ),
        ];
        context.stdout(`${lines.join('\n')}\n`);
      });
    });

  runs
    .command('dead-letters')
    .description('jobs the queue gave up on (runs and other kinds), oldest first')
    .action(async () => {
      await withRuntime(context, async ({ db, logger }) => {
        const queue = await createJobQueue(db, logger, { schedule: false, supervise: false });
        try {
          await defineRunJobs(queue, { keepExisting: true });
          const letters = await queue.deadLetters(RUN_JOB_KIND);
          if (letters.length === 0) context.stdout('No dead letters.\n');
          for (const l of letters) {
            const error = (l.error as { message?: string } | null)?.message ?? '';
            context.stdout(
              `${l.deadLetteredAt.toISOString()}  ${l.kind}  ${JSON.stringify(l.payload)}  after ${l.attempts} attempt(s): ${error}\n`,
            );
          }
        } finally {
          await queue.stop();
        }
      });
    });

  runs
    .command('redrive <runId>')
    .description(
      'send a dead-lettered run back to work, with fresh attempts; its recorded effects are not repeated',
    )
    .action(async (runId: string) => {
      assertRunId(runId);
      await withRuntime(context, async ({ db, logger }) => {
        const queue = await createJobQueue(db, logger, { schedule: false, supervise: false });
        try {
          await defineRunJobs(queue, { keepExisting: true });
          if (!(await redriveRun(queue, runId)))
            throw new UsageError(`run ${runId} has no dead letter to redrive`);
          context.stdout(`Redriven: run ${runId} is queued again\n`);
        } finally {
          await queue.stop();
        }
      });
    });
}
