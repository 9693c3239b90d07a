import type { Database } from '../../src/db/database.ts';
import { vectorLiteral } from '../embeddings/embedding-store.ts';

export interface VectorHit {
  chunkId: number;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

/**
 * Nearest chunks by cosine distance through the HNSW index. pgvector's HNSW scan returns at most
 * `hnsw.ef_search` rows, so ef_search is raised to the limit when the limit is larger; it is set
 * with SET LOCAL semantics so it never leaks to other users of a pooled connection.
 */
export async function searchVectors(
  db: Database,
  vector: Float32Array,
  options: { limit: number; efSearch: number },
): Promise<VectorHit[]> {
  const efSearch = Math.max(options.efSearch, options.limit);
  return db.transaction(async (tx) => {
    await tx.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(efSearch)]);
    const { rows } = await tx.query<{ chunk_id: number; score: number }>(
      `SELECT chunk_id, 1 - (embedding <=> $1::vector) AS score
         FROM kb_embeddings ORDER BY embedding <=> $1::vector LIMIT $2::int`,
      [vectorLiteral(vector), options.limit],
      // The HNSW index is chosen for this LIMIT; a generic plan would not know it.
      { planEachTime: true },
    );
    return rows.map((r) => ({ chunkId: Number(r.chunk_id), score: Number(r.score) }));
  });
}
