import type { Queryable } from '../db/database.ts';
import { type DigestPeriod, FAILED_STATES } from './digest-period.ts';

export interface FailedRun {
  runId: string;
  state: string;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: Date;
}

export interface RunFigures {
  total: number;
  /** Runs that ended `done` (answered, executed, or told why they were denied). */
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed); null when none ended either way. */
  successRate: number | null;
  /** The newest failures first, at most `failureLimit` of them; `failed` is the full count. */
  failures: FailedRun[];
}

export async function getRunFigures(
  q: Queryable,
  period: DigestPeriod,
  options: { failureLimit: number },
): Promise<RunFigures> {
  const params = [period.from, period.to, FAILED_STATES];
  const counts = await q.query<{ total: number; succeeded: number; failed: number }>(
    `SELECT count(*)::int AS total,
            (count(*) FILTER (WHERE state = 'done'))::int AS succeeded,
            (count(*) FILTER (WHERE state = ANY($3::text[])))::int AS failed
       FROM runs WHERE created_at >= $1 AND created_at < $2`,
    params,
  );
  const failures = await q.query<{
    id: string;
    state: string;
    error_code: string | null;
    error_message: string | null;
    created_at: Date;
  }>(
    `SELECT id, state, error_code, error_message, created_at FROM runs
      WHERE created_at >= $1 AND created_at < $2 AND state = ANY($3::text[])
      ORDER BY created_at DESC, id LIMIT $4`,
    [...params, options.failureLimit],
  );
  const { total = 0, succeeded = 0, failed = 0 } = counts.rows[0] ?? {};
  return {
    total,
    succeeded,
    failed,
    successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
    failures: failures.rows.map((r) => ({
      runId: r.id,
      state: r.state,
      errorCode: r.error_code,
      errorMessage: r.error_message,
      createdAt: r.created_at,
    })),
  };
}
