import type { Database } from '../../src/db/database.ts';
import { describeError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { embedChunks } from '../embeddings/embed-chunks.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import { dropVectorIndex, type HnswBuildOptions, restoreVectorIndex } from '../embeddings/embedding-store.ts';
import { dropPostingsKey, restorePostingsKey } from '../lexical/postings-key.ts';
import { dropBm25Index, rebuildBm25IndexIfStale, restoreBm25Index } from '../lexical/search-bm25-indexed.ts';
import type { ChunkOptions } from './chunk-text.ts';
import { collectFiles, isUnder } from './collect-files.ts';
import { contentHash, parseDocument, readFileBytes, type SkipReason } from './read-document.ts';
import {
  type DocumentRecord,
  deleteDocuments,
  foldTermStatistics,
  vacuumPostings,
} from './store-document.ts';
import { createBatchStore } from './store-in-batches.ts';

/**
 * `sluice ingest`: brings the knowledge base in line with a set of files. Unchanged files (same
 * content hash and chunking settings) are skipped, changed ones replaced, each file all or nothing
 * (small files share a statement, see store-in-batches.ts); bad files are skipped with a reason
 * and the run goes on.
 */

export interface IngestDeps {
  db: Database;
  /** Absent when pgvector is missing: keyword-only. */
  embedder: EmbeddingProvider | undefined;
  chunking: ChunkOptions;
  hnsw: HnswBuildOptions;
  logger?: Logger;
}

export interface IngestRequest {
  paths: string[];
  cwd: string;
  prune: boolean;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  done: number;
  total: number;
  file: string;
}

export type IngestSkipReason = SkipReason | 'embedding_failed' | 'failed';

export interface IngestSummary {
  files: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  skipped: { path: string; reason: IngestSkipReason; detail: string }[];
  chunks: number;
  seconds: number;
  chunksPerSecond: number;
  vector: 'on' | 'off';
  /** Whether pg_textsearch's index was rebuilt (deleted chunks passed a tenth of the live ones). */
  lexicalIndexRebuilt?: boolean;
}

/** Fold term counts into kb_terms this often, so searches never count a long tail of new postings. */
const FOLD_EVERY_CHUNKS = 2000;
/**
 * Files stored per statement (see store-in-batches.ts). A batch of 32 chunks takes about 40 ms on
 * PGlite, short enough that a Slack acknowledgement waiting for the database is not held up long.
 */
const STORE_BATCH_FILES = 16;
const STORE_BATCH_CHUNKS = 32;
/** At most this much of files read ahead of the database (at least one file). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;
/** Rough bytes per chunk, to estimate a run's size before reading the files. */
const BYTES_PER_CHUNK_ESTIMATE = 1000;

export async function ingestFiles(deps: IngestDeps, request: IngestRequest): Promise<IngestSummary> {
  const started = performance.now();
  const { db, embedder } = deps;
  const settings = JSON.stringify({ chunking: deps.chunking, v: 1 });
  const { files, roots } = await collectFiles(request.paths, request.cwd);
  const known = new Map(
    (
      await db.query<{ source: string; content_hash: string }>(
        'SELECT source, content_hash FROM kb_documents',
      )
    ).rows.map((r) => [r.source, r.content_hash]),
  );
  const summary: IngestSummary = {
    files: files.length,
    added: 0,
    updated: 0,
    unchanged: 0,
    removed: 0,
    skipped: [],
    chunks: 0,
    seconds: 0,
    chunksPerSecond: 0,
    vector: embedder ? 'on' : 'off',
  };

  // First pass: hash every file, so the run knows how much work it has before doing any.
  const changed: { file: string; hash: string; size: number }[] = [];
  for (const file of files) {
    const read = await readFileBytes(file);
    if (!read.ok) {
      summary.skipped.push({ path: file, reason: read.reason, detail: read.detail });
      continue;
    }
    const hash = contentHash(read.bytes, settings);
    if (known.get(file) === hash) summary.unchanged++;
    else changed.push({ file, hash, size: read.bytes.length });
  }

  // Inserting into an HNSW index one vector at a time is several times slower than building it
  // once. When a run at least doubles the vectors, the index is dropped and rebuilt at the end;
  // if the run dies first, the next start recreates it (search stays exact meanwhile).
  const existing = embedder ? await countEmbeddings(db) : 0;
  const estimated = changed.reduce((n, c) => n + Math.ceil(c.size / BYTES_PER_CHUNK_ESTIMATE), 0);
  const bulk = embedder !== undefined && estimated >= Math.max(1000, existing);
  // The postings' key goes too when no stored document is replaced (replacing deletes postings,
  // which needs the key to find them); it is built again before pruning.
  const newOnly = changed.every((c) => !known.has(c.file));
  let keyDropped = false;
  if (bulk) {
    await dropVectorIndex(db);
    await dropBm25Index(db);
    if (newOnly) keyDropped = await dropPostingsKey(db);
  }
  let sinceFold = 0;
  let done = 0;
  const batches = createBatchStore<StorableFile>(db, {
    maxDocuments: STORE_BATCH_FILES,
    maxChunks: STORE_BATCH_CHUNKS,
    onStored({ doc }) {
      if (known.has(doc.source)) summary.updated++;
      else summary.added++;
      summary.chunks += doc.chunks.length;
      sinceFold += doc.chunks.length;
      request.onProgress?.({ done: ++done, total: changed.length, file: doc.source });
    },
    onFailed({ doc }, error) {
      deps.logger?.error({ err: error, file: doc.source }, 'could not store document');
      summary.skipped.push({ path: doc.source, reason: 'failed', detail: describeError(error) });
      request.onProgress?.({ done: ++done, total: changed.length, file: doc.source });
    },
  });
  try {
    for await (const prepared of prepareFiles(deps, changed)) {
      if (!prepared.ok) {
        summary.skipped.push({ path: prepared.file, reason: prepared.reason, detail: prepared.detail });
        request.onProgress?.({ done: ++done, total: changed.length, file: prepared.file });
        continue;
      }
      await batches.add(prepared);
      if (sinceFold >= FOLD_EVERY_CHUNKS) {
        await foldTermStatistics(db);
        sinceFold = 0;
      }
    }
    await batches.flush();
    if (keyDropped) keyDropped = !(await restorePostingsKey(db));
    request.onProgress?.({ done: changed.length, total: changed.length, file: '' });
    if (request.prune) summary.removed = await pruneMissing(db, roots, new Set(files));
    await foldTermStatistics(db);
    if (summary.chunks > 0 || summary.removed > 0) {
      await vacuumPostings(db);
      // Replaced and removed chunks stay in pg_textsearch's statistics until it is rebuilt.
      if (summary.updated > 0 || summary.removed > 0)
        summary.lexicalIndexRebuilt = await rebuildBm25IndexIfStale(db);
    }
  } finally {
    if (keyDropped) await restorePostingsKey(db);
    if (bulk) await restoreVectorIndex(db, deps.hnsw);
    await restoreBm25Index(db);
  }
  summary.seconds = (performance.now() - started) / 1000;
  summary.chunksPerSecond = summary.seconds > 0 ? summary.chunks / summary.seconds : 0;
  return summary;
}

type StorableFile = { doc: DocumentRecord; embeddings: Float32Array[] | undefined };

type PreparedFile =
  | ({ ok: true } & StorableFile)
  | { ok: false; file: string; reason: IngestSkipReason; detail: string };

/**
 * The changed files read, parsed and embedded in order, up to a batch ahead of the one being
 * stored (and no more than READ_AHEAD_BYTES of files, past the first), so the database never
 * waits for them: an embeddings API's latency, or the local embedder's work, hides behind the
 * database's. One file at a time, so an embeddings API sees one request at a time.
 */
async function* prepareFiles(
  deps: IngestDeps,
  changed: readonly { file: string; hash: string; size: number }[],
): AsyncGenerator<PreparedFile> {
  const ahead: { size: number; prepared: Promise<PreparedFile> }[] = [];
  let aheadBytes = 0;
  let next = 0;
  let previous: Promise<unknown> = Promise.resolve();
  for (;;) {
    while (
      next < changed.length &&
      ahead.length < STORE_BATCH_FILES &&
      (ahead.length === 0 || aheadBytes + changed[next]!.size <= READ_AHEAD_BYTES)
    ) {
      const { file, hash, size } = changed[next++]!;
      const prepared = previous.then(() => prepareFile(deps, file, hash));
      ahead.push({ size, prepared });
      aheadBytes += size;
      previous = prepared;
    }
    const first = ahead.shift();
    if (!first) return;
    aheadBytes -= first.size;
    yield await first.prepared;
  }
}

/** Everything for one file that needs no database: read, parse, chunk, embed. Never throws. */
async function prepareFile(deps: IngestDeps, file: string, hash: string): Promise<PreparedFile> {
  try {
    const read = await readFileBytes(file);
    if (!read.ok) return { ...read, file };
    const parsed = await parseDocument(file, read.bytes, hash, deps.chunking);
    if (!parsed.ok) return { ...parsed, file };
    const doc = parsed.document;
    if (!deps.embedder) return { ok: true, doc, embeddings: undefined };
    try {
      return {
        ok: true,
        doc,
        embeddings: await embedChunks(deps.embedder, doc.title, doc.chunks, 'document'),
      };
    } catch (error) {
      return { ok: false, file, reason: 'embedding_failed', detail: describeError(error) };
    }
  } catch (error) {
    return { ok: false, file, reason: 'failed', detail: describeError(error) };
  }
}

async function countEmbeddings(db: Database): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM kb_embeddings');
  return Number(rows[0]?.n ?? 0);
}

/** Removes documents under the run's roots whose files were not found this time. */
async function pruneMissing(db: Database, roots: string[], seen: Set<string>): Promise<number> {
  const { rows } = await db.query<{ source: string }>('SELECT source FROM kb_documents');
  const gone = rows
    .map((r) => r.source)
    .filter((s) => !seen.has(s) && roots.some((root) => isUnder(s, root)));
  if (gone.length === 0) return 0;
  await db.transaction((tx) => deleteDocuments(tx, gone));
  return gone.length;
}
