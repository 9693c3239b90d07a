import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuseReciprocalRank } from '../../retrieval/fusion/fuse-reciprocal-rank.ts';

describe('reciprocal rank fusion', () => {
  it('sums weight / (k + rank) over the legs and keeps each leg rank', () => {
    const fused = fuseReciprocalRank(
      [
        {
          name: 'bm25',
          weight: 1,
          hits: [
            { chunkId: 1, score: 9 },
            { chunkId: 2, score: 5 },
          ],
        },
        {
          name: 'vector',
          weight: 0.5,
          hits: [
            { chunkId: 2, score: 0.9 },
            { chunkId: 3, score: 0.8 },
          ],
        },
      ],
      60,
    );
    assert.deepEqual(
      fused.map((f) => f.chunkId),
      [2, 1, 3],
    );
    assert.ok(Math.abs(fused[0]!.score - (1 / 62 + 0.5 / 61)) < 1e-12);
    assert.deepEqual(fused[0]!.legs, { bm25: { rank: 2, score: 5 }, vector: { rank: 1, score: 0.9 } });
  });

  it('with a zero weight a leg only breaks ties', () => {
    const fused = fuseReciprocalRank(
      [
        {
          name: 'bm25',
          weight: 1,
          hits: [
            { chunkId: 1, score: 2 },
            { chunkId: 2, score: 1 },
          ],
        },
        { name: 'vector', weight: 0, hits: [{ chunkId: 2, score: 1 }] },
      ],
      60,
    );
    assert.deepEqual(
      fused.map((f) => f.chunkId),
      [1, 2],
    );
  });
});
