import type { Queryable } from '../../src/db/database.ts';
import { vectorLiteral } from '../embeddings/embedding-store.ts';

export interface VectorHit {
  chunkId: number;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

/**
 * Nearest chunks by cosine distance through the HNSW index. pgvector's HNSW scan returns at most
 * `hnsw.ef_search` rows, so ef_search is raised to the limit when the limit is larger. It is set
 * for this statement only (set_config's local form, in the statement's own transaction, so it
 * never leaks to other users of a pooled connection), by a condition Postgres evaluates once
 * before the index scan starts (a one-time filter): one statement, one round trip, where a
 * transaction around SET LOCAL and the search took three.
 */
export async function searchVectors(
  db: Queryable,
  vector: Float32Array,
  options: { limit: number; efSearch: number },
): Promise<VectorHit[]> {
  const efSearch = Math.max(options.efSearch, options.limit);
  const { rows } = await db.query<{ chunk_id: number; score: number }>(
    `SELECT chunk_id, 1 - (embedding <=> $1::vector) AS score
       FROM kb_embeddings
      WHERE (SELECT set_config('hnsw.ef_search', $3::text, true)) IS NOT NULL
      ORDER BY embedding <=> $1::vector LIMIT $2::int`,
    [vectorLiteral(vector), options.limit, String(efSearch)],
    // The HNSW index is chosen for this LIMIT; a generic plan would not know it.
    { planEachTime: true },
  );
  return rows.map((r) => ({ chunkId: Number(r.chunk_id), score: Number(r.score) }));
}
