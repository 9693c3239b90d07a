import type { Database, Queryable } from '../../src/db/database.ts';
import { SluiceError } from '../../src/errors.ts';
import { decodeVectorSql, encodeVector } from '../embeddings/embedding-store.ts';
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

/** A document and, when the vector leg is on, one embedding per chunk. */
export interface DocumentToStore {
  doc: DocumentRecord;
  embeddings: readonly Float32Array[] | undefined;
}

/** Replaces one document; see storeDocuments. */
export async function storeDocument(
  db: Queryable,
  doc: DocumentRecord,
  embeddings: readonly Float32Array[] | undefined,
): Promise<StoredDocument> {
  const [stored] = await storeDocuments(db, [{ doc, embeddings }]);
  return stored!;
}

/**
 * Replaces documents and everything derived from them: chunks, BM25 postings (term statistics
 * follow through triggers) and, when given, embeddings. It is ONE statement, so it is atomic on
 * its own (called outside a transaction it is its own transaction): a crash leaves each document
 * either in its old version or its new one, never half of either. On PGlite a statement costs
 * about 2 ms before it stores anything (the protocol round trip, parsing and planning this
 * statement, the triggers, the commit), two to three times what storing a chunk costs, so ingest
 * stores several small files per statement. A statement that fails stores none of its documents:
 * the caller retries them one by one to find the file at fault (see store-in-batches.ts).
 */
export async function storeDocuments(
  db: Queryable,
  documents: readonly DocumentToStore[],
  statement: StoreStatement = storeStatement(documents),
): Promise<StoredDocument[]> {
  if (documents.length === 0) return [];
  const { rows } = await db.query<{ document_id: number; chunk_ids: number[] }>(
    statement.sql,
    statement.params,
  );
  return rows.map((row) => ({ documentId: Number(row.document_id), chunkIds: row.chunk_ids.map(Number) }));
}

export interface StoreStatement {
  sql: string;
  params: unknown[];
}

