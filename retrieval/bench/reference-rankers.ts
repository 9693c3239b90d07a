import type { Database } from '../../src/db/database.ts';
import type { Bm25Params } from '../lexical/bm25-sql.ts';
import { TEXT_SEARCH_CONFIG, TSQUERY_TERM_SQL } from '../lexical/bm25-sql.ts';
import { readBm25Index } from '../lexical/search-bm25-indexed.ts';

/**
 * Rankers measured beside ours for reference, on the benchmark's scratch database only:
 * Postgres's own ts_rank_cd (no IDF, no BM25 length normalisation) and the pg_textsearch
 * extension's own BM25 ranking, where it is installed (always on PGlite).
 */

export type Ranker = (query: string, limit: number) => Promise<number[]>;

/** Indexes each chunk's search text as a tsvector beside kb_chunks (GIN), then ranks with ts_rank_cd. */
export async function prepareTsRankCd(db: Database): Promise<Ranker> {
  // A table of its own: kb_chunks rows are never updated (migration 0007). CREATE TABLE then
  // INSERT ... SELECT: CREATE TABLE AS is quadratic on PGlite.
  await db.exec(`
    CREATE TABLE IF NOT EXISTS bench_tsv (chunk_id bigint PRIMARY KEY, tsv tsvector NOT NULL);
    INSERT INTO bench_tsv (chunk_id, tsv)
      SELECT id, to_tsvector('${TEXT_SEARCH_CONFIG}', search_text) FROM kb_chunks ON CONFLICT DO NOTHING;
    CREATE INDEX IF NOT EXISTS bench_tsv_gin ON bench_tsv USING gin (tsv);`);
  return async (query, limit) => {
    // Any query term may match (OR): ANDing a dozen terms of a long query would match nothing.
    const { rows } = await db.query<{ id: number }>(
      `WITH q AS (
         SELECT nullif(array_to_string(array(
           SELECT ${TSQUERY_TERM_SQL} FROM unnest(tsvector_to_array(to_tsvector('${TEXT_SEARCH_CONFIG}', $1::text))) AS t
         ), ' | '), '')::tsquery AS tsq)
       SELECT b.chunk_id AS id FROM bench_tsv b, q WHERE b.tsv @@ q.tsq
        ORDER BY ts_rank_cd(b.tsv, q.tsq) DESC, b.chunk_id LIMIT $2::int`,
      [query, limit],
    );
    return rows.map((r) => Number(r.id));
  };
}

/**
 * pg_textsearch's own ranking (its scores, as they are: lengths quantised to a byte, repeated
 * query words counted again) over the same search text with the same k1 and b: the index
 * migration 0007 made when its parameters are these, else one built here.
 */
export async function preparePgTextsearch(db: Database, params: Bm25Params): Promise<Ranker | undefined> {
  const index = await bm25IndexFor(db, params);
  if (!index) return undefined;
  return async (query, limit) => {
    const { rows } = await db.query<{ id: number }>(
      `SELECT id FROM kb_chunks ORDER BY search_text <@> to_bm25query($1::text, '${index}') LIMIT $2::int`,
      [query, limit],
    );
    return rows.map((r) => Number(r.id));
  };
}

async function bm25IndexFor(db: Database, params: Bm25Params): Promise<string | undefined> {
  const own = await readBm25Index(db);
  if (own && own.k1 === params.k1 && own.b === params.b) return own.name;
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS pg_textsearch');
  } catch {
    return undefined;
  }
  await db.exec(
    `CREATE INDEX IF NOT EXISTS kb_chunks_bench_bm25 ON kb_chunks USING bm25 (search_text)
       WITH (text_config = '${TEXT_SEARCH_CONFIG}', k1 = ${Number(params.k1)}, b = ${Number(params.b)})`,
  );
  return 'kb_chunks_bench_bm25';
}
