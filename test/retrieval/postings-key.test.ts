import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../../retrieval/bench/synthetic-corpus.ts';
import { createRetrieval, type Retrieval } from '../../retrieval/create-retrieval.ts';
import { DEFAULT_BM25_PARAMS } from '../../retrieval/lexical/bm25-sql.ts';
import { searchBm25 } from '../../retrieval/lexical/search-bm25.ts';
import { loadConfig } from '../../src/config.ts';
import { detectCapabilities } from '../../src/db/capabilities.ts';
import type { Database } from '../../src/db/database.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

const WORDS =
  'payments worker restart queue staging password vault rotate cluster incident deploy rollback'.split(' ');

/**
 * `files` Markdown files of about 1.2 KB, one chunk each: ingest estimates two chunks per file, so
 * 520 files are enough for its bulk path (see ingest-files.ts) even over 520 stored chunks.
 */
function writeRunbooks(dir: string, files: number, seed: number): void {
  const random = mulberry32(seed);
  const word = () => WORDS[Math.floor(random() * WORDS.length)]!;
  for (let f = 0; f < files; f++) {
    const paragraphs = Array.from({ length: 6 }, () => Array.from({ length: 25 }, word).join(' '));
    const body = paragraphs.map((p) => `${p}.`).join('\n\n');
    fs.writeFileSync(path.join(dir, `runbook-${f}.md`), `# Runbook ${f}\n\n${body}\n`);
  }
}

async function hasKey(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'kb_postings_pkey'",
  );
  return rows[0]!.n === 1;
}

describe("the postings' key around bulk loads", () => {
  let db: Database;
  let retrieval: Retrieval;
  let dir: string;
  const open = async () =>
    createRetrieval({ db, config: loadConfig({}).retrieval, capabilities: await detectCapabilities(db) });
  before(async () => {
    db = await createEmbeddedTestDatabase();
    retrieval = await open();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-postings-key-'));
  });
  after(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is dropped while a bulk load of new documents stores them and built again after', async () => {
    writeRunbooks(dir, 520, 1);
    let during: Promise<boolean> | undefined;
    const summary = await retrieval.ingest({
      paths: [dir],
      cwd: dir,
      prune: false,
      onProgress: ({ done }) => {
        // Runs between two batches: the load is under way.
        if (done === 100) during ??= hasKey(db);
      },
    });
    assert.equal(summary.added, 520);
    assert.ok(await hasKey(db));
    // The postings are complete: as many as the chunks' distinct terms, each found through the key.
    const { rows } = await db.query<{ postings: number; terms: number }>(
      `SELECT (SELECT count(*)::int FROM kb_postings) AS postings,
              (SELECT sum(cardinality(terms))::int FROM kb_chunks) AS terms`,
    );
    assert.equal(rows[0]!.postings, rows[0]!.terms);
    const portable = await searchBm25(db, 'rollback vault', {
      limit: 5,
      params: DEFAULT_BM25_PARAMS,
      portableOnly: true,
    });
    assert.equal(portable.route, 'sql');
    assert.equal(portable.hits.length, 5);
    assert.equal(await during, false, 'dropped during the load');
  });

  it('stays while a bulk load replaces stored documents', async () => {
    const oids = async () =>
      (
        await db.query<{ relname: string; oid: number }>(
          "SELECT relname, oid::int AS oid FROM pg_class WHERE relname IN ('kb_postings_pkey', 'kb_embeddings_hnsw')",
        )
      ).rows;
    const before = new Map((await oids()).map((r) => [r.relname, r.oid]));
    writeRunbooks(dir, 520, 2); // every file changes: bulk-sized, but each replaces a stored one
    const summary = await retrieval.ingest({ paths: [dir], cwd: dir, prune: false });
    assert.equal(summary.updated, 520);
    const now = new Map((await oids()).map((r) => [r.relname, r.oid]));
    assert.notEqual(
      now.get('kb_embeddings_hnsw'),
      before.get('kb_embeddings_hnsw'),
      'a bulk load: HNSW rebuilt',
    );
    assert.equal(now.get('kb_postings_pkey'), before.get('kb_postings_pkey'), 'the same key: never dropped');
  });

  it('is built again when retrieval starts after a load that died with it dropped', async () => {
    await db.exec('ALTER TABLE kb_postings DROP CONSTRAINT kb_postings_pkey');
    assert.equal(await hasKey(db), false);
    await open();
    assert.ok(await hasKey(db));
  });
});
