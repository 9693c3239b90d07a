import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateSyntheticCorpus } from '../../retrieval/bench/synthetic-corpus.ts';
import { deleteDocuments, foldTermStatistics, storeDocument } from '../../retrieval/ingest/store-document.ts';
import { type Bm25Params, chunkSearchText, idf, termScore } from '../../retrieval/lexical/bm25-sql.ts';
import { scoreAllBm25, searchBm25 } from '../../retrieval/lexical/search-bm25.ts';
import type { Database, Queryable } from '../../src/db/database.ts';
import { databaseTargets } from '../support/test-database.ts';

/**
 * BM25 computed by brute force in TypeScript (terms from Postgres's own `english` parser, every
 * statistic recomputed from scratch) must match the SQL scores, before and after updates and
 * deletes; and the pruned top-k must be the top-k of scoring every chunk.
 */

const params: Bm25Params = { k1: 0.9, b: 0.4 };

const docs: Record<string, { title: string; text: string }> = {
  'a.md': {
    title: 'Rotating credentials',
    text: 'Rotate the staging database password every month. Rotation is logged.',
  },
  'b.md': { title: 'Staging', text: 'The staging cluster runs the payments worker and the billing worker.' },
  'c.md': {
    title: 'Payments',
    text: 'Restart the payments worker when the queue backs up. Payments are retried.',
  },
  'd.md': { title: 'Incidents', text: 'During an incident, pause the bot and page the on-call engineer.' },
  'e.md': {
    title: 'Passwords',
    text: 'Passwords live in the vault; never paste a password in Slack. Password password.',
  },
  'f.md': {
    title: 'Workers',
    text: 'Workers claim jobs with row locks. A worker that dies leaves its job claimable.',
  },
};

const queries = [
  'how do I rotate the staging database password?',
  'restart payments worker',
  'password vault slack',
  'incident on-call',
  'jobs claimed by workers with locks',
  'nothing matches zebra',
];

type Terms = Map<string, number>;

async function termsOf(db: Queryable, text: string): Promise<Terms> {
  const { rows } = await db.query<{ lexeme: string; tf: number }>(
    "SELECT lexeme, array_length(positions, 1) AS tf FROM unnest(to_tsvector('english', $1::text))",
    [text],
  );
  return new Map(rows.map((r) => [r.lexeme, Number(r.tf)]));
}

/** Every chunk's score for `query`, from scratch, keyed by source. */
async function bruteForce(
  db: Queryable,
  corpus: Record<string, { title: string; text: string }>,
  query: string,
) {
  const chunks = await Promise.all(
    Object.entries(corpus).map(async ([source, d]) => ({
      source,
      terms: await termsOf(db, chunkSearchText(d.title, [], d.text)),
    })),
  );
  const n = chunks.length;
  const lengths = chunks.map((c) => [...c.terms.values()].reduce((a, b) => a + b, 0));
  const avg = lengths.reduce((a, b) => a + b, 0) / n;
  const queryTerms = [...(await termsOf(db, query)).keys()];
  const scores = new Map<string, number>();
  chunks.forEach((c, i) => {
    let score = 0;
    let matched = false;
    for (const t of queryTerms) {
      const tf = c.terms.get(t);
      if (!tf) continue;
      matched = true;
      const df = chunks.filter((x) => x.terms.has(t)).length;
      score += termScore(idf(n, df), tf, lengths[i]!, avg, params);
    }
    if (matched) scores.set(c.source, score);
  });
  return scores;
}

async function store(db: Database, source: string, d: { title: string; text: string }) {
  await db.transaction((tx) =>
    storeDocument(
      tx,
      {
        source,
        title: d.title,
        link: undefined,
        format: 'markdown',
        contentHash: source,
        byteSize: d.text.length,
        chunks: [
          { headingPath: [], content: d.text, startOffset: 0, endOffset: d.text.length, startLine: 1 },
        ],
      },
      undefined,
    ),
  );
}

async function sqlScores(db: Database, query: string): Promise<Map<string, number>> {
  const hits = await scoreAllBm25(db, query, params);
  const { rows } = await db.query<{ id: number; source: string }>(
    'SELECT c.id, d.source FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id',
  );
  const sourceOf = new Map(rows.map((r) => [Number(r.id), r.source]));
  return new Map(hits.map((h) => [sourceOf.get(h.chunkId)!, h.score]));
}

