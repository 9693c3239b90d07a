import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createRetrieval } from '../../retrieval/create-retrieval.ts';
import { createEmbedder } from '../../retrieval/embeddings/create-embedder.ts';
import { chunkSearchText } from '../../retrieval/lexical/bm25-sql.ts';
import { loadConfig } from '../../src/config.ts';
import { detectCapabilities } from '../../src/db/capabilities.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

describe('switching embedding models', () => {
  it('refuses to mix vectors of two models, says to reindex, and reindex fixes it', async () => {
    const db = await createEmbeddedTestDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-reindex-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.md'), '# Vault\n\nRotate the staging password in the vault.\n');
      const capabilities = await detectCapabilities(db);
      const first = await createRetrieval({ db, config: loadConfig({}).retrieval, capabilities });
      await first.ingest({ paths: [dir], cwd: dir, prune: false });

      const switched = loadConfig({ SLUICE_EMBEDDINGS_DIMENSIONS: '128' }).retrieval;
      const second = await createRetrieval({ db, config: switched, capabilities });
      assert.equal(second.vectorLeg, 'off');
      assert.match(
        second.vectorNotice ?? '',
        /local\/hashed-char-4grams-v1 \(256 dimensions\).*\(128 dimensions\).*sluice reindex/,
      );
      const keywordOnly = await second.search({ query: 'staging password' });
      assert.equal(keywordOnly.mode, 'bm25');
      assert.ok(keywordOnly.hits.length > 0, 'search still answers, from BM25');
      await assert.rejects(second.ingest({ paths: [dir], cwd: dir, prune: false }), /sluice reindex/);

      const result = await second.reindex();
      assert.equal(result.embedded, 1);
      const { rows } = await db.query<{ dims: number; embedding: string; text: string }>(
        `SELECT vector_dims(e.embedding) AS dims, e.embedding::text AS embedding,
                d.title, c.heading_path, c.content
           FROM kb_embeddings e JOIN kb_chunks c ON c.id = e.chunk_id JOIN kb_documents d ON d.id = c.document_id`,
      );
      assert.deepEqual(
        rows.map((r) => Number(r.dims)),
        [128],
      );
      // The stored vector is the configured model's, float32 for float32 (it travels encoded).
      const row = rows[0] as unknown as {
        embedding: string;
        title: string;
        heading_path: string[];
        content: string;
      };
      const [expected] = await createEmbedder(switched.embeddings).embed(
        [chunkSearchText(row.title, row.heading_path, row.content)],
        'document',
      );
      assert.deepEqual(
        JSON.parse(row.embedding).map(Math.fround),
        Array.from(expected!, (x) => Math.fround(Number(x.toPrecision(7)))),
      );
      const third = await createRetrieval({ db, config: switched, capabilities });
      assert.equal(third.vectorLeg, 'on');
      const hybrid = await third.search({ query: 'staging password' });
      assert.equal(hybrid.mode, 'hybrid');
      assert.equal(hybrid.hits[0]!.legs.vector?.rank, 1);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
