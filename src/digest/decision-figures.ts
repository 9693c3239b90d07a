import type { Queryable } from '../db/database.ts';
import type { DigestPeriod } from './digest-period.ts';

/** What the policy decided for the proposals made in the period (answers have no decision). */
export interface DecisionFigures {
  auto: number;
  escalate: number;
  deny: number;
}

export async function getDecisionFigures(q: Queryable, period: DigestPeriod): Promise<DecisionFigures> {
  const result = await q.query<{ decision: keyof DecisionFigures; n: number }>(
    `SELECT decision, count(*)::int AS n FROM runs
      WHERE created_at >= $1 AND created_at < $2 AND decision IS NOT NULL
      GROUP BY decision`,
    [period.from, period.to],
  );
  const figures: DecisionFigures = { auto: 0, escalate: 0, deny: 0 };
  for (const row of result.rows) figures[row.decision] = row.n;
  return figures;
}
