import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSyntheticCorpus } from '../../retrieval/bench/synthetic-corpus.ts';
import { deleteDocuments, foldTermStatistics, storeDocument } from '../../retrieval/ingest/store-document.ts';
import { type Bm25Params, chunkSearchText } from '../../retrieval/lexical/bm25-sql.ts';
import { scoreAllBm25, searchBm25 } from '../../retrieval/lexical/search-bm25.ts';
import {
  dropBm25Index,
  readBm25Index,
  rebuildBm25IndexIfStale,
  restoreBm25Index,
  withoutRepeatedWords,
} from '../../retrieval/lexical/search-bm25-indexed.ts';
import type { Database, Queryable } from '../../src/db/database.ts';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/db/migrate.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { databaseTargets } from '../support/test-database.ts';

/**
 * Where pg_textsearch is installed (embedded PGlite), its index proposes BM25 candidates and the
 * exact scores prove the ranking; the result must be the exact top k of scoring every chunk, also
 * once deleted chunks have made the index's own statistics stale. Where it is not (the test
 * server), the portable SQL ranks.
 */

const params: Bm25Params = { k1: 0.9, b: 0.4 };

async function store(db: Queryable, source: string, title: string, text: string): Promise<void> {
  await storeDocument(
    db,
    {
      source,
      title,
      link: undefined,
      format: 'text',
      contentHash: source,
      byteSize: text.length,
      chunks: [{ headingPath: [], content: text, startOffset: 0, endOffset: text.length, startLine: 1 }],
    },
    undefined,
  );
}

