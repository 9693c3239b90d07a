import { type AuditLog, createAuditLog } from '../audit/audit-log.ts';
import { createKillSwitch, type KillSwitch } from '../control/kill-switch.ts';
import type { Database } from '../db/database.ts';
import { createInbox, type Inbox } from '../inbox/create-inbox.ts';
import { createJobQueue, type JobQueue, type JobQueueOptions } from '../jobs/job-queue.ts';
import type { RetryPolicy } from '../jobs/retry-policy.ts';
import type { Logger } from '../logger.ts';
import { createOutboxSender, type OutboxSender, type OutboxSenderOptions } from '../outbox/outbox-sender.ts';
import type { SlackWriter } from '../outbox/slack-writer.ts';
import { runDeliveryHooks } from './run-delivery-hooks.ts';
import { createRunProcessor, type RunProcessor } from './run-processor.ts';
import type { RunSteps } from './run-steps.ts';
import {
  defineRunJobs,
  RUN_JOB_KIND,
  runEnqueuer,
  runJobSpec,
  type StalledRunSweeper,
  startRunWorker,
  startStalledRunSweeper,
} from './run-worker.ts';

/**
 * The durable core wired together, for the composition root (and the tests, which use the same
 * wiring): the audit log, the job queue with the run jobs, the run processor over the injected
 * steps, the inbox the Slack handlers call, the outbox sender and the kill switch.
 */
export interface DurableCore {
  audit: AuditLog;
  queue: JobQueue;
  processor: RunProcessor;
  inbox: Inbox;
  outbox: OutboxSender;
  killSwitch: KillSwitch;
  /** Starts the run workers, the outbox sender and the stalled-run sweeper in this process. */
  startWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export interface DurableCoreOptions {
  db: Database;
  logger: Logger;
  steps: RunSteps;
  slack: SlackWriter;
  /** Where operators are told about dead-lettered runs. */
  alertChannelId?: string | null;
  /** Runs advanced at once by this process. */
  runConcurrency?: number;
  runRetry?: Partial<RetryPolicy>;
  queue?: JobQueueOptions;
  outbox?: Omit<OutboxSenderOptions, 'db' | 'slack' | 'logger' | 'hooks'>;
}

export async function createDurableCore(options: DurableCoreOptions): Promise<DurableCore> {
  const { db, logger } = options;
  const audit = createAuditLog(db);
  const queue = await createJobQueue(db, logger, options.queue);
  await defineRunJobs(queue, options.runRetry);
  const enqueueRun = runEnqueuer(queue);
  const wakeRuns = () => queue.wake(RUN_JOB_KIND);
  const processor = createRunProcessor({
    db,
    steps: options.steps,
    audit,
    logger,
    enqueueRun,
    wakeRuns,
    alertChannelId: options.alertChannelId ?? null,
  });
  const outbox = createOutboxSender({
    db,
    slack: options.slack,
    logger,
    hooks: runDeliveryHooks(audit),
    ...options.outbox,
  });
  let sweeper: StalledRunSweeper | undefined;
  return {
    audit,
    queue,
    processor,
    inbox: createInbox({ db, queue, runJob: runJobSpec, afterCommit: wakeRuns }),
    outbox,
    killSwitch: createKillSwitch(db, audit),
    async startWorkers() {
      await startRunWorker({ queue, processor, concurrency: options.runConcurrency ?? 4 });
      outbox.start();
      sweeper = startStalledRunSweeper({ db, queue, logger });
    },
    async stop() {
      sweeper?.stop();
      await outbox.stop();
      await queue.stop();
    },
  };
}
