import type { Queryable } from '../db/database.ts';

/**
 * The run read model behind the App Home console, `sluice status` and the digest: runs started
 * in a period, how they ended, how long they took from request to final reply, what they cost,
 * the latest errors with their run ids, and how many runs wait in the dead-letter queue.
 */

export interface RunStats {
  from: Date;
  to: Date;
  total: number;
  byState: Record<string, number>;
  /** Runs that ended `done`. */
  succeeded: number;
  /** Runs that ended failed, dead-lettered or over budget. */
  failed: number;
  /** Runs cancelled (paused, expired approvals). */
  cancelled: number;
  /** Runs still working or waiting (for approval, for Slack). */
  inProgress: number;
  /** succeeded / (succeeded + failed); null when no run ended either way. */
  successRate: number | null;
  /** From the request's arrival to the run's end, over runs that ended in the period. */
  latencyMs: { p50: number | null; p95: number | null };
  costUsd: number;
  lastErrors: Array<{ runId: string; at: Date; state: string; code: string | null; message: string | null }>;
  /** Runs dead-lettered now (all time), waiting for an operator's redrive. */
  deadLetteredRuns: number;
}

const FAILED = ['failed', 'dead_lettered', 'budget_exceeded'];

export async function getRunStats(
  q: Queryable,
  period: { from: Date; to: Date; errorLimit?: number },
): Promise<RunStats> {
  const params = [period.from, period.to];
  const [states, totals, errors, dead] = await Promise.all([
    q.query<{ state: string; n: number }>(
      'SELECT state, count(*)::int AS n FROM runs WHERE created_at >= $1 AND created_at < $2 GROUP BY state',
      params,
    ),
    q.query<{ p50: number | null; p95: number | null; cost: number | null }>(
      `SELECT
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000)
           FILTER (WHERE finished_at IS NOT NULL) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000)
           FILTER (WHERE finished_at IS NOT NULL) AS p95,
         sum(cost_usd) AS cost
       FROM runs WHERE created_at >= $1 AND created_at < $2`,
      params,
    ),
    q.query<{
      id: string;
      updated_at: Date;
      state: string;
      error_code: string | null;
      error_message: string | null;
    }>(
      `SELECT id, updated_at, state, error_code, error_message FROM runs
        WHERE created_at >= $1 AND created_at < $2 AND (state = ANY($3::text[]) OR outcome = 'effect_failed')
        ORDER BY updated_at DESC LIMIT $4`,
      [...params, FAILED, period.errorLimit ?? 10],
    ),
    q.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE state = 'dead_lettered'"),
  ]);
  const byState = Object.fromEntries(states.rows.map((r) => [r.state, r.n]));
  const count = (names: string[]) => names.reduce((sum, name) => sum + (byState[name] ?? 0), 0);
  const succeeded = count(['done']);
  const failed = count(FAILED);
  const cancelled = count(['cancelled']);
  const total = states.rows.reduce((sum, r) => sum + r.n, 0);
  const t = totals.rows[0];
  return {
    from: period.from,
    to: period.to,
    total,
    byState,
    succeeded,
    failed,
    cancelled,
    inProgress: total - succeeded - failed - cancelled,
    successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
    latencyMs: { p50: round(t?.p50), p95: round(t?.p95) },
    costUsd: Number(t?.cost ?? 0),
    lastErrors: errors.rows.map((r) => ({
      runId: r.id,
      at: r.updated_at,
      state: r.state,
      code: r.error_code,
      message: r.error_message,
    })),
    deadLetteredRuns: dead.rows[0]?.n ?? 0,
  };
}

function round(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(Number(value));
}

/** Midnight UTC today to now: the console's and the digest's default period. */
export function today(now: Date = new Date()): { from: Date; to: Date } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { from, to: new Date(now.getTime() + 1) };
}