/** storeDocuments' statement, built apart so that it can be built while the previous one runs. */
export function storeStatement(documents: readonly DocumentToStore[]): StoreStatement {
  const batch = documents.map(({ doc }, n) => ({
    n,
    source: doc.source,
    title: doc.title,
    link: doc.link ?? null,
    format: doc.format,
    content_hash: doc.contentHash,
    byte_size: doc.byteSize,
    chunk_count: doc.chunks.length,
  }));
  if (new Set(batch.map((d) => d.source)).size !== batch.length) {
    throw new SluiceError('internal', 'the same source twice in one batch of documents');
  }
  let k = 0;
  const input = documents.flatMap(({ doc }, n) =>
    doc.chunks.map((c, ordinal) => ({
      k: ++k,
      n,
      ordinal,
      heading_path: c.headingPath,
      content: c.content,
      start_offset: c.startOffset,
      end_offset: c.endOffset,
      start_line: c.startLine,
      search_text: chunkSearchText(doc.title, c.headingPath, c.content),
    })),
  );
  const withVectors = documents.map(({ doc, embeddings }) => {
    if (embeddings && embeddings.length !== doc.chunks.length) {
      throw new SluiceError('internal', `${doc.chunks.length} chunks but ${embeddings.length} embeddings`);
    }
    return embeddings !== undefined && embeddings.length > 0;
  });
  const params: unknown[] = [
    CHUNK_WRITE_LOCK,
    JSON.stringify(batch),
    JSON.stringify(input),
    batch.map((d) => d.source),
  ];
  // kb_embeddings exists only where pgvector is installed: the vector insert is added when needed.
  // The vector columns line up with `input` (nulls for the chunks of documents stored without).
  let vectors = '';
  if (withVectors.some(Boolean)) {
    const encoded = documents.flatMap(({ doc, embeddings }, n) =>
      withVectors[n] ? embeddings!.map(encodeVector) : doc.chunks.map(() => undefined),
    );
    params.push(
      encoded.map((v) => v?.ints ?? null),
      encoded.map((v) => v?.shift ?? null),
      encoded.map((v) => v?.literal ?? null),
    );
    vectors = `, encoded AS MATERIALIZED (
       SELECT e.k, e.ints::int4[] AS ints, e.shift, e.literal
         FROM unnest($5::text[], $6::int[], $7::text[]) WITH ORDINALITY AS e(ints, shift, literal, k)
        WHERE e.ints IS NOT NULL OR e.literal IS NOT NULL
     ), vector AS (
       INSERT INTO kb_embeddings (chunk_id, embedding)
       SELECT c.id, ${decodeVectorSql('e.ints', 'e.shift', 'e.literal')}
         FROM chunk_input c JOIN encoded e ON e.k = c.k
        ORDER BY c.k
     )`;
  }
  // Order matters, and data-modifying CTEs run in no fixed order unless one reads another: the
  // new kb_documents rows read count(*) of `old`, so the old versions (same unique sources) are
  // deleted first; their chunks, postings and vectors follow through the cascade at statement end.
  // Rows are inserted in input order, so ids come out as storing the documents one by one would.
  const sql = `WITH lock AS (SELECT pg_advisory_xact_lock_shared($1::int8)),
     batch AS (
       SELECT * FROM jsonb_to_recordset($2::jsonb) AS b(n int, source text, title text, link text, format text,
              content_hash text, byte_size int8, chunk_count int)
     ), old AS (
       DELETE FROM kb_documents WHERE source = ANY($4::text[]) AND EXISTS (SELECT 1 FROM lock)
       RETURNING id
     ), doc AS (
       INSERT INTO kb_documents (source, title, link, format, content_hash, byte_size, chunk_count)
       SELECT b.source, b.title, b.link, b.format, b.content_hash, b.byte_size, b.chunk_count
         FROM batch b CROSS JOIN (SELECT count(*) FROM old) AS o
        ORDER BY b.n
       RETURNING id, source
     ), placed AS (
       SELECT b.n, doc.id FROM batch b JOIN doc ON doc.source = b.source
     ), input AS (
       -- The chunk's terms with their counts and its length, in one pass over its tsvector: its
       -- postings are read back from these arrays rather than from the tsvector again.
       SELECT x.*, coalesce(t.terms, '{}') AS terms, coalesce(t.counts, '{}') AS counts, t.length
         FROM jsonb_to_recordset($3::jsonb) AS x(k int, n int, ordinal int, heading_path text[], content text,
              start_offset int, end_offset int, start_line int, search_text text)
         CROSS JOIN LATERAL (
           SELECT array_agg(u.lexeme) AS terms,
                  array_agg(array_length(u.positions, 1)::real) AS counts,
                  coalesce(sum(array_length(u.positions, 1)), 0)::int AS length
             FROM unnest(to_tsvector('${TEXT_SEARCH_CONFIG}', x.search_text)) u
         ) AS t
     ), chunk AS (
       INSERT INTO kb_chunks (document_id, ordinal, heading_path, content, start_offset, end_offset, start_line,
                              search_text, lexical_length, terms, term_counts)
       SELECT p.id, i.ordinal, i.heading_path, i.content, i.start_offset, i.end_offset, i.start_line, i.search_text,
              i.length, i.terms, i.counts
         FROM input i JOIN placed p ON p.n = i.n
        ORDER BY i.k
       RETURNING id, document_id, ordinal, lexical_length
     ), chunk_input AS (
       SELECT c.id, c.document_id, c.ordinal, c.lexical_length, i.k, i.terms, i.counts
         FROM chunk c JOIN placed p ON p.id = c.document_id JOIN input i ON i.n = p.n AND i.ordinal = c.ordinal
     ), posting AS (
       INSERT INTO kb_postings (term, chunk_id, tf, chunk_length)
       SELECT u.term, c.id, u.tf, c.lexical_length
         FROM chunk_input c CROSS JOIN LATERAL unnest(c.terms, c.counts) AS u(term, tf)
     )${vectors}
     SELECT p.id AS document_id,
            coalesce((SELECT array_agg(c.id ORDER BY c.ordinal) FROM chunk c WHERE c.document_id = p.id), '{}') AS chunk_ids
       FROM placed p ORDER BY p.n`;
  return { sql, params };
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
