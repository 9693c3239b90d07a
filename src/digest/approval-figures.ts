import type { Queryable } from '../db/database.ts';
import type { DigestPeriod } from './digest-period.ts';

export interface ApprovalFigures {
  /** Approvals requested in the period. */
  requested: number;
  approved: number;
  rejected: number;
  expired: number;
  /** Still waiting now. */
  pending: number;
  /** Median seconds from request to an approve or reject decision; null when none was decided. */
  medianDecisionSeconds: number | null;
}

export async function getApprovalFigures(q: Queryable, period: DigestPeriod): Promise<ApprovalFigures> {
  const result = await q.query<Omit<ApprovalFigures, 'medianDecisionSeconds'> & { median: number | null }>(
    `SELECT count(*)::int AS requested,
            (count(*) FILTER (WHERE status = 'approved'))::int AS approved,
            (count(*) FILTER (WHERE status = 'rejected'))::int AS rejected,
            (count(*) FILTER (WHERE status = 'expired'))::int AS expired,
            (count(*) FILTER (WHERE status = 'pending'))::int AS pending,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM decided_at - created_at))
              FILTER (WHERE status IN ('approved', 'rejected')) AS median
       FROM approvals WHERE created_at >= $1 AND created_at < $2`,
    [period.from, period.to],
  );
  const row = result.rows[0];
  return {
    requested: row?.requested ?? 0,
    approved: row?.approved ?? 0,
    rejected: row?.rejected ?? 0,
    expired: row?.expired ?? 0,
    pending: row?.pending ?? 0,
    medianDecisionSeconds: row?.median === null || row?.median === undefined ? null : Number(row.median),
  };
}
