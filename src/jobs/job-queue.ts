import PQueue from 'p-queue';
import { type JobWithMetadata, PgBoss } from 'pg-boss';
import type { Database, Queryable } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import { createAttemptRunner } from './attempt-runner.ts';
import { pgBossDatabase, pgBossTransaction } from './pg-boss-database.ts';
import { type RetryPolicy, resolveRetryPolicy } from './retry-policy.ts';

/**
 * Durable jobs on Postgres (pg-boss): retries with backoff and jitter, a lease after which a
 * lost attempt is retried, dead letters with redrive, and bounded concurrency per kind. See
 * src/jobs/ARCHITECTURE.md for how attempts, leases and dead letters fit together.
 */

export interface JobContext<P> {
  id: string;
  kind: string;
  payload: P;
  /** 1 for the first run of the handler. */
  attempt: number;
  maxAttempts: number;
  /** True when an operator sent this job back from the dead-letter queue. */
  redriven: boolean;
  /** Aborted when the queue stops. */
  signal: AbortSignal;
}

export interface DeadLetterContext<P> {
  jobId: string;
  kind: string;
  payload: P;
  attempt: number;
  reason: 'non_retryable' | 'attempts_exhausted' | 'deadline_passed' | 'attempt_lost';
  error: unknown;
}

export interface JobKindOptions extends Partial<RetryPolicy> {
  /** At most one queued-or-running job per key (`enqueue` must then pass a key). */
  uniqueByKey?: boolean;
  /** Leave an existing queue's settings alone (admin commands that only inspect or redrive). */
  keepExisting?: boolean;
}

export interface WorkOptions<P> {
  /** Handlers of this kind running at once in this process. */
  concurrency: number;
  /** Called once when a job is given up, before it moves to the dead-letter queue. */
  onDeadLetter?: (job: DeadLetterContext<P>) => Promise<void>;
  /** A reason to complete the job without running it (for example: paused), or null to run it. */
  skipWhen?: (payload: P) => Promise<string | null>;
}

export interface EnqueueOptions {
  /** With `uniqueByKey`, a second job with the same key is refused (enqueue returns null). */
  key?: string;
  /** Enqueue inside this transaction, so the job exists if and only if the transaction commits. */
  tx?: Queryable;
  startAfter?: Date;
}

/** A job as plain data, so it can be written down now and enqueued later (the inbox journal). */
export interface JobSpec {
  kind: string;
  payload: object;
  key?: string;
}

/**
 * One job's insert, to run as part of a caller's own statement (a data-modifying CTE), so the
 * job commits with the caller's rows in a single round trip: pg-boss's own INSERT for the job,
 * with its one JSON parameter left for the caller to place.
 */
export interface JobInsert {
  /** The INSERT, reading the job from `param`: an SQL expression of type text (NULL: no job). */
  sql(param: string): string;
  /** The value `param` should carry. */
  value: string;
}

export interface DeadLetter {
  id: string;
  kind: string;
  payload: unknown;
  error: unknown;
  /** Attempts the job had made when it was given up. */
  attempts: number;
  deadLetteredAt: Date;
}

