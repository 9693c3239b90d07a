import type { Database } from '../../src/db/database.ts';
import { describeError } from '../../src/errors.ts';
import type { Logger } from '../../src/logger.ts';
import { embedChunks } from '../embeddings/embed-chunks.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import { dropVectorIndex, type HnswBuildOptions, restoreVectorIndex } from '../embeddings/embedding-store.ts';
import type { ChunkOptions } from './chunk-text.ts';
import { collectFiles, isUnder } from './collect-files.ts';
import { contentHash, parseDocument, readFileBytes, type SkipReason } from './read-document.ts';
import {
  type DocumentRecord,
  deleteDocuments,
  foldTermStatistics,
  storeDocument,
  vacuumPostings,
} from './store-document.ts';

/**
 * `sluice ingest`: brings the knowledge base in line with a set of files. Unchanged files (same
 * content hash and chunking settings) are skipped, changed ones replaced, each file in its own
 * transaction; bad files are skipped with a reason and the run goes on.
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
}

/** Fold term counts into kb_terms this often, so searches never count a long tail of new postings. */
const FOLD_EVERY_CHUNKS = 2000;
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
  if (bulk) await dropVectorIndex(db);
  let sinceFold = 0;
  try {
    // The next file is read, parsed and embedded while this one is stored, so an embeddings API's
    // latency hides behind the database's (the local embedder is too quick for it to show).
    const prepare = (i: number) =>
      i < changed.length ? prepareFile(deps, changed[i]!.file, changed[i]!.hash) : undefined;
    let next = prepare(0);
    for (const [index, { file }] of changed.entries()) {
      request.onProgress?.({ done: index, total: changed.length, file });
      const prepared = await next!;
      next = prepare(index + 1);
      if (!prepared.ok) {
        summary.skipped.push({ path: file, reason: prepared.reason, detail: prepared.detail });
        continue;
      }
      const { doc, vectors } = prepared;
      try {
        // One statement: the file's own transaction (see store-document.ts).
        await storeDocument(db, doc, vectors);
      } catch (error) {
        deps.logger?.error({ err: error, file }, 'could not store document');
        summary.skipped.push({ path: file, reason: 'failed', detail: describeError(error) });
        continue;
      }
      if (known.has(file)) summary.updated++;
      else summary.added++;
      summary.chunks += doc.chunks.length;
      sinceFold += doc.chunks.length;
      if (sinceFold >= FOLD_EVERY_CHUNKS) {
        await foldTermStatistics(db);
        sinceFold = 0;
      }
    }
    request.onProgress?.({ done: changed.length, total: changed.length, file: '' });
    if (request.prune) summary.removed = await pruneMissing(db, roots, new Set(files));
    await foldTermStatistics(db);
    if (summary.chunks > 0 || summary.removed > 0) await vacuumPostings(db);
  } finally {
    if (bulk) await restoreVectorIndex(db, deps.hnsw);
  }
  summary.seconds = (performance.now() - started) / 1000;
  summary.chunksPerSecond = summary.seconds > 0 ? summary.chunks / summary.seconds : 0;
  return summary;
}

type PreparedFile =
  | { ok: true; doc: DocumentRecord; vectors: Float32Array[] | undefined }
  | { ok: false; reason: IngestSkipReason; detail: string };

/** Everything for one file that needs no database: read, parse, chunk, embed. Never throws. */
async function prepareFile(deps: IngestDeps, file: string, hash: string): Promise<PreparedFile> {
  try {
    const read = await readFileBytes(file);
    if (!read.ok) return read;
    const parsed = await parseDocument(file, read.bytes, hash, deps.chunking);
    if (!parsed.ok) return parsed;
    const doc = parsed.document;
    if (!deps.embedder) return { ok: true, doc, vectors: undefined };
    try {
      return { ok: true, doc, vectors: await embedChunks(deps.embedder, doc.title, doc.chunks, 'document') };
    } catch (error) {
      return { ok: false, reason: 'embedding_failed', detail: describeError(error) };
    }
  } catch (error) {
    return { ok: false, reason: 'failed', detail: describeError(error) };
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
