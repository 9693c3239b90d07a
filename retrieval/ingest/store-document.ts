import type { Database, Queryable } from '../../src/db/database.ts';
import { SluiceError } from '../../src/errors.ts';
import { vectorLiteral } from '../embeddings/embedding-store.ts';
import { chunkSearchText, TEXT_SEARCH_CONFIG } from '../lexical/bm25-sql.ts';
import type { TextChunk } from './chunk-text.ts';

export type DocumentFormat = 'markdown' | 'text' | 'html' | 'pdf' | 'other';

/** A document ready to store: its identity, metadata and chunks. */
export interface DocumentRecord {
  source: string;
  title: string;
  link: string | undefined;
  format: DocumentFormat;
  contentHash: string;
  byteSize: number;
  chunks: TextChunk[];
}

export interface StoredDocument {
  documentId: number;
  chunkIds: number[];
}

/**
 * Replaces a document and everything derived from it: chunks, BM25 postings (term statistics
 * follow through triggers) and, when given, embeddings. It is ONE statement, so it is atomic on
 * its own (called outside a transaction it is the file's transaction): a crash leaves either the
 * old document or the new one, never half of either. One statement instead of five is most of
 * the ingest rate on PGlite, where each statement costs about 0.4 ms before it does any work.
 */
export async function storeDocument(
  db: Queryable,
  doc: DocumentRecord,
  embeddings: readonly Float32Array[] | undefined,
): Promise<StoredDocument> {
  if (embeddings && embeddings.length !== doc.chunks.length) {
    throw new SluiceError('internal', `${doc.chunks.length} chunks but ${embeddings.length} embeddings`);
  }
  const input = doc.chunks.map((c, ordinal) => ({
    ordinal,
    heading_path: c.headingPath,
    content: c.content,
    start_offset: c.startOffset,
    end_offset: c.endOffset,
    start_line: c.startLine,
    search_text: chunkSearchText(doc.title, c.headingPath, c.content),
  }));
  const params: unknown[] = [
    doc.source,
    doc.title,
    doc.link ?? null,
    doc.format,
    doc.contentHash,
    doc.byteSize,
    doc.chunks.length,
    CHUNK_WRITE_LOCK,
    JSON.stringify(input),
  ];
  // kb_embeddings exists only where pgvector is installed: the vector insert is added when needed.
  let vectors = '';
  if (embeddings && embeddings.length > 0) {
    params.push(embeddings.map(vectorLiteral));
    vectors = `, vector AS (
       INSERT INTO kb_embeddings (chunk_id, embedding)
       SELECT c.id, v.embedding::vector
         FROM chunk c JOIN unnest($10::text[]) WITH ORDINALITY AS v(embedding, n) ON v.n = c.ordinal + 1
     )`;
  }
  // Order matters, and data-modifying CTEs run in no fixed order unless one reads another: the
  // new kb_documents row reads count(*) of `old`, so the old version (same unique source) is
  // deleted first; its chunks, postings and vectors follow it through the cascade at statement end.
  const { rows } = await db.query<{ document_id: number; chunk_ids: number[] }>(
    `WITH lock AS (SELECT pg_advisory_xact_lock_shared($8::int8)),
     old AS (
       DELETE FROM kb_documents WHERE source = $1 AND EXISTS (SELECT 1 FROM lock) RETURNING id
     ), doc AS (
       INSERT INTO kb_documents (source, title, link, format, content_hash, byte_size, chunk_count)
       SELECT $1, $2, $3, $4, $5, $6::int8, $7::int FROM (SELECT count(*) FROM old) AS o
       RETURNING id
     ), input AS (
       SELECT x.*, to_tsvector('${TEXT_SEARCH_CONFIG}', x.search_text) AS tsv
         FROM jsonb_to_recordset($9::jsonb) AS x(ordinal int, heading_path text[], content text,
              start_offset int, end_offset int, start_line int, search_text text)
     ), chunk AS (
       INSERT INTO kb_chunks (document_id, ordinal, heading_path, content, start_offset, end_offset, start_line,
                              lexical_length, terms)
       SELECT doc.id, i.ordinal, i.heading_path, i.content, i.start_offset, i.end_offset, i.start_line,
              (SELECT coalesce(sum(array_length(u.positions, 1)), 0) FROM unnest(i.tsv) u), tsvector_to_array(i.tsv)
         FROM doc CROSS JOIN input i
       RETURNING id, ordinal, lexical_length
     ), posting AS (
       INSERT INTO kb_postings (term, chunk_id, tf, chunk_length)
       SELECT u.lexeme, c.id, array_length(u.positions, 1), c.lexical_length
         FROM chunk c JOIN input i ON i.ordinal = c.ordinal CROSS JOIN LATERAL unnest(i.tsv) u
     )${vectors}
     SELECT (SELECT id FROM doc) AS document_id, array(SELECT id FROM chunk ORDER BY ordinal) AS chunk_ids`,
    params,
  );
  const row = rows[0]!;
  return { documentId: Number(row.document_id), chunkIds: row.chunk_ids.map(Number) };
}

/** Removes documents (their chunks, postings and vectors follow); call inside a transaction. */
export async function deleteDocuments(tx: Queryable, sources: readonly string[]): Promise<void> {
  await tx.query(
    `WITH lock AS (SELECT pg_advisory_xact_lock_shared($2::int8))
     DELETE FROM kb_documents WHERE source = ANY($1::text[]) AND EXISTS (SELECT 1 FROM lock)`,
    [sources, CHUNK_WRITE_LOCK],
  );
}

/** Folds the term counts of recently added chunks into kb_terms; returns how many chunks it folded. */
export async function foldTermStatistics(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ folded: number }>('SELECT kb_fold_term_stats() AS folded');
  return Number(rows[0]?.folded ?? 0);
}

/**
 * Marks the postings' pages all-visible so BM25 reads posting lists as index-only scans
 * (migration 0006). Only embedded PGlite needs it: it has no autovacuum, while a server's
 * autovacuum runs after inserts by itself. It cannot run inside a transaction, and only visits
 * pages written since the last vacuum.
 */
export async function vacuumPostings(db: Database): Promise<void> {
  if (db.kind === 'embedded') await db.query('VACUUM (ANALYZE) kb_postings');
}

/**
 * Every transaction that adds or removes chunks holds this advisory lock shared; the fold of term
 * statistics holds it exclusively (migration 0003), so it never misses uncommitted chunks.
 */
const CHUNK_WRITE_LOCK = 7_406_215_903;
