import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureEmbeddingSpace, spaceOf, vectorLiteral } from '../../retrieval/embeddings/embedding-store.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import { chunkText } from '../../retrieval/ingest/chunk-text.ts';
import {
  type DocumentRecord,
  type DocumentToStore,
  foldTermStatistics,
  storeDocument,
} from '../../retrieval/ingest/store-document.ts';
import { createBatchStore } from '../../retrieval/ingest/store-in-batches.ts';
import { chunkSearchText } from '../../retrieval/lexical/bm25-sql.ts';
import { detectCapabilities } from '../../src/db/capabilities.ts';
import type { Database } from '../../src/db/database.ts';
import { databaseTargets } from '../support/test-database.ts';

/**
 * Ingest stores several files per statement. Each file must still be all or nothing, a bad file
 * must fail alone, and the rows (chunks, postings, term statistics, vectors) must be exactly those
 * of storing the files one by one.
 */

const embedder = createLocalEmbedder();

const texts = [
  '# Rotation\n\nRotate the staging database password every month.\n\n## Vault\n\nThe vault keeps every password; never paste one in Slack.',
  '# Payments\n\nRestart the payments worker when the queue backs up. Payments are retried.',
  `# Workers\n\n${'Workers claim jobs with row locks. A worker that dies leaves its job claimable. '.repeat(30)}`,
  '# Incidents\n\nDuring an incident, pause the bot and page the on-call engineer.',
  '# Billing\n\nThe billing worker sends invoices at midnight; a failed invoice is retried hourly.',
];

function record(source: string, text: string): DocumentRecord {
  return {
    source,
    title: '',
    link: undefined,
    format: 'markdown',
    contentHash: text,
    byteSize: text.length,
    chunks: chunkText(text, { maxChars: 400, overlapChars: 60, markdown: true }),
  };
}

async function toStore(doc: DocumentRecord, vectors: boolean): Promise<DocumentToStore> {
  const title = doc.chunks[0]?.headingPath[0] ?? 'Untitled';
  const withTitle = { ...doc, title };
  return {
    doc: withTitle,
    embeddings: vectors
      ? await embedder.embed(
          doc.chunks.map((c) => chunkSearchText(title, c.headingPath, c.content)),
          'document',
        )
      : undefined,
  };
}

