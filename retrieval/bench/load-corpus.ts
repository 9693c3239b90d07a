import type { Database } from '../../src/db/database.ts';
import { embedChunks } from '../embeddings/embed-chunks.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import { dropVectorIndex, type HnswBuildOptions, restoreVectorIndex } from '../embeddings/embedding-store.ts';
import { chunkText } from '../ingest/chunk-text.ts';
import { type DocumentToStore, foldTermStatistics, vacuumPostings } from '../ingest/store-document.ts';
import { createBatchStore } from '../ingest/store-in-batches.ts';
import { dropPostingsKey, restorePostingsKey } from '../lexical/postings-key.ts';
import { dropBm25Index, restoreBm25Index } from '../lexical/search-bm25-indexed.ts';

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
 * Loads documents through the same path as `sluice ingest`: chunker, embedder, whole documents
 * stored several to a statement (postings, statistics, vectors), the HNSW index built once at the
 * end as a bulk ingest does. The throughput counts all of it, the final index build and fold included.
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
  let failure: unknown;
  const batches = createBatchStore<DocumentToStore & { id: string }>(db, {
    maxDocuments: 16,
    maxChunks: 32,
    onStored(item, { chunkIds }) {
      for (const id of chunkIds) documentOf.set(id, item.id);
      chunks += chunkIds.length;
    },
    onFailed(_item, error) {
      failure ??= error;
    },
  });
  if (options.embedder) await dropVectorIndex(db);
  await dropBm25Index(db);
  // Into an empty knowledge base nothing is replaced: the postings' key can be built at the end.
  const empty = (await db.query('SELECT 1 FROM kb_documents LIMIT 1')).rows.length === 0;
  if (empty) await dropPostingsKey(db);
  for (const [i, d] of docs.entries()) {
    const pieces = chunkText(d.text, { maxChars: options.maxChars, overlapChars: 0, markdown: false });
    const embeddings = options.embedder
      ? await embedChunks(options.embedder, d.title, pieces, 'document')
      : undefined;
    const doc = {
      source: d.id,
      title: d.title,
      link: undefined,
      format: 'other' as const,
      contentHash: '',
      byteSize: d.text.length,
      chunks: pieces,
    };
    await batches.add({ id: d.id, doc, embeddings });
    if (failure) throw failure;
    if (i % 2000 === 1999) {
      await batches.flush();
      await foldTermStatistics(db);
      options.onProgress?.(i + 1);
    }
  }
  await batches.flush();
  if (failure) throw failure;
  await restorePostingsKey(db);
  await foldTermStatistics(db);
  await vacuumPostings(db);
  if (options.embedder) await restoreVectorIndex(db, options.hnsw);
  await restoreBm25Index(db);
  const seconds = (performance.now() - started) / 1000;
  return { chunks, seconds, chunksPerSecond: chunks / seconds, documentOf };
}