export interface JobQueue {
  define(kind: string, options?: JobKindOptions): Promise<void>;
  enqueue<P extends object>(kind: string, payload: P, options?: EnqueueOptions): Promise<string | null>;
  /** The insert `enqueue` would run, for the caller to run inside a statement of its own. */
  prepare<P extends object>(kind: string, payload: P, options?: { key?: string }): Promise<JobInsert>;
  work<P extends object>(
    kind: string,
    handler: (job: JobContext<P>) => Promise<void>,
    options: WorkOptions<P>,
  ): Promise<void>;
  /** Wakes this process's workers of a kind now instead of at their next poll. */
  wake(kind: string): void;
  /**
   * An SQL condition, true while `kind` has a job under the key `keySql` (an SQL expression of
   * type text) that is queued, waiting to retry, running, or given up and waiting in the
   * dead-letter queue for a redrive: for a sweep that finds work whose job was lost.
   */
  hasJobSql(kind: string, keySql: string): string;
  /** Enqueues a job of `kind` on a cron schedule, once per slot across all replicas. */
  schedule(
    kind: string,
    cron: string,
    payload?: object,
    options?: { key?: string; tz?: string },
  ): Promise<void>;
  unschedule(kind: string, key?: string): Promise<void>;
  deadLetters(kind?: string): Promise<DeadLetter[]>;
  /** Sends a dead letter back to its queue with fresh attempts; returns false if it was not found. */
  redrive(deadLetterId: string): Promise<boolean>;
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface JobQueueOptions {
  /** The Postgres schema pg-boss keeps its tables in. */
  schema?: string;
  /** How often idle workers look for new jobs. */
  pollIntervalSeconds?: number;
  /** How often expired leases are found and their jobs retried (pg-boss supervision). */
  superviseIntervalSeconds?: number;
  /** Run the cron scheduler in this process. */
  schedule?: boolean;
  /** Run pg-boss's supervision (lease expiry, retention) in this process; off for CLI commands. */
  supervise?: boolean;
}

const DEAD_SUFFIX = '.dead';
/** Dead letters wait for an operator; they must not expire on pg-boss's 14-day default. */
const DEAD_LETTER_RETENTION_SECONDS = 10 * 365 * 24 * 60 * 60;

export async function createJobQueue(
  db: Database,
  logger: Logger,
  options: JobQueueOptions = {},
): Promise<JobQueue> {
  const { adapter, backend } = pgBossDatabase(db);
  const supervise = options.superviseIntervalSeconds ?? 10;
  const schema = sqlIdentifier(options.schema ?? 'pgboss');
  const boss = new PgBoss({
    db: adapter,
    backend,
    schema,
    superviseIntervalSeconds: supervise,
    monitorIntervalSeconds: supervise,
    schedule: options.schedule ?? true,
    supervise: options.supervise ?? true,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  boss.on('warning', (warning) => logger.warn({ warning: warning.data }, `job queue: ${warning.message}`));
  // Started in the background priority, so the timers it sets (supervision, maintenance, cron)
  // and the statements they run wait behind interactive work on the embedded database.
  await db.withPriority('background', () => boss.start());

  const kinds = new Map<string, { policy: RetryPolicy; uniqueByKey: boolean }>();
  const workIds = new Map<string, string>();
  const limiters = new Map<string, PQueue>();
  const stopping = new AbortController();
  const pollingIntervalSeconds = options.pollIntervalSeconds ?? 1;

  const kindOf = (kind: string) => {
    const found = kinds.get(kind);
    if (!found) throw new Error(`job kind "${kind}" is not defined; call define("${kind}") first`);
    return found;
  };

  const queue: JobQueue = {
    async define(kind, kindOptions = {}) {
      const { uniqueByKey = false, keepExisting = false, ...overrides } = kindOptions;
      const policy = resolveRetryPolicy(overrides);
      const dead = kind + DEAD_SUFFIX;
      await boss.createQueue(dead, { retentionSeconds: DEAD_LETTER_RETENTION_SECONDS });
      const queueOptions = {
        policy: uniqueByKey ? 'exclusive' : 'standard',
        deadLetter: dead,
        // One attempt more than the policy allows: it only runs the dead-letter hook, for a job
        // whose last real attempt was lost (worker killed) and so never reported its failure.
        retryLimit: policy.maxAttempts,
        retryDelay: Math.max(1, Math.round(policy.baseDelaySeconds)),
        retryDelayMax: Math.round(policy.maxDelaySeconds),
        retryBackoff: true,
        expireInSeconds: Math.round(policy.leaseSeconds),
      } as const;
      const existing = await boss.getQueue(kind);
      if (existing && !keepExisting) {
        const { policy: _fixed, ...changeable } = queueOptions;
        await boss.updateQueue(kind, changeable);
      } else if (!existing) {
        await boss.createQueue(kind, queueOptions);
      }
      // Fill pg-boss's queue cache now: a cache miss inside a caller's transaction would query
      // outside it, which on PGlite (one session) waits for that very transaction.
      await boss.findJobs(kind, { id: '00000000-0000-0000-0000-000000000000' });
      await boss.findJobs(dead, { id: '00000000-0000-0000-0000-000000000000' });
      kinds.set(kind, { policy, uniqueByKey });
    },

    async enqueue(kind, payload, enqueueOptions = {}) {
      const { uniqueByKey } = kindOf(kind);
      if (uniqueByKey && !enqueueOptions.key) throw new Error(`job kind "${kind}" needs a key for every job`);
      return boss.send(kind, payload, {
        ...(enqueueOptions.key ? { singletonKey: enqueueOptions.key } : {}),
        ...(enqueueOptions.startAfter ? { startAfter: enqueueOptions.startAfter } : {}),
        ...(enqueueOptions.tx ? { db: pgBossTransaction(enqueueOptions.tx) } : {}),
      });
    },

    async prepare(kind, payload, prepareOptions = {}) {
      const { uniqueByKey } = kindOf(kind);
      if (uniqueByKey && !prepareOptions.key) throw new Error(`job kind "${kind}" needs a key for every job`);
      // pg-boss builds its statement and hands it to the database it is given: this one keeps it.
      let captured: { text: string; values: unknown[] } | undefined;
      const keeper = {
        executeSql: async (text: string, values: unknown[] = []) => {
          captured = { text, values };
          return { rows: [{ id: 'prepared' }] };
        },
      };
      await boss.send(kind, payload, {
        ...(prepareOptions.key ? { singletonKey: prepareOptions.key } : {}),
        db: keeper,
      });
      return jobInsert(kind, captured);
    },

    async work(kind, handler, workOptions) {
      const { policy } = kindOf(kind);
      const runOne = createAttemptRunner(kind, policy, handler, workOptions, logger, stopping.signal);
      // The bound on handlers of this kind running at once in this process, whatever pg-boss's
      // fetch loops deliver; `stop` waits for it to drain.
      const limiter = new PQueue({ concurrency: Math.max(1, workOptions.concurrency) });
      limiters.set(kind, limiter);
      // The fetch loops inherit the background priority from here, the handlers get it explicitly.
      const workId = await db.withPriority('background', () =>
        boss.work(
          kind,
          {
            batchSize: 1,
            includeMetadata: true,
            perJobResults: true,
            localConcurrency: Math.max(1, workOptions.concurrency),
            pollingIntervalSeconds,
          } as const,
          async (jobs) =>
            db.withPriority('background', () =>
              Promise.all(jobs.map((job) => limiter.add(() => runOne(job as JobWithMetadata<object>)))),
            ),
        ),
      );
      workIds.set(kind, workId);
    },

    wake(kind) {
      const workId = workIds.get(kind);
      if (!workId) return;
      for (const worker of boss.getWipData()) {
        if (worker.workId === workId) boss.notifyWorker(worker.id);
      }
    },

    hasJobSql(kind, keySql) {
      kindOf(kind);
      // pg-boss keeps every job in one table, a dead letter under its dead-letter queue's name
      // with the key of the job it was; `created`, `retry` and `active` are the states not done.
      return `EXISTS (SELECT 1 FROM ${schema}.job j
        WHERE j.name IN (${sqlText(kind)}, ${sqlText(kind + DEAD_SUFFIX)}) AND j.singleton_key = ${keySql}
          AND j.state IN ('created', 'retry', 'active'))`;
    },

    async schedule(kind, cron, payload = {}, scheduleOptions = {}) {
      kindOf(kind);
      await boss.schedule(kind, cron, payload, {
        ...(scheduleOptions.key ? { key: scheduleOptions.key } : {}),
        tz: scheduleOptions.tz ?? 'UTC',
      });
    },

    async unschedule(kind, key) {
      await boss.unschedule(kind, key);
    },

    async deadLetters(kind) {
      const names = kind ? [kind] : [...kinds.keys()];
      const lists = await Promise.all(
        names.map(async (name) => {
          const jobs = await boss.findJobs(name + DEAD_SUFFIX, { queued: true });
          const { maxAttempts } = kindOf(name).policy;
          return jobs.map((job) => ({
            id: job.id,
            kind: job.sourceName ?? name,
            payload: job.data,
            error: job.sourceOutput,
            attempts: Math.min(maxAttempts, (job.sourceRetryCount ?? 0) + 1),
            deadLetteredAt: job.createdOn,
          }));
        }),
      );
      return lists.flat().sort((a, b) => a.deadLetteredAt.getTime() - b.deadLetteredAt.getTime());
    },

    async redrive(deadLetterId) {
      for (const kind of kinds.keys()) {
        const moved = await boss.redrive(kind + DEAD_SUFFIX, { ids: [deadLetterId], destination: kind });
        if (moved > 0) {
          queue.wake(kind);
          return true;
        }
      }
      return false;
    },

    async stop(stopOptions = {}) {
      stopping.abort();
      await boss.stop({ graceful: true, close: false, timeout: stopOptions.timeoutMs ?? 10_000 });
      for (const limiter of limiters.values()) limiter.clear();
    },
  };
  return queue;
}

function sqlIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error(`job queue schema "${name}": use lower-case letters, digits and underscores`);
  }
  return name;
}

function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Checks the statement pg-boss built is what a CTE can hold: one INSERT (no WITH of its own,
 * which Postgres refuses inside another statement's WITH) whose only parameter is the job list.
 * A pg-boss upgrade that changes this fails here, loudly, rather than enqueueing wrongly.
 */
function jobInsert(kind: string, captured: { text: string; values: unknown[] } | undefined): JobInsert {
  const text = captured?.text.trim() ?? '';
  const params = text.match(/\$\d+/g) ?? [];
  const value = captured?.values[0];
  if (
    !/^INSERT\s/i.test(text) ||
    params.length !== 1 ||
    params[0] !== '$1' ||
    captured?.values.length !== 1 ||
    typeof value !== 'string'
  ) {
    throw new Error(`pg-boss built an insert for "${kind}" that cannot run inside another statement`);
  }
  return { sql: (param) => text.replace('$1', () => param), value };
}