for (const target of databaseTargets()) {
  describe(`storing documents in batches on the ${target.name} database`, () => {
    let db: Database;
    let vectors: boolean;
    before(async () => {
      db = await target.create();
      vectors = (await detectCapabilities(db)).vector;
      if (vectors) await ensureEmbeddingSpace(db, spaceOf(embedder));
    });
    after(async () => {
      await db?.close();
    });

    /** Every stored row of the documents under `prefix`, keyed by what does not depend on ids. */
    async function rowsUnder(prefix: string) {
      const { rows } = await db.query<Record<string, unknown>>(
        `SELECT substr(d.source, length($1::text) + 1) AS file, c.ordinal, c.content, c.heading_path,
                c.start_offset, c.end_offset, c.start_line, c.lexical_length, c.terms,
                (SELECT array_agg(p.term || ':' || p.tf || ':' || p.chunk_length ORDER BY p.term)
                   FROM kb_postings p WHERE p.chunk_id = c.id) AS postings
           FROM kb_documents d JOIN kb_chunks c ON c.document_id = d.id
          WHERE d.source LIKE $1::text || '%'
          ORDER BY file, c.ordinal`,
        [prefix],
      );
      return rows;
    }

    async function statisticsAreExact() {
      await foldTermStatistics(db);
      const { rows } = await db.query<Record<string, number>>(
        `SELECT (SELECT chunk_count FROM kb_corpus) - (SELECT count(*) FROM kb_chunks) AS chunk_count_off,
                (SELECT total_length FROM kb_corpus) - (SELECT coalesce(sum(lexical_length), 0) FROM kb_chunks) AS length_off,
                (SELECT count(*) FROM (
                   SELECT term, count(*) AS df FROM kb_postings GROUP BY term
                   EXCEPT SELECT term, df FROM kb_terms) x) AS df_off,
                (SELECT count(*) FROM kb_chunks c
                  WHERE c.lexical_length <> (SELECT coalesce(sum(p.tf), 0) FROM kb_postings p WHERE p.chunk_id = c.id)) AS tf_off`,
      );
      assert.deepEqual(Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)])), {
        chunk_count_off: 0,
        length_off: 0,
        df_off: 0,
        tf_off: 0,
      });
    }

    it('stores exactly the rows that storing the documents one by one does', async () => {
      const items = await Promise.all(texts.map((t, i) => toStore(record(`/one/${i}.md`, t), vectors)));
      for (const { doc, embeddings } of items) await storeDocument(db, doc, embeddings);
      const stored: { source: string; chunkIds: number[] }[] = [];
      const batches = createBatchStore(db, {
        maxDocuments: 3,
        maxChunks: 1000,
        onStored: (item, result) => stored.push({ source: item.doc.source, chunkIds: result.chunkIds }),
        onFailed: (_item, error) => assert.fail(error as Error),
      });
      for (const item of items) {
        await batches.add({
          ...item,
          doc: { ...item.doc, source: item.doc.source.replace('/one/', '/batch/') },
        });
      }
      await batches.flush();

      assert.deepEqual(await rowsUnder('/batch/'), await rowsUnder('/one/'));
      assert.deepEqual(
        stored.map((s) => s.source),
        texts.map((_, i) => `/batch/${i}.md`),
      );
      const ids = stored.flatMap((s) => s.chunkIds);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'chunk ids in document order, as one by one',
      );
      if (vectors) {
        const { rows } = await db.query<{ id: number; embedding: string }>(
          'SELECT chunk_id AS id, embedding::text AS embedding FROM kb_embeddings WHERE chunk_id = ANY($1::int8[])',
          [ids],
        );
        const expected = await db.query<{ embedding: string }>(
          'SELECT v::vector::text AS embedding FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n',
          [items.flatMap((item) => item.embeddings!.map(vectorLiteral))],
        );
        const byId = new Map(rows.map((r) => [Number(r.id), r.embedding]));
        assert.deepEqual(
          ids.map((id) => byId.get(id)),
          expected.rows.map((r) => r.embedding),
          "each chunk's own vector",
        );
      }
      await statisticsAreExact();
    });

    it('fails only the bad document of a batch, keeping its old version whole', async () => {
      const before = await rowsUnder('/batch/');
      const changed = await Promise.all(
        texts.map((t, i) => toStore(record(`/batch/${i}.md`, `${t}\n\nRevised.`), vectors)),
      );
      // A chunk whose end comes before its start breaks a CHECK constraint in the middle of the
      // statement that stores the batch, after other documents' rows were written.
      const bad = changed[2]!;
      bad.doc.chunks[1] = { ...bad.doc.chunks[1]!, endOffset: -1 };
      const stored: string[] = [];
      const failed: string[] = [];
      const batches = createBatchStore(db, {
        maxDocuments: 3,
        maxChunks: 1000,
        onStored: (item) => stored.push(item.doc.source),
        onFailed: (item) => failed.push(item.doc.source),
      });
      for (const item of changed) await batches.add(item);
      await batches.flush();

      assert.deepEqual(failed, ['/batch/2.md']);
      assert.deepEqual(stored.sort(), ['/batch/0.md', '/batch/1.md', '/batch/3.md', '/batch/4.md']);
      const after = await rowsUnder('/batch/');
      const of = (rows: Record<string, unknown>[], file: string) => rows.filter((r) => r.file === file);
      assert.deepEqual(of(after, '2.md'), of(before, '2.md'), 'the old version, untouched');
      for (const file of ['0.md', '1.md', '3.md', '4.md']) {
        assert.ok(
          of(after, file).some((r) => String(r.content).includes('Revised.')),
          `${file} replaced`,
        );
      }
      await statisticsAreExact();
    });
  });
}
