import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureEmbeddingSpace, spaceOf } from '../../retrieval/embeddings/embedding-store.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import type { TextChunk } from '../../retrieval/ingest/chunk-text.ts';
import { type DocumentRecord, storeDocument } from '../../retrieval/ingest/store-document.ts';
import type { Database } from '../../src/db/database.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

/**
 * storeDocument replaces a document in ONE statement, so the statement is the file's transaction:
 * if any part of it fails (here the vector insert, given a vector of the wrong length), nothing of
 * the new version is kept and the old version is untouched.
 */

const embedder = createLocalEmbedder({ dimension: 256 });

function chunk(content: string): TextChunk {
  return { headingPath: ['Runbook'], content, startOffset: 0, endOffset: content.length, startLine: 1 };
}

function record(chunks: TextChunk[]): DocumentRecord {
  return {
    source: '/kb/runbook.md',
    title: 'Runbook',
    link: undefined,
    format: 'markdown',
    contentHash: chunks.map((c) => c.content).join('|'),
    byteSize: 100,
    chunks,
  };
}

describe('storing a document', () => {
  let db: Database;
  before(async () => {
    db = await createEmbeddedTestDatabase();
    await ensureEmbeddingSpace(db, spaceOf(embedder));
  });
  after(async () => {
    await db?.close();
  });

  async function state() {
    const { rows } = await db.query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM kb_documents) AS documents, (SELECT count(*) FROM kb_chunks) AS chunks,
              (SELECT count(*) FROM kb_postings) AS postings, (SELECT count(*) FROM kb_embeddings) AS vectors,
              (SELECT chunk_count FROM kb_corpus) AS corpus_chunks, (SELECT total_length FROM kb_corpus) AS corpus_length`,
    );
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)]));
  }

  it('replaces the old version whole, or leaves it whole when the new one fails', async () => {
    const v1 = [chunk('Restart the payments worker.'), chunk('Then check the queue depth.')];
    const first = await storeDocument(
      db,
      record(v1),
      await embedder.embed(
        v1.map((c) => c.content),
        'document',
      ),
    );
    assert.equal(first.chunkIds.length, 2);
    const before = await state();
    assert.deepEqual(
      {
        documents: before.documents,
        chunks: before.chunks,
        vectors: before.vectors,
        corpus: before.corpus_chunks,
      },
      { documents: 1, chunks: 2, vectors: 2, corpus: 2 },
    );
    assert.ok((before.postings ?? 0) > 0);

    const v2 = [chunk('Drain the payments queue first.'), chunk('Restart.'), chunk('Verify.')];
    const bad = await embedder.embed(
      v2.map((c) => c.content),
      'document',
    );
    bad[2] = new Float32Array(3);
    await assert.rejects(() => storeDocument(db, record(v2), bad), /dimensions|expected/);
    assert.deepEqual(await state(), before, 'a failed replacement changes nothing');

    const second = await storeDocument(
      db,
      record(v2),
      await embedder.embed(
        v2.map((c) => c.content),
        'document',
      ),
    );
    const after = await state();
    assert.equal(after.documents, 1);
    assert.equal(after.chunks, 3);
    assert.equal(after.vectors, 3);
    assert.equal(after.corpus_chunks, 3);
    assert.ok(
      second.chunkIds.every((id) => !first.chunkIds.includes(id)),
      'the new version has new chunks',
    );
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*) AS n FROM kb_postings WHERE chunk_id = ANY($1::int8[])',
      [first.chunkIds],
    );
    assert.equal(Number(rows[0]!.n), 0, "the old version's postings went with it");
  });
});
