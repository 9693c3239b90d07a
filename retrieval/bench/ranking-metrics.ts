/**
 * Standard ranked-retrieval metrics, as BEIR computes them (pytrec_eval): graded nDCG with
 * linear gains, recall as the fraction of relevant documents retrieved, and MRR.
 */

export type Judgements = ReadonlyMap<string, number>;

export function ndcgAt(ranked: readonly string[], judged: Judgements, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    const gain = judged.get(id) ?? 0;
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  });
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  ideal.slice(0, k).forEach((gain, i) => {
    idcg += gain / Math.log2(i + 2);
  });
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: readonly string[], judged: Judgements, k: number): number {
  const relevant = [...judged.entries()].filter(([, g]) => g > 0).map(([id]) => id);
  if (relevant.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return relevant.filter((id) => top.has(id)).length / relevant.length;
}

export function mrrAt(ranked: readonly string[], judged: Judgements, k: number): number {
  const index = ranked.slice(0, k).findIndex((id) => (judged.get(id) ?? 0) > 0);
  return index === -1 ? 0 : 1 / (index + 1);
}

/** Nearest-rank percentile of a list of numbers (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Ranked chunk results mapped to distinct document ids, best chunk first (a document counts once). */
export function distinctInOrder(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
