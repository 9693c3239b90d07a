import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { JobQueue, JobSpec } from '../jobs/job-queue.ts';
import type { Logger } from '../logger.ts';
import type { InboxJournal, JournalEntry, JournalRecord } from './inbox-journal.ts';
import {
  type IncomingRequest,
  type RecordedRequest,
  recordRequest,
  withoutVerificationToken,
} from './record-request.ts';

/**
 * Where a Slack request is stored before it is acknowledged. In the database, the request, the
 * run it starts and the run's first job are written in ONE statement (`recordRequest`): all
 * three exist or none does, so a crash cannot strand a run that no worker will pick up.
 *
 * `accept` writes that statement and resolves with the record. `admit`, which the Slack handlers
 * await before they ack, writes the request to the inbox journal (src/inbox/inbox-journal.ts: a
 * file on this host's disk) and resolves at once; the statement runs right after, in the order
 * requests arrived, and `recorded` settles when it has. The ack so waits for one file write, not
 * for the database (busy workers, a slow or failing-over server). A statement that fails is
 * retried (100 ms doubling to 30 s) for as long as the database does not answer; one the
 * database refuses three times while it answers is set aside in the journal's refused file and
 * `recorded` rejects, so the caller can tell the person. Whatever a process admitted and did not
 * store is stored by the next start (`recover`) before anything else. Without a journal
 * (SLUICE_INBOX_JOURNAL=off) `admit` is `accept`: the ack waits for the statement.
 */
export interface Inbox {
  accept(request: IncomingRequest, options?: AcceptOptions): Promise<RecordedRequest>;
  admit(request: IncomingRequest, options?: AcceptOptions): Promise<Admission>;
  /** Stores what an earlier process admitted and did not store (the journal's leftovers). */
  recover(): Promise<{ stored: number; alreadyStored: number; refused: number; torn: number }>;
  /** Resolves once every request admitted so far is in the database, or refused. */
  settled(): Promise<void>;
  /** Waits up to `timeoutMs` for admitted requests to be stored; the rest stay in the journal. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

export interface AcceptOptions {
  /** Jobs to enqueue with a new request, in the same statement (e.g. counting a vote). */
  jobs?: readonly JobSpec[];
}

export interface Admission {
  /** The run the request starts (for a repeat delivery this process admitted before: that one's). */
  runId: string | null;
  /** A repeat of a request this process admitted in the last ten minutes. */
  duplicate: boolean;
  /** Settles once the request is in the database; rejects if the database refused it. */
  recorded: Promise<RecordedRequest>;
}

export interface InboxDependencies {
  db: Database;
  /** Builds each job's insert, run inside the inbox statement. */
  queue: Pick<JobQueue, 'prepare'>;
  /** The job that advances a new run. */
  runJob: (runId: string) => JobSpec;
  /**
   * Called once a new request is in the database (on the next turn of the event loop, so that a
   * Slack ack waiting on it goes out before a worker wakes), to start its run now rather than at
   * the workers' next poll.
   */
  afterCommit?: (recorded: RecordedRequest) => void;
  /** The inbox journal: `admit` writes there (see above), and `recover` stores its leftovers. */
  journal?: InboxJournal;
  /**
   * False to acknowledge only once a request is in the database even with a journal (then kept
   * only to store what an earlier process left in it). Default true.
   */
  ackFromJournal?: boolean;
  logger?: Logger;
}

/** How long a key is remembered for answering a repeat delivery at once. */
const RECENT_MS = 10 * 60_000;
const REFUSE_AFTER_FAILURES = 3;
const MAX_RETRY_DELAY_MS = 30_000;

type Waiting = {
  entry: JournalEntry;
  resolve: (recorded: RecordedRequest) => void;
  reject: (error: unknown) => void;
};

