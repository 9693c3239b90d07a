import type { Queryable } from '../db/database.ts';
import { type ApprovalFigures, getApprovalFigures } from './approval-figures.ts';
import { type DecisionFigures, getDecisionFigures } from './decision-figures.ts';
import type { DigestPeriod } from './digest-period.ts';
import { getHoursSaved, type HoursSaved } from './hours-saved.ts';
import { getKnowledgeGaps, type KnowledgeGaps } from './knowledge-gaps.ts';
import { getRunFigures, type RunFigures } from './run-figures.ts';
import { getSpendFigures, type SpendFigures } from './spend-figures.ts';

/** Every number a digest shows, each from one query family (docs/digest.md has the SQL). */
export interface DigestFigures {
  period: DigestPeriod;
  runs: RunFigures;
  decisions: DecisionFigures;
  approvals: ApprovalFigures;
  spend: SpendFigures;
  hoursSaved: HoursSaved;
  gaps: KnowledgeGaps;
}

export interface FigureOptions {
  baselines: Record<string, number>;
  dayBudgetUsd: number;
  /** How many failures and gaps to list by name (the counts are always complete). */
  listLimit?: number;
}

// Sequential on purpose: inside a transaction (one connection) parallel queries gain nothing.
export async function collectDigestFigures(
  q: Queryable,
  period: DigestPeriod,
  options: FigureOptions,
): Promise<DigestFigures> {
  const limit = options.listLimit ?? 20;
  const runs = await getRunFigures(q, period, { failureLimit: limit });
  const decisions = await getDecisionFigures(q, period);
  const approvals = await getApprovalFigures(q, period);
  const spend = await getSpendFigures(q, period, { dayBudgetUsd: options.dayBudgetUsd });
  const hoursSaved = await getHoursSaved(q, period, options.baselines);
  const gaps = await getKnowledgeGaps(q, period, { limit });
  return { period, runs, decisions, approvals, spend, hoursSaved, gaps };
}
