import type { Queryable } from '../db/database.ts';
import type { DigestPeriod } from './digest-period.ts';

export interface KnowledgeGap {
  runId: string;
  question: string;
  why: 'unknown' | 'not_helpful';
}

export interface KnowledgeGaps {
  count: number;
  /** The newest first, at most `limit`. */
  items: KnowledgeGap[];
}

/**
 * Questions the knowledge base could not answer: answered runs whose stored answer detail says
 * known=false (`context.answerDetail.known` or `context.answer.known`), and answers someone
 * marked not helpful. Both are gaps worth writing up.
 */
export const KNOWLEDGE_GAP_SQL = `
  SELECT r.id, r.text, r.created_at,
         CASE WHEN coalesce(r.context #>> '{answerDetail,known}', r.context #>> '{answer,known}') = 'false'
              THEN 'unknown' ELSE 'not_helpful' END AS why
    FROM runs r
   WHERE r.created_at >= $1 AND r.created_at < $2 AND r.outcome = 'answered'
     AND (coalesce(r.context #>> '{answerDetail,known}', r.context #>> '{answer,known}') = 'false'
          OR EXISTS (SELECT 1 FROM answer_feedback f WHERE f.run_id = r.id::text AND NOT f.helpful))`;

export async function getKnowledgeGaps(
  q: Queryable,
  period: DigestPeriod,
  options: { limit: number },
): Promise<KnowledgeGaps> {
  const params = [period.from, period.to];
  const count = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${KNOWLEDGE_GAP_SQL}) g`,
    params,
  );
  const items = await q.query<{ id: string; text: string; why: KnowledgeGap['why'] }>(
    `${KNOWLEDGE_GAP_SQL} ORDER BY r.created_at DESC, r.id LIMIT $3`,
    [...params, options.limit],
  );
  return {
    count: count.rows[0]?.n ?? 0,
    items: items.rows.map((r) => ({ runId: r.id, question: r.text, why: r.why })),
  };
}
