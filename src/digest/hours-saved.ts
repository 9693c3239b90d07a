import type { Queryable } from '../db/database.ts';
import type { DigestPeriod } from './digest-period.ts';

export interface HoursSavedLine {
  action: string;
  /** Runs of this action whose effect succeeded (state done, outcome executed). */
  successfulRuns: number;
  /** Declared minutes per successful run; null when the action has no baseline (counts 0). */
  minutesPerRun: number | null;
  hours: number;
}

export interface HoursSaved {
  totalHours: number;
  lines: HoursSavedLine[];
  /** The declared baseline table, shown in the digest's footer as the method. */
  baselines: Record<string, number>;
}

/**
 * Hours saved = for each action, its declared minutes per successful run times the number of
 * such runs. Only effects that ran and succeeded count; answers, denials and failures do not.
 */
export async function getHoursSaved(
  q: Queryable,
  period: DigestPeriod,
  baselines: Record<string, number>,
): Promise<HoursSaved> {
  const result = await q.query<{ action: string; n: number }>(
    `SELECT context->'proposal'->>'action' AS action, count(*)::int AS n FROM runs
      WHERE created_at >= $1 AND created_at < $2 AND state = 'done' AND outcome = 'executed'
        AND context->'proposal'->>'action' IS NOT NULL
      GROUP BY 1 ORDER BY 1`,
    [period.from, period.to],
  );
  const lines = result.rows.map((r) => {
    const minutes = Object.hasOwn(baselines, r.action) ? (baselines[r.action] ?? null) : null;
    return {
      action: r.action,
      successfulRuns: r.n,
      minutesPerRun: minutes,
      hours: ((minutes ?? 0) * r.n) / 60,
    };
  });
  lines.sort((a, b) => b.hours - a.hours || a.action.localeCompare(b.action));
  return { totalHours: lines.reduce((sum, l) => sum + l.hours, 0), lines, baselines };
}
