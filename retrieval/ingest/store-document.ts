import type { Queryable } from '../../src/db/database.ts';
import { insertEmbeddings } from '../embeddings/embedding-store.ts';
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
 * follow through triggers) and, when given, embeddings. Call it inside a transaction so that a
 * crash leaves either the old document or the new one, never half of either.
 */
export async function storeDocument(
  tx: Queryable,
  doc: DocumentRecord,
  embeddings: readonly Float32Array[] | undefined,
): Promise<StoredDocument> {
  // Taking the lock and deleting the old version in one statement saves a round trip per file.
  await tx.query(
    `WITH lock AS (SELECT pg_advisory_xact_lock_shared($2::int8))
     DELETE FROM kb_documents WHERE source = $1 AND EXISTS (SELECT 1 FROM lock)`,
    [doc.source, CHUNK_WRITE_LOCK],
  );
  const inserted = await tx.query<{ id: number }>(
    `INSERT INTO kb_documents (source, title, link, format, content_hash, byte_size, chunk_count)
     VALUES ($1, $2, $3, $4, $5, $6::int8, $7::int) RETURNING id`,
    [doc.source, doc.title, doc.link ?? null, doc.format, doc.contentHash, doc.byteSize, doc.chunks.length],
  );
  const documentId = Number(inserted.rows[0]!.id);
  const chunkIds = await insertChunks(tx, documentId, doc.title, doc.chunks);
  if (embeddings) await insertEmbeddings(tx, chunkIds, embeddings);
  return { documentId, chunkIds };
}

/** Inserts the chunks and their postings in one statement; returns chunk ids in chunk order. */
export async function insertChunks(
  tx: Queryable,
  documentId: number,
  title: string,
  chunks: readonly TextChunk[],
): Promise<number[]> {
  if (chunks.length === 0) return [];
  const input = chunks.map((c, ordinal) => ({
    ordinal,
    heading_path: c.headingPath,
    content: c.content,
    start_offset: c.startOffset,
    end_offset: c.endOffset,
    start_line: c.startLine,
    search_text: chunkSearchText(title, c.headingPath, c.content),
  }));
  const { rows } = await tx.query<{ id: number; ordinal: number }>(
    `WITH input AS (
       SELECT x.*, to_tsvector('${TEXT_SEARCH_CONFIG}', x.search_text) AS tsv
         FROM jsonb_to_recordset($2::jsonb) AS x(ordinal int, heading_path text[], content text,
              start_offset int, end_offset int, start_line int, search_text text)
     ), chunk AS (
       INSERT INTO kb_chunks (document_id, ordinal, heading_path, content, start_offset, end_offset, start_line,
                              lexical_length, terms)
       SELECT $1::int8, i.ordinal, i.heading_path, i.content, i.start_offset, i.end_offset, i.start_line,
              (SELECT coalesce(sum(array_length(u.positions, 1)), 0) FROM unnest(i.tsv) u), tsvector_to_array(i.tsv)
         FROM input i
       RETURNING id, ordinal, lexical_length
     ), posting AS (
       INSERT INTO kb_postings (term, chunk_id, tf, chunk_length)
       SELECT u.lexeme, c.id, array_length(u.positions, 1), c.lexical_length
         FROM chunk c JOIN input i ON i.ordinal = c.ordinal CROSS JOIN LATERAL unnest(i.tsv) u
     )
     SELECT id, ordinal FROM chunk ORDER BY ordinal`,
    [documentId, JSON.stringify(input)],
  );
  return rows.map((r) => Number(r.id));
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
 * Every transaction that adds or removes chunks holds this advisory lock shared; the fold of term
 * statistics holds it exclusively (migration 0003), so it never misses uncommitted chunks.
 */
const CHUNK_WRITE_LOCK = 7_406_215_903;