async function assertMatches(
  db: Database,
  corpus: Record<string, { title: string; text: string }>,
  when: string,
) {
  for (const q of queries) {
    const expected = await bruteForce(db, corpus, q);
    const actual = await sqlScores(db, q);
    assert.deepEqual(
      [...actual.keys()].sort(),
      [...expected.keys()].sort(),
      `${when}: matched chunks for "${q}"`,
    );
    for (const [source, score] of expected) {
      const got = actual.get(source)!;
      assert.ok(
        Math.abs(got - score) < 1e-6,
        `${when}: "${q}" on ${source}: SQL ${got} vs brute force ${score}`,
      );
    }
  }
}

for (const target of databaseTargets()) {
  describe(`BM25 on the ${target.name} database`, () => {
    let db: Database;
    before(async () => {
      db = await target.create();
    });
    after(async () => {
      await db?.close();
    });

    it('matches brute force to 1e-6 after inserts, updates and deletes, folded or not', async () => {
      const corpus = { ...docs };
      for (const [source, d] of Object.entries(corpus)) await store(db, source, d);
      await assertMatches(db, corpus, 'after inserts, before the fold');
      await foldTermStatistics(db);
      await assertMatches(db, corpus, 'after inserts, folded');

      corpus['b.md'] = {
        title: 'Staging',
        text: 'Staging now runs only the billing worker; the password rotates weekly.',
      };
      await store(db, 'b.md', corpus['b.md']);
      await assertMatches(db, corpus, 'after an update of a folded document');

      await db.transaction((tx) => deleteDocuments(tx, ['c.md']));
      delete corpus['c.md'];
      await assertMatches(db, corpus, 'after a delete of a folded document');

      corpus['g.md'] = {
        title: 'Payments again',
        text: 'The payments worker restarts itself after a crash.',
      };
      await store(db, 'g.md', corpus['g.md']);
      await db.transaction((tx) => deleteDocuments(tx, ['g.md']));
      delete corpus['g.md'];
      await assertMatches(db, corpus, 'after deleting a document that was never folded');
      await foldTermStatistics(db);
      await assertMatches(db, corpus, 'after the second fold');

      const { rows } = await db.query<{ chunk_count: number }>('SELECT chunk_count FROM kb_corpus');
      assert.equal(Number(rows[0]!.chunk_count), Object.keys(corpus).length);
    });

    it('returns the exact top-k of scoring every chunk, with pruning forced', async () => {
      const synthetic = generateSyntheticCorpus({ count: 300, seed: 3 });
      await db.transaction(async (tx) => {
        for (const d of synthetic) {
          await storeDocument(
            tx,
            {
              source: d.id,
              title: d.title,
              link: undefined,
              format: 'text',
              contentHash: d.id,
              byteSize: d.text.length,
              chunks: [
                { headingPath: [], content: d.text, startOffset: 0, endOffset: d.text.length, startLine: 1 },
              ],
            },
            undefined,
          );
        }
      });
      await foldTermStatistics(db);
      // Queries made of words from the corpus: a few rare, some common.
      const words = synthetic.slice(0, 12).map((d) => d.text.split(' ').slice(0, 8).join(' '));
      let pruned = 0;
      for (const query of words) {
        const all = await scoreAllBm25(db, query, params);
        for (const k of [1, 5, 10]) {
          // A tiny seed budget forces the pruned path (seed pass, threshold, essential terms).
          const { hits } = await searchBm25(db, query, {
            limit: k,
            params,
            seedPostings: 1,
            portableOnly: true,
          });
          const expected = all.slice(0, k);
          assert.equal(hits.length, expected.length, `"${query}" top ${k}: count`);
          hits.forEach((h, i) => {
            assert.ok(
              Math.abs(h.score - expected[i]!.score) < 1e-9,
              `"${query}" top ${k}, rank ${i + 1}: score`,
            );
            // Equal ids unless two chunks tie exactly (then either order is the same ranking).
            if (
              Math.abs(expected[i]!.score - (expected[i + 1]?.score ?? -1)) > 1e-9 &&
              i > 0 &&
              Math.abs(expected[i - 1]!.score - expected[i]!.score) > 1e-9
            ) {
              assert.equal(h.chunkId, expected[i]!.chunkId, `"${query}" top ${k}, rank ${i + 1}: chunk`);
            }
          });
          if (all.length > k) pruned++;
        }
      }
      assert.ok(pruned > 10, 'the corpus was large enough for pruning to matter');
    });
  });
}
