import type { Queryable } from '../../src/db/database.ts';
import type { Bm25Params } from './bm25-sql.ts';
import { loadQueryTerms } from './query-terms.ts';
import { type Bm25Score, scoreChunks } from './score-chunks-sql.ts';
import { searchBm25Indexed } from './search-bm25-indexed.ts';

/**
 * Exact BM25 top-k. Where the pg_textsearch extension's index exists with the same k1 and b, it
 * proposes candidates and the exact scores prove the ranking (search-bm25-indexed.ts); when that
 * proof fails, or there is no such index, the portable SQL below ranks, with the same result.
 *
 * The portable SQL: MaxScore-style dynamic pruning over the stored term statistics.
 *
 * Terms are ordered by their score upper bound. A seed pass scores the chunks found in the
 * short posting lists of the rarest terms and takes the k-th best full score as a threshold.
 * The longest-tail terms whose upper bounds together stay below the threshold are then
 * "non-essential": a chunk containing only them cannot reach the top k, so their (long) posting
 * lists are never scanned; they are only looked up for the surviving candidates. The result is
 * the same ranking as scoring every chunk (a test checks it), without reading every posting.
 */

export interface Bm25SearchOptions {
  limit: number;
  params: Bm25Params;
  /** Posting-list length the seed pass may read before it stops adding terms. */
  seedPostings?: number;
  /** Rank with the portable SQL even where the extension's index could propose (tests, benches). */
  portableOnly?: boolean;
}

export interface Bm25SearchResult {
  hits: Bm25Score[];
  /** Which route produced the (identical) ranking. */
  route: 'pg_textsearch' | 'sql';
}

const DEFAULT_SEED_POSTINGS = 2000;

/** Relative slack so that float rounding can never prune a chunk that ties the threshold. */
const EPSILON = 1e-9;

export async function searchBm25(
  db: Queryable,
  query: string,
  options: Bm25SearchOptions,
): Promise<Bm25SearchResult> {
  if (!options.portableOnly) {
    const proposed = await searchBm25Indexed(db, query, options);
    if (proposed) return { hits: proposed, route: 'pg_textsearch' };
  }
  return { hits: await searchBm25Portable(db, query, options), route: 'sql' };
}

async function searchBm25Portable(
  db: Queryable,
  query: string,
  options: Bm25SearchOptions,
): Promise<Bm25Score[]> {
  const { terms, avgLength } = await loadQueryTerms(db, query, options.params);
  const { limit, params } = options;
  if (terms.length === 0 || limit <= 0) return [];

  // tail[i]: the most any chunk can score from terms[i..] together.
  const tail = new Array<number>(terms.length + 1).fill(0);
  for (let i = terms.length - 1; i >= 0; i--) tail[i] = tail[i + 1]! + terms[i]!.upperBound;

  const budget = options.seedPostings ?? DEFAULT_SEED_POSTINGS;
  let seedCount = 1;
  let seedPostings = terms[0]!.df;
  while (seedCount < terms.length && seedPostings + terms[seedCount]!.df <= budget) {
    seedPostings += terms[seedCount]!.df;
    seedCount++;
  }
  const exhaustive = () => scoreChunks(db, { scanned: terms, completed: [], limit, params, avgLength });
  if (seedCount === terms.length) return exhaustive();

  const seed = await scoreChunks(db, {
    scanned: terms.slice(0, seedCount),
    completed: terms.slice(seedCount),
    partialLimit: limit,
    limit,
    params,
    avgLength,
  });
  const threshold = seed.length >= limit ? seed[limit - 1]!.score : 0;
  const margin = EPSILON * Math.max(1, threshold);
  if (threshold <= margin) return exhaustive();

  let essential = 1;
  while (tail[essential]! >= threshold - margin) essential++;
  return scoreChunks(db, {
    scanned: terms.slice(0, essential),
    completed: terms.slice(essential),
    minPartial: threshold - margin - tail[essential]!,
    threshold: threshold - margin,
    limit,
    params,
    avgLength,
  });
}

/** Scores every chunk that contains a query term; the reference the pruned search must equal. */
export async function scoreAllBm25(db: Queryable, query: string, params: Bm25Params): Promise<Bm25Score[]> {
  const { terms, avgLength } = await loadQueryTerms(db, query, params);
  if (terms.length === 0) return [];
  return scoreChunks(db, { scanned: terms, completed: [], params, avgLength });
}
