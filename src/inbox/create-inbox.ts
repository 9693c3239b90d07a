import type { Database, Queryable } from '../db/database.ts';
import { type IncomingRequest, type RecordedRequest, recordRequest } from './record-request.ts';

/**
 * The use case a Slack handler calls before acknowledging: store the request, create its run and
 * enqueue the run's first job, all in one transaction. Either all three exist or none does, so a
 * crash between them cannot strand a run that no worker will ever pick up.
 */
export interface Inbox {
  accept(request: IncomingRequest, options?: AcceptOptions): Promise<RecordedRequest>;
}

export interface AcceptOptions {
  /** Work to enqueue with a new request in the same transaction (e.g. counting a vote). */
  enqueue?: (tx: Queryable, recorded: RecordedRequest) => Promise<unknown>;
}

export interface InboxDependencies {
  db: Database;
  /** Enqueues the job that advances a new run, inside the given transaction. */
  enqueueRun: (tx: Queryable, runId: string) => Promise<unknown>;
  /** Called after commit, to start the run now rather than at the workers' next poll. */
  afterCommit?: (recorded: RecordedRequest) => void;
}

export function createInbox({ db, enqueueRun, afterCommit }: InboxDependencies): Inbox {
  return {
    async accept(request, options = {}) {
      // A Slack ack waits for this write: on the embedded database it goes ahead of queued work.
      const recorded = await db.withPriority('interactive', () =>
        db.transaction(async (tx) => {
          const r = await recordRequest(tx, request);
          if (!r.duplicate && r.runId) await enqueueRun(tx, r.runId);
          if (!r.duplicate && options.enqueue) await options.enqueue(tx, r);
          return r;
        }),
      );
      if (!recorded.duplicate) afterCommit?.(recorded);
      return recorded;
    },
  };
}
