import type { Queryable } from '../../src/db/database.ts';
import { type Bm25Params, lengthConstants, scoreSumSql } from './bm25-sql.ts';
import type { QueryTerm } from './query-terms.ts';

/** A chunk and its BM25 score. */
export interface Bm25Score {
  chunkId: number;
  score: number;
}

export interface ScoreChunksOptions {
  /** Terms whose posting lists are scanned: only chunks containing one of them are candidates. */
  scanned: QueryTerm[];
  /** Terms looked up per candidate (through the (chunk_id, term) index) to complete its score. */
  completed: QueryTerm[];
  /** Drop candidates whose score over the scanned terms is below this (before completion). */
  minPartial?: number;
  /** Keep only the best `partialLimit` candidates by scanned-term score (before completion). */
  partialLimit?: number;
  /**
   * The score the k-th result is known to reach (already lowered by the rounding margin). When
   * given, `completed` terms are added one at a time, highest upper bound first, and after each a
   * candidate is dropped once its score plus the upper bounds of the terms still to add falls
   * below it: most candidates leave after one or two lookups instead of one per term.
   */
  threshold?: number;
  /** How many chunks to return, best first (ties by chunk id); absent: all. */
  limit?: number;
  params: Bm25Params;
  avgLength: number;
}

/**
 * Scores candidate chunks in one statement: sums the scanned terms over their posting lists,
 * filters, then adds the remaining terms for the survivors only. With every term scanned and no
 * filter this is the exhaustive BM25 scorer.
 */
export async function scoreChunks(db: Queryable, o: ScoreChunksOptions): Promise<Bm25Score[]> {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const { c0, c1 } = lengthConstants(o.params, o.avgLength);
  const c0p = `${param(c0)}::float8`;
  const c1p = `${param(c1)}::float8`;
  const weight = (t: QueryTerm) => t.idf * (o.params.k1 + 1);
  const scannedTerms = `${param(o.scanned.map((t) => t.term))}::text[]`;
  const scannedWeights = `${param(o.scanned.map(weight))}::float8[]`;
  const partialScore = scoreSumSql('p', 'e', c0p, c1p);
  const restScore = scoreSumSql('p', 'x', c0p, c1p);
  const having = o.minPartial === undefined ? '' : `HAVING ${partialScore} >= ${param(o.minPartial)}::float8`;
  const partialLimit =
    o.partialLimit === undefined ? '' : `ORDER BY s DESC, p.chunk_id LIMIT ${param(o.partialLimit)}::int`;
  const limit = o.limit === undefined ? '' : `LIMIT ${param(o.limit)}::int`;
  const partialSql = `
      SELECT p.chunk_id, ${partialScore} AS s
        FROM kb_postings p
        JOIN unnest(${scannedTerms}, ${scannedWeights}) AS e(term, w) ON e.term = p.term
       WHERE p.term = ANY(${scannedTerms})
       GROUP BY p.chunk_id
       ${having}
       ${partialLimit}`;
  let sql: string;
  if (o.threshold !== undefined && o.completed.length > 0) {
    // One CTE per completed term: add its contribution (a primary-key lookup), then keep only
    // candidates that can still reach the threshold with the terms after it.
    const stages = [`partial AS (${partialSql})`];
    let remaining = o.completed.reduce((sum, t) => sum + t.upperBound, 0);
    o.completed.forEach((t, i) => {
      remaining -= t.upperBound;
      const score = `${param(weight(t))}::float8 * p.tf / (p.tf + ${c0p} + ${c1p} * p.chunk_length)`;
      stages.push(`stage${i + 1} AS MATERIALIZED (
        SELECT q.chunk_id, q.s + coalesce((
          SELECT ${score} FROM kb_postings p WHERE p.term = ${param(t.term)}::text AND p.chunk_id = q.chunk_id
        ), 0::float8) AS s
          FROM ${i === 0 ? 'partial' : `kept${i}`} q
      ), kept${i + 1} AS (
        SELECT chunk_id, s FROM stage${i + 1} WHERE s >= ${param(o.threshold! - Math.max(0, remaining))}::float8
      )`);
    });
    sql = `WITH ${stages.join(',\n')}
      SELECT chunk_id AS "chunkId", s AS score FROM kept${o.completed.length}
       ORDER BY score DESC, chunk_id
       ${limit}`;
  } else {
    let completion = '';
    if (o.completed.length > 0) {
      const restTerms = `${param(o.completed.map((t) => t.term))}::text[]`;
      const restWeights = `${param(o.completed.map(weight))}::float8[]`;
      completion = `LEFT JOIN LATERAL (
          SELECT ${restScore} AS s
            FROM kb_postings p
            JOIN unnest(${restTerms}, ${restWeights}) AS x(term, w) ON x.term = p.term
           WHERE p.chunk_id = partial.chunk_id AND p.term = ANY(${restTerms})
        ) r ON true`;
    }
    sql = `
      WITH partial AS (${partialSql})
      SELECT partial.chunk_id AS "chunkId", partial.s ${o.completed.length === 0 ? '' : '+ coalesce(r.s, 0::float8)'} AS score
        FROM partial
        ${completion}
       ORDER BY score DESC, partial.chunk_id
       ${limit}`;
  }
  // Its plan depends on how long the terms' posting lists are: planned for these terms each time.
  const { rows } = await db.query<Bm25Score>(sql, params, { planEachTime: true });
  return rows.map((r) => ({ chunkId: Number(r.chunkId), score: Number(r.score) }));
}
