import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { createLocalEmbedder } from '../../retrieval/embeddings/local-embedder.ts';

/**
 * The local embedder's output is pinned bit for bit: stored vectors, the HNSW graph and the hybrid
 * scores on SciFact all depend on it, so making it faster must not change a single bit. The
 * digests were taken from the first implementation (a Map of bucket counts and string n-grams).
 */

const texts = [
  'Rotate the staging password',
  'Crème brûlée à la Ｆｕｌｌｗｉｄｔｈ, naïve café — 東京 2024年, Ελληνικά ΣΊΣΥΦΟΣ',
  'x',
  '',
  'IL-6 and IL-1β were lower (P < 0.001); 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 ﬁne ligatures',
  'a'.repeat(3000),
];

const digests = [
  'ad2415cab5ebbf89',
  '7267ab023b87c1eb',
  'da5a0f71d3510273',
  '5f70bf18a0860070',
  '29e77617086c881d',
  'd4bc774003a83de5',
];

function digest(vector: Float32Array): string {
  return createHash('sha256')
    .update(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength))
    .digest('hex')
    .slice(0, 16);
}

describe('the local embedder', () => {
  it('gives the same vectors, bit for bit, as the first implementation', async () => {
    const vectors = await createLocalEmbedder().embed(texts, 'document');
    assert.deepEqual(vectors.map(digest), digests);
  });

  it('keeps a few values exactly', async () => {
    const [rotate, accents, x, empty, mixed, long] = await createLocalEmbedder().embed(texts, 'document');
    assert.equal(rotate![24], Math.fround(0.19328485429286957));
    assert.equal(accents![6], Math.fround(-0.2100696563720703));
    assert.equal(accents![9], Math.fround(0.12288286536931992));
    assert.equal(x![148], 1);
    assert.ok(
      empty!.every((v) => v === 0),
      'no words, no features: the zero vector',
    );
    assert.equal(mixed![1], Math.fround(-0.3481588661670685));
    assert.equal(long![185], Math.fround(0.9925186038017273));
  });

  it('embeds texts independently of the batch they come in', async () => {
    const embedder = createLocalEmbedder();
    const together = await embedder.embed(texts, 'document');
    const alone = await Promise.all(texts.map(async (t) => (await embedder.embed([t], 'query'))[0]!));
    assert.deepEqual(together.map(digest), alone.map(digest));
  });
});
