import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/database.ts';
import type { JobInsert } from '../jobs/job-queue.ts';

/**
 * Stores a Slack request in the inbox, the run it starts and the jobs that go with it, in ONE
 * statement, so the Slack handler can acknowledge within milliseconds. A second delivery of the
 * same key (a Slack retry, a replay, a second replica receiving it) inserts nothing: it only
 * counts the delivery and gets back the original request and run; its jobs are not enqueued.
 * Retries are never dropped unread, because the first delivery may be the one that failed before
 * it was stored.
 */

export type RequestKind = 'command' | 'event' | 'interaction';

/** Where a run's reply goes and what was asked. */
export interface RunSeed {
  /** command, event, interaction, schedule, cli ... defaults to the request kind. */
  origin?: string;
  teamId?: string | null;
  channelId?: string | null;
  userId?: string | null;
  threadTs?: string | null;
  text: string;
}

export interface IncomingRequest {
  key: string;
  kind: RequestKind;
  payload: unknown;
  receivedAt: Date;
  /** Present when the request starts a run (commands, mentions, DMs); absent for button clicks. */
  run?: RunSeed;
  /** The new run's id, when the caller needs it first (for its job); default a fresh one. */
  runId?: string;
}

export interface RecordedRequest {
  requestId: number;
  correlationId: string;
  /** The run this request started, now or at its first delivery. */
  runId: string | null;
  /** True when this delivery was already in the inbox: do nothing more with it. */
  duplicate: boolean;
  deliveries: number;
  /**
   * Whether a run from an earlier request already existed in the new run's Slack thread when
   * this one was stored (false without a thread): an assistant thread is titled after its first.
   */
  threadHadRuns: boolean;
}

/** The statement's own parameters, $1 to $12; each job's follows. */
const PARAMS = 12;

const recordSql = (jobs: readonly JobInsert[]) => `
  WITH req AS (
    INSERT INTO requests (key, kind, payload, correlation_id, run_id, received_at, last_delivery_at)
    VALUES ($1, $2, $3::jsonb, $4, $5, $6, $6)
    ON CONFLICT (key) DO UPDATE
      SET deliveries = requests.deliveries + 1, last_delivery_at = EXCLUDED.last_delivery_at
    RETURNING id, correlation_id, run_id, deliveries, (xmax = 0) AS inserted
  ), run AS (
    INSERT INTO runs (id, request_id, correlation_id, origin, team_id, channel_id, user_id, thread_ts, text,
                      state, created_at, updated_at)
    SELECT req.run_id, req.id, req.correlation_id, $7, $8, $9, $10, $11, $12, 'received', $6, $6
      FROM req WHERE req.inserted AND req.run_id IS NOT NULL
    RETURNING id
  ), transition AS (
    INSERT INTO run_transitions (run_id, from_state, to_state, at)
    SELECT id, NULL, 'received', $6 FROM run
  )${jobs
    .map(
      (job, i) => `, job_${i} AS (
    ${job.sql(`(SELECT $${PARAMS + 1 + i}::text FROM req WHERE req.inserted)`)}
  )`,
    )
    .join('')}
  SELECT id AS request_id, correlation_id, run_id, deliveries, inserted,
         -- The statement's snapshot predates its own run: any run found is an earlier one.
         $11::text IS NOT NULL AND EXISTS (
           SELECT 1 FROM runs r WHERE r.channel_id = $9 AND r.thread_ts = $11::text AND r.id <> req.run_id
         ) AS thread_had_runs
    FROM req`;

/** `jobs` are enqueued only if this delivery is the request's first. */
export async function recordRequest(
  q: Queryable,
  input: IncomingRequest,
  jobs: readonly JobInsert[] = [],
): Promise<RecordedRequest> {
  const seed = input.run;
  const result = await q.query<{
    request_id: number;
    correlation_id: string;
    run_id: string | null;
    deliveries: number;
    inserted: boolean;
    thread_had_runs: boolean;
  }>(recordSql(jobs), [
    input.key,
    input.kind,
    JSON.stringify(withoutVerificationToken(input.payload ?? null)),
    randomUUID(),
    seed ? (input.runId ?? randomUUID()) : null,
    input.receivedAt,
    seed?.origin ?? input.kind,
    seed?.teamId ?? null,
    seed?.channelId ?? null,
    seed?.userId ?? null,
    seed?.threadTs ?? null,
    seed?.text ?? '',
    ...jobs.map((job) => job.value),
  ]);
  const row = result.rows[0]!;
  return {
    requestId: row.request_id,
    correlationId: row.correlation_id,
    runId: row.run_id,
    duplicate: !row.inserted,
    deliveries: row.deliveries,
    threadHadRuns: row.thread_had_runs,
  };
}

/** Slack's legacy verification token is a credential: it is never stored. */
export function withoutVerificationToken(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || !('token' in payload)) {
    return payload;
  }
  const { token: _token, ...rest } = payload as Record<string, unknown>;
  return rest;
}
