import type { Queryable } from '../../src/db/database.ts';
import { type Bm25Params, idf, TEXT_SEARCH_CONFIG } from './bm25-sql.ts';

/** A query term present in the corpus, with what scoring and pruning need to know about it. */
export interface QueryTerm {
  term: string;
  df: number;
  idf: number;
  /** No chunk can get more than this from the term: idf * (k1 + 1), its limit as tf grows. */
  upperBound: number;
}

export interface QueryTerms {
  /** Distinct stemmed terms of the query that occur in the corpus, highest upper bound first. */
  terms: QueryTerm[];
  /** Stemmed query terms, including those absent from the corpus (for highlighting). */
  allTerms: string[];
  chunkCount: number;
  avgLength: number;
}

interface Row {
  term: string;
  df: number | null;
  chunk_count: number;
  total_length: number;
}

/** Stems the query with the same configuration as the index and reads each term's statistics. */
export async function loadQueryTerms(db: Queryable, query: string, params: Bm25Params): Promise<QueryTerms> {
  // df = folded count + postings of chunks newer than the fold (see migration 0003).
  const { rows } = await db.query<Row>(
    `SELECT q.term, coalesce(t.df, 0) + n.newer AS df, c.chunk_count, c.total_length
       FROM unnest(tsvector_to_array(to_tsvector('${TEXT_SEARCH_CONFIG}', $1::text))) AS q(term)
       CROSS JOIN kb_corpus c
       LEFT JOIN kb_terms t ON t.term = q.term
       CROSS JOIN LATERAL (
         SELECT count(*) AS newer FROM kb_postings p WHERE p.term = q.term AND p.chunk_id > c.folded_chunk_id
       ) n`,
    [query],
  );
  const chunkCount = rows[0]?.chunk_count ?? 0;
  const avgLength = chunkCount > 0 ? (rows[0]?.total_length ?? 0) / chunkCount : 0;
  const terms: QueryTerm[] = [];
  for (const r of rows) {
    if (r.df === null || r.df <= 0) continue;
    const termIdf = idf(chunkCount, r.df);
    // Per-term maximum tf and minimum length would tighten this only for rare terms (which are
    // scanned anyway); for the common terms that pruning skips, tf saturates and it barely moves.
    terms.push({ term: r.term, df: r.df, idf: termIdf, upperBound: termIdf * (params.k1 + 1) });
  }
  terms.sort((a, b) => b.upperBound - a.upperBound || a.term.localeCompare(b.term));
  return { terms, allTerms: rows.map((r) => r.term), chunkCount, avgLength };
}
