/**
 * Reciprocal rank fusion (Cormack et al., 2009): a chunk's fused score is the sum over legs of
 * weight / (k + rank). Ranks, not scores, are combined, so BM25's unbounded scores and cosine
 * similarities never need calibrating against each other. k = 60 is the paper's value.
 */

export type LegName = 'bm25' | 'vector';

export interface LegRank {
  /** 1-based rank within the leg. */
  rank: number;
  score: number;
}

export interface RankedLeg {
  name: LegName;
  weight: number;
  hits: readonly { chunkId: number; score: number }[];
}

export interface FusedHit {
  chunkId: number;
  score: number;
  legs: Partial<Record<LegName, LegRank>>;
}

export function fuseReciprocalRank(legs: readonly RankedLeg[], k = 60): FusedHit[] {
  const fused = new Map<number, FusedHit>();
  for (const leg of legs) {
    leg.hits.forEach((hit, index) => {
      const rank = index + 1;
      const entry = fused.get(hit.chunkId) ?? { chunkId: hit.chunkId, score: 0, legs: {} };
      entry.score += leg.weight / (k + rank);
      entry.legs[leg.name] = { rank, score: hit.score };
      fused.set(hit.chunkId, entry);
    });
  }
  const bestRank = (h: FusedHit) => Math.min(...Object.values(h.legs).map((l) => l.rank));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || bestRank(a) - bestRank(b) || a.chunkId - b.chunkId,
  );
}
