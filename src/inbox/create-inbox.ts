import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { JobInsert } from '../jobs/job-queue.ts';
import { type IncomingRequest, type RecordedRequest, recordRequest } from './record-request.ts';

/**
 * The use case a Slack handler calls before acknowledging: store the request, create its run and
 * enqueue the run's first job, all in ONE statement. Either all three exist or none does, so a
 * crash between them cannot strand a run that no worker will ever pick up; and one statement is
 * one round trip, which is most of what a Slack ack waits for.
 */
export interface Inbox {
  accept(request: IncomingRequest, options?: AcceptOptions): Promise<RecordedRequest>;
}

export interface AcceptOptions {
  /** Jobs to enqueue with a new request, in the same statement (e.g. counting a vote). */
  jobs?: readonly JobInsert[];
}

export interface InboxDependencies {
  db: Database;
  /** The insert of the job that advances a new run (`JobQueue.prepare`). */
  runJob: (runId: string) => Promise<JobInsert>;
  /**
   * Called after commit (on the next turn of the event loop, so that the Slack ack goes out before
   * a worker wakes), to start the run now rather than at the workers' next poll.
   */
  afterCommit?: (recorded: RecordedRequest) => void;
}

export function createInbox({ db, runJob, afterCommit }: InboxDependencies): Inbox {
  return {
    async accept(request, options = {}) {
      const runId = request.run ? randomUUID() : null;
      const jobs = [...(runId ? [await runJob(runId)] : []), ...(options.jobs ?? [])];
      // A Slack ack waits for this write: on the embedded database it goes ahead of queued work.
      const recorded = await db.withPriority('interactive', () =>
        recordRequest(db, { ...request, ...(runId ? { runId } : {}) }, jobs),
      );
      // On the next turn of the event loop: the caller acks first, then a worker's fetch runs.
      if (!recorded.duplicate && afterCommit) setImmediate(() => afterCommit(recorded));
      return recorded;
    },
  };
}
