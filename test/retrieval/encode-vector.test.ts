import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mulberry32 } from '../../retrieval/bench/synthetic-corpus.ts';
import { decodeVectorSql, encodeVector, vectorLiteral } from '../../retrieval/embeddings/embedding-store.ts';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';
import type { Database } from '../../src/db/database.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

/**
 * Vectors travel to the database as scaled integers (see encodeVector); what is stored must be
 * exactly what the text form stored before, or retrieval scores would move.
 */

function randomVectors(count: number, dimension: number, spread: number): Float32Array[] {
  const random = mulberry32(7);
  return Array.from({ length: count }, () =>
    Float32Array.from({ length: dimension }, () => {
      const r = random();
      if (r < 0.2) return 0;
      return (random() < 0.5 ? -1 : 1) * (0.5 + random() / 2) * 2 ** -Math.floor(random() * spread);
    }),
  );
}

describe('vectors sent as scaled integers', () => {
  let db: Database;
  before(async () => {
    db = await createEmbeddedTestDatabase();
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  });
  after(async () => {
    await db?.close();
  });

  async function mismatches(vectors: Float32Array[]): Promise<number> {
    const encoded = vectors.map(encodeVector);
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE ${decodeVectorSql('e.ints', 'e.shift', 'e.literal')}::text <> e.text::vector::text
                                 OR ${decodeVectorSql('e.ints', 'e.shift', 'e.literal')} <> e.text::vector) AS n
         FROM (SELECT u.ints::int4[] AS ints, u.shift, u.literal, u.text
                 FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) AS u(ints, shift, literal, text)) e`,
      [
        encoded.map((v) => v.ints),
        encoded.map((v) => v.shift),
        encoded.map((v) => v.literal),
        vectors.map(vectorLiteral),
      ],
    );
    return Number(rows[0]!.n);
  }

  it("stores the local embedder's vectors exactly as their text form does", async () => {
    const words = 'rotate staging password payments worker restart queue depth vault cluster'.split(' ');
    const random = mulberry32(3);
    const texts = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 1 + (i % 40) }, () => words[Math.floor(random() * words.length)]).join(' '),
    );
    const vectors = await createLocalEmbedder().embed([...texts, '', 'x', 'a'.repeat(3000)], 'document');
    assert.ok(
      vectors.some((v) => encodeVector(v).ints !== null),
      'most go as integers',
    );
    assert.equal(await mismatches(vectors), 0);
  });

  it('falls back to text where one scale cannot hold every value, still exactly', async () => {
    const narrow = randomVectors(200, 64, 6);
    const wide = randomVectors(200, 64, 40);
    assert.ok(narrow.every((v) => encodeVector(v).ints !== null));
    assert.ok(wide.some((v) => encodeVector(v).literal !== null));
    assert.equal(await mismatches([...narrow, ...wide]), 0);
  });
});