/** The pg_textsearch index's own top k (its scores, unverified). */
async function indexRanking(db: Database, query: string, k: number): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM kb_chunks ORDER BY search_text <@> to_bm25query($1::text, 'kb_chunks_bm25') LIMIT ${k}`,
    [query],
  );
  return rows.map((r) => Number(r.id));
}

async function assertExactTopK(db: Database, query: string, k: number, when: string) {
  const expected = (await scoreAllBm25(db, query, params)).slice(0, k);
  const { hits, route } = await searchBm25(db, query, { limit: k, params });
  assert.equal(hits.length, expected.length, `${when}: "${query}" top ${k} count (${route})`);
  hits.forEach((h, i) => {
    assert.ok(
      Math.abs(h.score - expected[i]!.score) < 1e-9,
      `${when}: "${query}" rank ${i + 1} score (${route})`,
    );
    const tiedBefore = i > 0 && Math.abs(expected[i - 1]!.score - expected[i]!.score) <= 1e-9;
    const tiedAfter =
      i + 1 < expected.length && Math.abs(expected[i + 1]!.score - expected[i]!.score) <= 1e-9;
    if (!tiedBefore && !tiedAfter) {
      assert.equal(h.chunkId, expected[i]!.chunkId, `${when}: "${query}" rank ${i + 1} chunk (${route})`);
    }
  });
  return route;
}

describe('withoutRepeatedWords', () => {
  it('drops a word the query already has, ignoring case and surrounding punctuation', () => {
    assert.equal(
      withoutRepeatedWords('ER stress and the response to ER stress, (Stress) markers'),
      'ER stress and the response to markers',
    );
    assert.equal(withoutRepeatedWords('  one two  '), ' one two ');
    assert.equal(withoutRepeatedWords('-- -- x'), '-- -- x');
  });
});

for (const target of databaseTargets()) {
  describe(`BM25 candidates from pg_textsearch on the ${target.name} database`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db?.close();
    });

    if (target.name !== 'embedded') {
      it('has no pg_textsearch index on a server without the extension, and ranks with SQL', async () => {
        assert.equal(await readBm25Index(db), undefined);
        await store(db, 'a', 'Passwords', 'Rotate the staging password monthly.');
        const { hits, route } = await searchBm25(db, 'staging password', { limit: 5, params });
        assert.equal(route, 'sql');
        assert.equal(hits.length, 1);
      });
      return;
    }

    it('proposes through the index and returns the exact top k, before and after deletes and updates', async () => {
      assert.deepEqual(await readBm25Index(db), { name: 'kb_chunks_bm25', k1: 0.9, b: 0.4 });
      const synthetic = generateSyntheticCorpus({ count: 400, seed: 11 });
      await db.transaction(async (tx) => {
        for (const d of synthetic) await store(tx, d.id, d.title, d.text);
      });
      await foldTermStatistics(db);
      const queries = synthetic.slice(0, 16).map((d) => {
        const words = d.text.split(' ');
        // Some queries repeat a word, as long claims often do.
        return [...words.slice(0, 6), words[1]].join(' ');
      });
      const routes: string[] = [];
      for (const q of queries) for (const k of [1, 10]) routes.push(await assertExactTopK(db, q, k, 'fresh'));
      const indexed = routes.filter((r) => r === 'pg_textsearch').length;
      assert.ok(indexed >= routes.length / 2, `the index proposed ${indexed} of ${routes.length} rankings`);

      // Deleted and replaced documents stay in the index's statistics; rankings must stay exact.
      await db.transaction((tx) =>
        deleteDocuments(
          tx,
          synthetic.slice(100, 160).map((d) => d.id),
        ),
      );
      for (const d of synthetic.slice(200, 230)) await store(db, d.id, d.title, `${d.text} ${d.text}`);
      for (const q of queries)
        for (const k of [1, 10]) await assertExactTopK(db, q, k, 'after deletes and updates');
      await foldTermStatistics(db);
      for (const q of queries) await assertExactTopK(db, q, 10, 'after the fold');
    });

    it('refuses a proposal the stale statistics got wrong and ranks exactly', async () => {
      // 60 chunks mention "beta" and are then deleted: the index still counts them, so it takes
      // "beta" for a common word and ranks ten alpha-heavy chunks, then lone-alpha ones, above the
      // eight live beta chunks, which the exact IDF (beta is rare now) puts first. Its fifteenth
      // candidate scores well below its tenth, so only the bound R stands between it and a wrong
      // answer (with R forced to 1 this test fails).
      const filler = 'lorem ipsum dolor sit amet';
      for (let i = 0; i < 40; i++) {
        const alphas = i < 10 ? 'alpha alpha alpha alpha' : 'alpha';
        await store(db, `alpha-${i}`, `Note ${i}`, `${alphas} ${filler}`);
      }
      for (let i = 0; i < 8; i++) await store(db, `beta-${i}`, `Memo ${i}`, `beta ${filler}`);
      for (let i = 0; i < 60; i++) await store(db, `gone-${i}`, `Gone ${i}`, `beta ${filler}`);
      await db.transaction((tx) =>
        deleteDocuments(
          tx,
          Array.from({ length: 60 }, (_, i) => `gone-${i}`),
        ),
      );
      await foldTermStatistics(db);
      const query = 'alpha beta';
      const exact = (await scoreAllBm25(db, query, params)).slice(0, 10).map((h) => h.chunkId);
      assert.notDeepEqual(await indexRanking(db, query, 10), exact, 'the index alone ranks differently');
      const route = await assertExactTopK(db, query, 10, 'stale index');
      assert.equal(route, 'sql', 'the proof failed and the portable SQL ranked');

      // Deleted chunks' entries now far pass a tenth of the live ones: the index is rebuilt, its
      // statistics are exact again, and it proposes again.
      assert.equal(await rebuildBm25IndexIfStale(db), true);
      assert.equal(await rebuildBm25IndexIfStale(db), false, 'nothing left to rebuild');
      // (The eight beta chunks first; the two alpha-heavy ones after them tie, in any order.)
      assert.deepEqual(
        (await indexRanking(db, query, 8)).sort(),
        exact.slice(0, 8).sort(),
        'rebuilt: beta first',
      );
      assert.equal(await assertExactTopK(db, 'alpha', 10, 'rebuilt index'), 'pg_textsearch');

      // A bulk load drops the index and builds it again; without it the portable SQL ranks.
      assert.equal(await dropBm25Index(db), true);
      assert.equal(await readBm25Index(db), undefined);
      assert.equal(await assertExactTopK(db, 'alpha', 10, 'no index'), 'sql');
      assert.equal(await restoreBm25Index(db), true);
      assert.equal(await restoreBm25Index(db), false, 'already there');
      assert.equal(await assertExactTopK(db, 'alpha', 10, 'restored index'), 'pg_textsearch');

      // Dropped behind the search's back (another process, an operator): no error, the portable
      // SQL ranks, and the index is used again once it is back.
      await db.exec('DROP INDEX kb_chunks_bm25');
      assert.equal(await assertExactTopK(db, 'alpha', 10, 'dropped elsewhere'), 'sql');
      assert.equal(await restoreBm25Index(db), true);
      assert.equal(await assertExactTopK(db, 'alpha', 10, 'back again'), 'pg_textsearch');
    });
  });
}

describe('migration 0007 on a knowledge base ingested before it', () => {
  it('fills each chunk search text and term counts from what its postings were made of', async () => {
    const old = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-0006-'));
    for (const file of readMigrations().filter((m) => m.id <= 6)) {
      fs.copyFileSync(path.join(defaultMigrationsDir, file.file), path.join(old, file.file));
    }
    const db = await openEmbeddedDatabase();
    try {
      await migrate(db, old);
      // What store-document wrote before 0007, for a chunk with a heading path and one without.
      const chunks = [
        {
          source: 'a.md',
          title: 'Runbook',
          heading: ['Runbook', 'Restarts'],
          content: 'Restart the worker, then restart the queue.',
        },
        {
          source: 'b.md',
          title: 'Passwords',
          heading: ['Rotation'],
          content: 'Rotate passwords monthly; passwords live in the vault.',
        },
      ];
      for (const c of chunks) {
        await db.query(
          `WITH doc AS (
             INSERT INTO kb_documents (source, title, format, content_hash, byte_size, chunk_count)
             VALUES ($1, $2, 'markdown', 'x', 1, 1) RETURNING id
           ), input AS (SELECT to_tsvector('english', $5::text) AS tsv), chunk AS (
             INSERT INTO kb_chunks (document_id, ordinal, heading_path, content, start_offset, end_offset, start_line, lexical_length, terms)
             SELECT doc.id, 0, $3::text[], $4, 0, 1, 1,
                    (SELECT sum(array_length(u.positions, 1)) FROM unnest(i.tsv) u), tsvector_to_array(i.tsv)
               FROM doc, input i RETURNING id, lexical_length
           )
           INSERT INTO kb_postings (term, chunk_id, tf, chunk_length)
           SELECT u.lexeme, c.id, array_length(u.positions, 1), c.lexical_length FROM chunk c, input i, unnest(i.tsv) u`,
          [c.source, c.title, c.heading, c.content, chunkSearchText(c.title, c.heading, c.content)],
        );
      }
      await migrate(db);
      const { rows } = await db.query<{ source: string; search_text: string; mismatched: number }>(
        `SELECT d.source, c.search_text,
                (SELECT count(*) FROM unnest(c.terms, c.term_counts) AS x(term, tf)
                  WHERE x.tf IS DISTINCT FROM (SELECT p.tf FROM kb_postings p WHERE p.term = x.term AND p.chunk_id = c.id)) AS mismatched
           FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id ORDER BY d.source`,
      );
      assert.deepEqual(
        rows.map((r) => [r.source, r.search_text, Number(r.mismatched)]),
        chunks.map((c) => [c.source, chunkSearchText(c.title, c.heading, c.content), 0]),
      );
      const { hits } = await searchBm25(db, 'restart the queue', { limit: 1, params });
      assert.equal(hits.length, 1);
    } finally {
      await db.close();
      fs.rmSync(old, { recursive: true, force: true });
    }
  });
});
