import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { embedChunks } from '../../retrieval/embeddings/embed-chunks.ts';
import { ensureEmbeddingSpace, spaceOf } from '../../retrieval/embeddings/embedding-store.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import { chunkText } from '../../retrieval/ingest/chunk-text.ts';
import { type DocumentToStore, storeDocuments } from '../../retrieval/ingest/store-document.ts';
import { searchVectors } from '../../retrieval/vector/search-vectors.ts';
import type { Database } from '../../src/db/database.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

describe('searchVectors', () => {
  const embedder = createLocalEmbedder({ dimension: 32 });
  const words =
    'payments worker restart queue vault rotate cluster staging billing ledger deploy canary'.split(' ');
  let db: Database;

  before(async () => {
    db = await createEmbeddedTestDatabase();
    await ensureEmbeddingSpace(db, spaceOf(embedder), { m: 16, efConstruction: 64 });
    const docs: DocumentToStore[] = [];
    for (let i = 0; i < 120; i++) {
      const text = `Runbook ${i}: ${words[i % words.length]} ${words[(i * 7) % words.length]} step ${i} of ${words[(i * 5) % words.length]}.`;
      const chunks = chunkText(text, { maxChars: 2000, overlapChars: 0, markdown: false });
      docs.push({
        doc: {
          source: `runbooks/${i}.md`,
          title: `Runbook ${i}`,
          link: undefined,
          format: 'other',
          contentHash: String(i),
          byteSize: text.length,
          chunks,
        },
        embeddings: await embedChunks(embedder, `Runbook ${i}`, chunks, 'document'),
      });
    }
    await storeDocuments(db, docs);
    // Through the HNSW index, whatever the planner would pick for so few rows.
    await db.query("SELECT set_config('enable_seqscan', 'off', false)");
  });
  after(() => db?.close());

  it("raises the index scan's ef_search to the limit for that search alone, nearest first", async () => {
    const [query] = await embedder.embed(['restart the payments worker'], 'query');
    // pgvector's HNSW scan stops at ef_search rows (40 by default): 50 come back only if it was raised.
    const hits = await searchVectors(db, query!, { limit: 50, efSearch: 10 });
    assert.equal(hits.length, 50);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1]!.score >= hits[i]!.score);
    const few = await searchVectors(db, query!, { limit: 5, efSearch: 10 });
    assert.deepEqual(
      few.map((h) => h.chunkId),
      hits.slice(0, 5).map((h) => h.chunkId),
    );
    const setting = await db.query<{ v: string }>("SELECT current_setting('hnsw.ef_search') AS v");
    assert.equal(setting.rows[0]!.v, '40');
  });
});