export function createInbox(deps: InboxDependencies): Inbox {
  const { db, journal, logger } = deps;
  const waiting: Waiting[] = [];
  const recent = new Map<string, { runId: string | null; at: number }>();
  let draining: Promise<void> | undefined;
  /** The statement the drain is waiting for, if any: a stop lets it finish before the database closes. */
  let storing: Promise<unknown> | undefined;
  let stopped = false;

  async function store(request: IncomingRequest, specs: readonly JobSpec[]): Promise<RecordedRequest> {
    const runId = request.run ? (request.runId ?? randomUUID()) : null;
    const jobs = await Promise.all(
      [...(runId ? [deps.runJob(runId)] : []), ...specs].map((job) =>
        deps.queue.prepare(job.kind, job.payload, job.key ? { key: job.key } : {}),
      ),
    );
    // A Slack ack may wait for this write: on the embedded database it goes ahead of queued work.
    return db.withPriority('interactive', () =>
      recordRequest(db, { ...request, ...(runId ? { runId } : {}) }, jobs),
    );
  }

  const fromRecord = (r: JournalRecord): IncomingRequest => ({
    key: r.key,
    kind: r.kind,
    payload: r.payload,
    receivedAt: new Date(r.receivedAt),
    ...(r.run ? { run: r.run } : {}),
    ...(r.runId ? { runId: r.runId } : {}),
  });

  const woken = (recorded: RecordedRequest) => {
    const { afterCommit } = deps;
    if (!recorded.duplicate && afterCommit) setImmediate(() => afterCommit(recorded));
  };

  /** Whether the database answers at all: a statement that fails while it does will fail again. */
  const databaseAnswers = () =>
    db.query('SELECT 1').then(
      () => true,
      () => false,
    );

  /** The journal's own bookkeeping: a file error there must not store a request twice or stop the drain. */
  function noteInJournal(what: string, write: () => void): void {
    try {
      write();
    } catch (error) {
      logger?.error({ err: error, journal: journal?.dir }, `could not ${what} in the inbox journal`);
    }
  }

  function refuse(entry: JournalEntry, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    noteInJournal('set a refused request aside', () => journal?.refuse(entry, reason));
    logger?.error(
      { err: error, key: entry.record.key, journal: journal?.dir },
      'the database refused a request from the inbox journal; it is kept in inbox-journal-refused.jsonl',
    );
  }

  async function drain(): Promise<void> {
    let failures = 0;
    while (waiting.length > 0 && !stopped) {
      const next = waiting[0]!;
      try {
        const attempt = store(fromRecord(next.entry.record), next.entry.record.jobs);
        storing = attempt.catch(() => {});
        const recorded = await attempt;
        waiting.shift();
        noteInJournal('mark a request stored', () => journal?.moved(next.entry));
        failures = 0;
        woken(recorded);
        next.resolve(recorded);
      } catch (error) {
        failures++;
        if (failures >= REFUSE_AFTER_FAILURES && (await databaseAnswers())) {
          waiting.shift();
          refuse(next.entry, error);
          failures = 0;
          next.reject(error);
          continue;
        }
        logger?.warn(
          { err: error, key: next.entry.record.key, failures },
          'could not store a request yet; retrying',
        );
        await sleep(Math.min(100 * 2 ** (failures - 1), MAX_RETRY_DELAY_MS));
      }
    }
  }

  function startDrain(): void {
    if (draining) return;
    // After the current turn of the event loop, so the handler's ack is written first.
    draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .catch((error: unknown) => logger?.error({ err: error }, 'the inbox journal drain failed; retrying'))
      .finally(() => {
        draining = undefined;
        if (waiting.length > 0 && !stopped) startDrain();
      });
  }

  function forget(now: number): void {
    for (const [key, seen] of recent) {
      if (now - seen.at < RECENT_MS) break;
      recent.delete(key);
    }
  }

  const inbox: Inbox = {
    async accept(request, options = {}) {
      const recorded = await store(request, options.jobs ?? []);
      woken(recorded);
      return recorded;
    },

    async admit(request, options = {}) {
      if (!journal || deps.ackFromJournal === false) {
        const recorded = await inbox.accept(request, options);
        return { runId: recorded.runId, duplicate: recorded.duplicate, recorded: Promise.resolve(recorded) };
      }
      if (stopped)
        throw new SluiceError('database_unavailable', 'Sluice is shutting down; try again in a minute');
      if (containsNul(request.payload) || containsNul(request.run)) {
        throw new SluiceError(
          'invalid_input',
          'the request contains a NUL character, which cannot be stored; remove it and send again',
        );
      }
      const now = Date.now();
      forget(now);
      const seen = recent.get(request.key);
      const runId = request.run ? (seen?.runId ?? request.runId ?? randomUUID()) : null;
      const entry = journal.append({
        key: request.key,
        kind: request.kind,
        payload: withoutVerificationToken(request.payload ?? null),
        receivedAt: request.receivedAt.toISOString(),
        run: request.run ?? null,
        runId,
        jobs: [...(options.jobs ?? [])],
      });
      if (!seen) recent.set(request.key, { runId, at: now });
      const recorded = new Promise<RecordedRequest>((resolve, reject) => {
        waiting.push({ entry, resolve, reject });
      });
      // The caller handles a refusal; this keeps one it ignores from ending the process.
      recorded.catch(() => {});
      startDrain();
      return { runId, duplicate: seen !== undefined, recorded };
    },

    async recover() {
      const counts = { stored: 0, alreadyStored: 0, refused: 0, torn: journal?.tornLines ?? 0 };
      if (!journal) return counts;
      for (const entry of journal.leftovers) {
        const { key, runId } = entry.record;
        recent.set(key, { runId, at: Date.now() });
        // Stored before the process stopped, the journal not yet emptied: not a second delivery.
        const found = await db.query('SELECT 1 FROM requests WHERE key = $1', [key]);
        if (found.rows.length > 0) {
          journal.moved(entry);
          counts.alreadyStored++;
          continue;
        }
        try {
          woken(await store(fromRecord(entry.record), entry.record.jobs));
          journal.moved(entry);
          counts.stored++;
        } catch (error) {
          if (!(await databaseAnswers())) throw error;
          refuse(entry, error);
          counts.refused++;
        }
      }
      if (counts.torn > 0) {
        logger?.warn(
          { torn: counts.torn, journal: journal.dir },
          'the inbox journal had unreadable lines (a write cut short when the process stopped); those requests were never acknowledged',
        );
      }
      return counts;
    },

    async settled() {
      while (draining || waiting.length > 0) {
        if (stopped) return;
        await (draining ?? sleep(10));
      }
    },

    async stop(options = {}) {
      const deadline = sleep(options.timeoutMs ?? 5_000);
      await Promise.race([inbox.settled(), deadline]);
      stopped = true;
      await storing;
      if (waiting.length > 0) {
        logger?.warn(
          { left: waiting.length, journal: journal?.dir },
          'requests not yet stored stay in the inbox journal for the next start',
        );
      }
      journal?.close();
    },
  };
  return inbox;
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Postgres stores no NUL character in text or jsonb. */
function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(containsNul);
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (k.includes('\u0000') || containsNul(v)) return true;
  }
  return false;
}
