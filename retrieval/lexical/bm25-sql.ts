/**
 * The pieces of SQL every BM25 query shares. Terms come from Postgres's `english` text-search
 * configuration (Snowball stemming and its stop-word list), the same on PGlite and any server.
 *
 * Okapi BM25, with Lucene's non-negative IDF:
 *   score(q, c) = sum over query terms t of idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen))
 *   idf(t)      = ln(1 + (N - df + 0.5) / (df + 0.5))
 * Every number is cast to float8: a bare decimal constant would make Postgres use exact
 * `numeric` arithmetic, several times slower.
 */

export const TEXT_SEARCH_CONFIG = 'english';

/**
 * A lexeme `t` quoted for tsquery input, so that a cast `::tsquery` takes it verbatim (no second
 * stemming): backslashes and single quotes escaped the way tsquery's parser reads them.
 */
export const TSQUERY_TERM_SQL = `'''' || replace(replace(t, E'\\\\', E'\\\\\\\\'), '''', '''''') || ''''`;

export interface Bm25Params {
  k1: number;
  b: number;
}

/** Defaults tuned on the SciFact development split (see docs/benchmarks.md). */
export const DEFAULT_BM25_PARAMS: Bm25Params = { k1: 0.9, b: 0.4 };

/**
 * The text a chunk is indexed under: its document's title and heading path give it context, so
 * a passage deep in "Rotating credentials > Staging" still matches "staging password".
 */
export function chunkSearchText(title: string, headingPath: readonly string[], content: string): string {
  const context = headingPath[0] === title ? headingPath : [title, ...headingPath];
  return [...context, content].filter((part) => part.length > 0).join('\n');
}

/**
 * The BM25 sum over postings `p` joined to query terms `e`, with `e.w` = idf * (k1 + 1) and
 * `c0` = k1 * (1 - b), `c1` = k1 * b / avglen folded by the caller: the fewest operations per
 * posting, since Postgres evaluates each one as a function call.
 */
export function scoreSumSql(p: string, e: string, c0: string, c1: string): string {
  return `sum(${e}.w * ${p}.tf / (${p}.tf + ${c0} + ${c1} * ${p}.chunk_length))`;
}

export function lengthConstants(params: Bm25Params, avgLength: number): { c0: number; c1: number } {
  return { c0: params.k1 * (1 - params.b), c1: avgLength > 0 ? (params.k1 * params.b) / avgLength : 0 };
}

export function idf(chunkCount: number, df: number): number {
  return Math.log(1 + (chunkCount - df + 0.5) / (df + 0.5));
}

/** One term's contribution, in TypeScript, with the same formula as `scoreSumSql`. */
export function termScore(
  termIdf: number,
  tf: number,
  length: number,
  avgLength: number,
  p: Bm25Params,
): number {
  return (termIdf * tf * (p.k1 + 1)) / (tf + p.k1 * (1 - p.b + (p.b * length) / avgLength));
}
