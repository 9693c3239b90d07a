import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRetrieval, KEYWORD_ONLY_NOTICE, type Retrieval } from '../../retrieval/create-retrieval.ts';
import type { EmbeddingProvider } from '../../retrieval/embeddings/embedding-provider.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import { ingestFiles } from '../../retrieval/ingest/ingest-files.ts';
import { loadConfig } from '../../src/config.ts';
import { detectCapabilities } from '../../src/db/capabilities.ts';
import type { Database } from '../../src/db/database.ts';
import { databaseTargets } from '../support/test-database.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ingest-'));
}

function write(dir: string, name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

const rotation = `---
title: Rotating the staging password
url: https://wiki.example.com/runbooks/rotation
---
# Rotation

## Staging

Open the vault, generate a new staging database password and restart the app.
`;

const html = `<html><head><title>Payments worker</title>
<link rel="canonical" href="https://wiki.example.com/payments"></head>
<body><nav>Home | About</nav><h1>Payments worker</h1><h2>Restarting</h2>
<p>Restart the <b>payments worker</b> with the restart-service endpoint.</p><script>alert(1)</script></body></html>`;

for (const target of databaseTargets()) {
  describe(`ingest on the ${target.name} database`, () => {
    let db: Database;
    let retrieval: Retrieval;
    let dir: string;
    before(async () => {
      db = await target.create();
      retrieval = await createRetrieval({
        db,
        config: loadConfig({}).retrieval,
        capabilities: await detectCapabilities(db),
      });
      dir = tempDir();
    });
    after(async () => {
      await db?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('skips each kind of bad file with a reason and ingests the rest', async () => {
      write(dir, 'docs/rotation.md', rotation);
      write(dir, 'docs/payments.html', html);
      write(dir, 'docs/notes.txt', 'Pause the bot with /agent pause during an incident.\n');
      write(dir, 'docs/binary.md', Buffer.from([0x23, 0x20, 0x68, 0x00, 0x01, 0x02, 0x69]));
      write(dir, 'docs/empty.md', '');
      write(dir, 'docs/blank.txt', '   \n\n \t\n');
      write(dir, 'docs/latin1.md', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x28, 0x29]));
      const big = write(dir, 'docs/huge.txt', '');
      fs.truncateSync(big, 21 * 1024 * 1024); // sparse: no real disk used
      const broken = path.join(dir, 'docs/gone.md');
      fs.symlinkSync(path.join(dir, 'no-such-target.md'), broken);
      write(dir, 'photo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));

      const summary = await retrieval.ingest({
        paths: ['docs', broken, 'photo.png'],
        cwd: dir,
        prune: false,
      });
      const reasons = Object.fromEntries(summary.skipped.map((s) => [path.basename(s.path), s.reason]));
      assert.deepEqual(reasons, {
        'binary.md': 'binary',
        'empty.md': 'empty',
        'blank.txt': 'empty',
        'latin1.md': 'bad_encoding',
        'huge.txt': 'too_large',
        'gone.md': 'unreadable',
        'photo.png': 'unsupported',
      });
      assert.equal(summary.added, 3);
      assert.ok(summary.chunks >= 3);
      assert.equal(summary.vector, target.name === 'embedded' ? 'on' : 'off');

      const found = await retrieval.search({
        query: 'rotate staging database password',
        mode: 'bm25',
        limit: 3,
      });
      const top = found.hits[0]!;
      assert.equal(top.citation.title, 'Rotating the staging password');
      assert.deepEqual(top.citation.headingPath, ['Rotation', 'Staging']);
      assert.equal(top.citation.link, 'https://wiki.example.com/runbooks/rotation#staging');
      assert.ok(top.citation.highlights.length > 0, 'matched words are highlighted');
      const highlighted = top.citation.highlights.map(([s, e]) =>
        top.citation.snippet.slice(s, e).toLowerCase(),
      );
      assert.ok(
        highlighted.includes('password') && highlighted.includes('staging'),
        `highlighted: ${highlighted}`,
      );

      const odd = await retrieval.search({ query: "O'Reilly's C:\\temp\\vault & | ! password:*", limit: 3 });
      assert.ok(odd.hits.length > 0, 'quotes, backslashes and tsquery operators in a query are just text');
      const empty = await retrieval.search({ query: 'the and of', mode: 'bm25' });
      assert.deepEqual(empty.hits, [], 'a query of stop words finds nothing, without failing');

      const page = await retrieval.search({ query: 'restart payments worker', mode: 'bm25', limit: 1 });
      assert.equal(page.hits[0]!.citation.title, 'Payments worker');
      assert.ok(
        !page.hits[0]!.content.includes('alert(1)') && !page.hits[0]!.content.includes('Home | About'),
      );
    });

    it('re-ingests incrementally: unchanged skipped, changed replaced, deleted removed only with --prune', async () => {
      const again = await retrieval.ingest({ paths: ['docs'], cwd: dir, prune: false });
      assert.equal(again.unchanged, 3);
      assert.equal(again.added + again.updated, 0);

      write(dir, 'docs/notes.txt', 'Resume the bot with /agent resume once the incident is over.\n');
      fs.rmSync(path.join(dir, 'docs/payments.html'));
      const changed = await retrieval.ingest({ paths: ['docs'], cwd: dir, prune: false });
      assert.equal(changed.updated, 1);
      assert.equal(changed.removed, 0);
      const old = await retrieval.search({ query: 'pause incident', mode: 'bm25', limit: 5 });
      assert.ok(
        !old.hits.some((h) => h.content.includes('/agent pause')),
        'the old version of a changed file is gone',
      );
      assert.equal(
        (await retrieval.search({ query: 'payments worker', mode: 'bm25' })).hits.length,
        1,
        'kept without --prune',
      );

      const pruned = await retrieval.ingest({ paths: ['docs'], cwd: dir, prune: true });
      assert.equal(pruned.removed, 1);
      assert.equal((await retrieval.search({ query: 'payments worker', mode: 'bm25' })).hits.length, 0);
      const { rows } = await db.query<{ n: number }>('SELECT count(*) AS n FROM kb_documents');
      assert.equal(Number(rows[0]!.n), 2);
    });

    it('keeps the previous version of a file whose new version fails mid-way (one transaction per file)', async () => {
      const capabilities = await detectCapabilities(db);
      const failing: EmbeddingProvider = {
        ...createLocalEmbedder(),
        async embed() {
          throw new Error('embedding service down');
        },
      };
      write(dir, 'docs/rotation.md', rotation.replace('restart the app', 'restart the whole cluster'));
      const summary = await ingestFiles(
        {
          db,
          embedder: capabilities.vector ? failing : undefined,
          chunking: { maxChars: 1500, overlapChars: 200, markdown: true },
          hnsw: { m: 16, efConstruction: 64 },
        },
        { paths: ['docs'], cwd: dir, prune: false },
      );
      if (capabilities.vector) {
        assert.equal(summary.skipped.find((k) => k.path.endsWith('rotation.md'))?.reason, 'embedding_failed');
        const kept = await retrieval.search({ query: 'restart the app', mode: 'bm25', limit: 1 });
        assert.ok(kept.hits[0]?.content.includes('restart the app'), 'old version still searchable');
      } else {
        assert.equal(summary.updated, 1, 'without pgvector nothing is embedded, so the update goes through');
      }
    });

    it(`says plainly which legs ran (${target.name === 'server' ? 'keyword-only: no pgvector' : 'hybrid'})`, async () => {
      const response = await retrieval.search({ query: 'staging password', limit: 3 });
      if (target.name === 'server' && !(await detectCapabilities(db)).vector) {
        assert.equal(retrieval.vectorLeg, 'off');
        assert.equal(response.vectorLeg, 'off');
        assert.equal(response.mode, 'bm25');
        assert.equal(response.notice, KEYWORD_ONLY_NOTICE);
        const vectorOnly = await retrieval.search({ query: 'staging password', mode: 'vector' });
        assert.equal(vectorOnly.mode, 'bm25', 'a vector-only request falls back to BM25 and says so');
        assert.equal(vectorOnly.notice, KEYWORD_ONLY_NOTICE);
        assert.ok(vectorOnly.hits.length > 0);
      } else {
        assert.equal(response.vectorLeg, 'on');
        assert.equal(response.mode, 'hybrid');
        assert.equal(response.notice, undefined);
        assert.ok(
          response.hits[0]!.legs.bm25 && response.hits[0]!.legs.vector,
          'the top hit has a rank in both legs',
        );
      }
      assert.ok(response.hits.length > 0);
    });

    // Embedded PGlite has no autovacuum: ingest vacuums the postings itself (migration 0006).
    it('leaves posting lists readable from the primary key alone', {
      skip: target.name !== 'embedded',
    }, async () => {
      write(dir, 'docs/many.md', `# Many\n\n${'Restart the payments worker. '.repeat(40)}\n`);
      const summary = await retrieval.ingest({ paths: ['docs'], cwd: dir, prune: false });
      assert.ok(summary.added + summary.updated > 0);
      await db.query('SET enable_seqscan = off');
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(
        "EXPLAIN (ANALYZE, COSTS OFF) SELECT chunk_id, tf, chunk_length FROM kb_postings WHERE term = 'worker'",
      );
      await db.query('RESET enable_seqscan');
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /Index Only Scan using kb_postings_pkey/, plan);
      assert.match(plan, /Heap Fetches: 0/, plan);
    });
  });
}
