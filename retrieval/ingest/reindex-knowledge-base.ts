import type { Database } from '../../src/db/database.ts';
import { embedTexts } from '../embeddings/embed-chunks.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import {
  decodeVectorSql,
  dropVectorIndex,
  encodeVector,
  type HnswBuildOptions,
  resetEmbeddingSpace,
  restoreVectorIndex,
  spaceOf,
} from '../embeddings/embedding-store.ts';
import { chunkSearchText } from '../lexical/bm25-sql.ts';

/**
 * `sluice reindex`: recounts the BM25 statistics from the postings (a repair that should change
 * nothing) and, where pgvector is installed, re-embeds every chunk with the configured provider
 * into a fresh vector table of its dimension. Run it after changing SLUICE_EMBEDDINGS.
 */

export interface ReindexResult {
  chunks: number;
  embedded: number;
  seconds: number;
}

const BATCH = 256;

export async function reindexKnowledgeBase(
  db: Database,
  embedder: EmbeddingProvider | undefined,
  hnsw: HnswBuildOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<ReindexResult> {
  const started = performance.now();
  await recountTermStatistics(db);
  const total = Number(
    (await db.query<{ n: number }>('SELECT count(*) AS n FROM kb_chunks')).rows[0]?.n ?? 0,
  );
  let embedded = 0;
  if (embedder) {
    await resetEmbeddingSpace(db, spaceOf(embedder), hnsw);
    await dropVectorIndex(db);
    try {
      let after = 0;
      for (;;) {
        const { rows } = await db.query<{
          id: number;
          title: string;
          heading_path: string[];
          content: string;
        }>(
          `SELECT c.id, d.title, c.heading_path, c.content FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id
            WHERE c.id > $1::int8 ORDER BY c.id LIMIT $2::int`,
          [after, BATCH],
        );
        if (rows.length === 0) break;
        const vectors = await embedTexts(
          embedder,
          rows.map((r) => chunkSearchText(r.title, r.heading_path, r.content)),
          'document',
        );
        // Sent as scaled integers where exact, as ingest does (encodeVector: Postgres parses them
        // about four times faster than text). The join skips chunks deleted since they were read,
        // instead of failing the batch.
        const encoded = vectors.map(encodeVector);
        await db.query(
          `INSERT INTO kb_embeddings (chunk_id, embedding)
           SELECT u.id, ${decodeVectorSql('u.ints::int4[]', 'u.shift', 'u.literal')}
             FROM unnest($1::int8[], $2::text[], $3::int[], $4::text[]) AS u(id, ints, shift, literal)
             JOIN kb_chunks c ON c.id = u.id`,
          [
            rows.map((r) => Number(r.id)),
            encoded.map((e) => e.ints),
            encoded.map((e) => e.shift),
            encoded.map((e) => e.literal),
          ],
        );
        embedded += rows.length;
        after = Number(rows[rows.length - 1]!.id);
        onProgress?.(embedded, total);
      }
    } finally {
      await restoreVectorIndex(db, hnsw);
    }
  }
  return { chunks: total, embedded, seconds: (performance.now() - started) / 1000 };
}

/** Rebuilds kb_terms and kb_corpus from the postings and chunks, under the fold's exclusive lock. */
export async function recountTermStatistics(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7406215903::int8)');
    await tx.exec(`
      DELETE FROM kb_terms;
      INSERT INTO kb_terms (term, df) SELECT term, count(*) FROM kb_postings GROUP BY term;
      UPDATE kb_corpus SET
        chunk_count = (SELECT count(*) FROM kb_chunks),
        total_length = (SELECT coalesce(sum(lexical_length), 0) FROM kb_chunks),
        folded_chunk_id = (SELECT coalesce(max(id), 0) FROM kb_chunks)
      WHERE id = 1;`);
  });
}
