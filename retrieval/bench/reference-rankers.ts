import type { Database } from '../../src/db/database.ts';
import type { Bm25Params } from '../lexical/bm25-sql.ts';
import { TEXT_SEARCH_CONFIG, TSQUERY_TERM_SQL } from '../lexical/bm25-sql.ts';

/**
 * Rankers measured beside ours for reference, on the benchmark's scratch database only:
 * Postgres's own ts_rank_cd (no IDF, no BM25 length normalisation) and the pg_textsearch
 * extension's BM25 index, where it is loaded (PGlite with `withTextSearch`).
 */

export type Ranker = (query: string, limit: number) => Promise<number[]>;

/** Adds a stored search text and tsvector to kb_chunks, with a GIN index, then ranks with ts_rank_cd. */
export async function prepareTsRankCd(db: Database): Promise<Ranker> {
  await db.exec(`
    ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS bench_text text;
    UPDATE kb_chunks c SET bench_text = concat_ws(E'\\n', d.title, array_to_string(c.heading_path, E'\\n'), c.content)
      FROM kb_documents d WHERE d.id = c.document_id;
    ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS bench_tsv tsvector;
    UPDATE kb_chunks SET bench_tsv = to_tsvector('${TEXT_SEARCH_CONFIG}', bench_text);
    CREATE INDEX IF NOT EXISTS kb_chunks_bench_tsv ON kb_chunks USING gin (bench_tsv);`);
  return async (query, limit) => {
    // Any query term may match (OR): ANDing a dozen terms of a long query would match nothing.
    const { rows } = await db.query<{ id: number }>(
      `WITH q AS (
         SELECT nullif(array_to_string(array(
           SELECT ${TSQUERY_TERM_SQL} FROM unnest(tsvector_to_array(to_tsvector('${TEXT_SEARCH_CONFIG}', $1::text))) AS t
         ), ' | '), '')::tsquery AS tsq)
       SELECT c.id FROM kb_chunks c, q WHERE c.bench_tsv @@ q.tsq
        ORDER BY ts_rank_cd(c.bench_tsv, q.tsq) DESC, c.id LIMIT $2::int`,
      [query, limit],
    );
    return rows.map((r) => Number(r.id));
  };
}

/** pg_textsearch's BM25 over the same text (title, headings, content) and the same k1 and b. */
export async function preparePgTextsearch(db: Database, params: Bm25Params): Promise<Ranker | undefined> {
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS pg_textsearch');
  } catch {
    return undefined;
  }
  await db.exec(
    `CREATE INDEX IF NOT EXISTS kb_chunks_bench_bm25 ON kb_chunks USING bm25 (bench_text)
       WITH (text_config = '${TEXT_SEARCH_CONFIG}', k1 = ${Number(params.k1)}, b = ${Number(params.b)})`,
  );
  return async (query, limit) => {
    const { rows } = await db.query<{ id: number }>(
      `SELECT id FROM kb_chunks ORDER BY bench_text <@> to_bm25query($1::text, 'kb_chunks_bench_bm25') LIMIT $2::int`,
      [query, limit],
    );
    return rows.map((r) => Number(r.id));
  };
}
