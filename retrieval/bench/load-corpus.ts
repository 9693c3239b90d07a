import type { Database } from '../../src/db/database.ts';
import { embedChunks } from '../embeddings/embed-chunks.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import { dropVectorIndex, type HnswBuildOptions, restoreVectorIndex } from '../embeddings/embedding-store.ts';
import { chunkText } from '../ingest/chunk-text.ts';
import { foldTermStatistics, storeDocument, vacuumPostings } from '../ingest/store-document.ts';

/** A document of a benchmark or synthetic corpus, stored under `source` = its id. */
export interface CorpusDocument {
  id: string;
  title: string;
  text: string;
}

export interface LoadResult {
  chunks: number;
  seconds: number;
  chunksPerSecond: number;
  /** chunk id -> document id */
  documentOf: Map<number, string>;
}

/**
 * Loads documents through the same path as `sluice ingest`: chunker, embedder, one transaction
 * per document (postings, statistics, vectors), the HNSW index built once at the end as a bulk
 * ingest does. The throughput counts all of it, the final index build and fold included.
 */
export async function loadCorpus(
  db: Database,
  docs: readonly CorpusDocument[],
  options: {
    embedder: EmbeddingProvider | undefined;
    maxChars: number;
    hnsw: HnswBuildOptions;
    onProgress?: (done: number) => void;
  },
): Promise<LoadResult> {
  const started = performance.now();
  const documentOf = new Map<number, string>();
  let chunks = 0;
  if (options.embedder) await dropVectorIndex(db);
  for (const [i, d] of docs.entries()) {
    const pieces = chunkText(d.text, { maxChars: options.maxChars, overlapChars: 0, markdown: false });
    const vectors = options.embedder
      ? await embedChunks(options.embedder, d.title, pieces, 'document')
      : undefined;
    const stored = await storeDocument(
      db,
      {
        source: d.id,
        title: d.title,
        link: undefined,
        format: 'other',
        contentHash: '',
        byteSize: d.text.length,
        chunks: pieces,
      },
      vectors,
    );
    for (const id of stored.chunkIds) documentOf.set(id, d.id);
    chunks += pieces.length;
    if (i % 2000 === 1999) {
      await foldTermStatistics(db);
      options.onProgress?.(i + 1);
    }
  }
  await foldTermStatistics(db);
  await vacuumPostings(db);
  if (options.embedder) await restoreVectorIndex(db, options.hnsw);
  const seconds = (performance.now() - started) / 1000;
  return { chunks, seconds, chunksPerSecond: chunks / seconds, documentOf };
}
