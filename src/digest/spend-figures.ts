import type { Queryable } from '../db/database.ts';
import type { DigestPeriod } from './digest-period.ts';

export interface SpendFigures {
  /** Model spend of the runs created in the period. */
  spendUsd: number;
  /** The day budget times the days the period spans (at least one). */
  budgetUsd: number;
  budgetDays: number;
  /** Spend divided by runs that ended `done`; null when none did. */
  costPerSuccessUsd: number | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export async function getSpendFigures(
  q: Queryable,
  period: DigestPeriod,
  options: { dayBudgetUsd: number },
): Promise<SpendFigures> {
  const result = await q.query<{ spend: number | null; succeeded: number }>(
    `SELECT sum(cost_usd) AS spend, (count(*) FILTER (WHERE state = 'done'))::int AS succeeded
       FROM runs WHERE created_at >= $1 AND created_at < $2`,
    [period.from, period.to],
  );
  const spendUsd = Number(result.rows[0]?.spend ?? 0);
  const succeeded = result.rows[0]?.succeeded ?? 0;
  // A Monday digest covering the weekend is held to three days of budget, not one.
  const budgetDays = Math.max(1, Math.round((period.to.getTime() - period.from.getTime()) / DAY_MS));
  return {
    spendUsd,
    budgetUsd: options.dayBudgetUsd * budgetDays,
    budgetDays,
    costPerSuccessUsd: succeeded > 0 ? spendUsd / succeeded : null,
  };
}
