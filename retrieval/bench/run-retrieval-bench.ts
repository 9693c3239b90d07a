import type { RetrievalConfig } from '../../src/config.ts';
import { migrate } from '../../src/db/migrate.ts';
import { openEmbeddedDatabase } from '../../src/db/pglite-database.ts';
import { createEmbedder } from '../embeddings/create-embedder.ts';
import { ensureEmbeddingSpace, spaceOf } from '../embeddings/embedding-store.ts';
import { fuseReciprocalRank } from '../fusion/fuse-reciprocal-rank.ts';
import { searchBm25 } from '../lexical/search-bm25.ts';
import { searchVectors } from '../vector/search-vectors.ts';
import { loadBeirDataset } from './beir-dataset.ts';
import { loadCorpus } from './load-corpus.ts';
import { distinctInOrder, mrrAt, ndcgAt, percentile, recallAt } from './ranking-metrics.ts';
import { preparePgTextsearch, prepareTsRankCd } from './reference-rankers.ts';

/**
 * `sluice bench retrieval`: loads a BEIR dataset into a scratch in-memory PGlite database, runs
 * every judged query through each ranker and reports quality and latency. Documents are indexed
 * whole (one chunk each, as BEIR scores documents) unless `chunkChars` says otherwise.
 */

export interface MethodResult {
  'ndcg@10': number;
  'recall@100': number;
  'mrr@10': number;
  p50_ms: number;
  p95_ms: number;
}

export interface RetrievalBenchReport {
  dataset: string;
  split: string;
  queries: number;
  results: Partial<Record<'bm25' | 'vector' | 'hybrid' | 'ts_rank_cd' | 'pg_textsearch', MethodResult>>;
  ingest: { chunks: number; chunks_per_s: number };
}

export interface BenchOptions {
  dataset: string;
  split: string;
  settings: RetrievalConfig;
  chunkChars?: number;
  /** Run only the first N queries (smoke runs). */
  maxQueries?: number;
  onProgress?: (message: string) => void;
}

const DEPTH = 100;

export async function runRetrievalBench(options: BenchOptions): Promise<RetrievalBenchReport> {
  const data = await loadBeirDataset(options.dataset, options.split);
  const queries = options.maxQueries ? data.queries.slice(0, options.maxQueries) : data.queries;
  const db = await openEmbeddedDatabase();
  try {
    await migrate(db);
    const { settings } = options;
    const embedder = createEmbedder(settings.embeddings);
    await ensureEmbeddingSpace(db, spaceOf(embedder), settings.hnsw);
    options.onProgress?.(`loading ${data.corpus.length} documents`);
    const load = await loadCorpus(db, data.corpus, {
      embedder,
      maxChars: options.chunkChars ?? 20_000,
      hnsw: settings.hnsw,
      onProgress: (n) => options.onProgress?.(`loaded ${n} documents`),
    });
    const docIds = (chunkIds: number[]) => distinctInOrder(chunkIds.map((id) => load.documentOf.get(id)!));

    const methods: Record<string, (q: string) => Promise<string[]>> = {
      bm25: async (q) =>
        docIds((await searchBm25(db, q, { limit: DEPTH, params: settings.bm25 })).hits.map((h) => h.chunkId)),
      vector: async (q) => {
        const [v] = await embedder.embed([q], 'query');
        return docIds(
          (await searchVectors(db, v!, { limit: DEPTH, efSearch: settings.hnsw.efSearch })).map(
            (h) => h.chunkId,
          ),
        );
      },
      hybrid: async (q) => {
        const [v] = await embedder.embed([q], 'query');
        const bm25 = (await searchBm25(db, q, { limit: DEPTH, params: settings.bm25 })).hits;
        const vector = await searchVectors(db, v!, { limit: DEPTH, efSearch: settings.hnsw.efSearch });
        const fused = fuseReciprocalRank(
          [
            { name: 'bm25', weight: settings.fusion.bm25Weight, hits: bm25 },
            { name: 'vector', weight: settings.fusion.vectorWeight, hits: vector },
          ],
          settings.fusion.k,
        );
        return docIds(fused.slice(0, DEPTH).map((h) => h.chunkId));
      },
    };
    options.onProgress?.('indexing for ts_rank_cd and pg_textsearch');
    const tsRank = await prepareTsRankCd(db);
    methods.ts_rank_cd = async (q) => docIds(await tsRank(q, DEPTH));
    const pgTextsearch = await preparePgTextsearch(db, settings.bm25);
    if (pgTextsearch) methods.pg_textsearch = async (q) => docIds(await pgTextsearch(q, DEPTH));

    const results: RetrievalBenchReport['results'] = {};
    for (const [name, rank] of Object.entries(methods)) {
      options.onProgress?.(`running ${queries.length} queries: ${name}`);
      const ndcg: number[] = [];
      const recall: number[] = [];
      const mrr: number[] = [];
      const latency: number[] = [];
      for (const q of queries) {
        const t = performance.now();
        const ranked = await rank(q.text);
        latency.push(performance.now() - t);
        const judged = data.qrels.get(q.id)!;
        ndcg.push(ndcgAt(ranked, judged, 10));
        recall.push(recallAt(ranked, judged, 100));
        mrr.push(mrrAt(ranked, judged, 10));
      }
      results[name as keyof RetrievalBenchReport['results']] = {
        'ndcg@10': round(mean(ndcg), 4),
        'recall@100': round(mean(recall), 4),
        'mrr@10': round(mean(mrr), 4),
        p50_ms: round(percentile(latency, 50), 2),
        p95_ms: round(percentile(latency, 95), 2),
      };
    }
    return {
      dataset: data.name,
      split: options.split,
      queries: queries.length,
      results,
      ingest: { chunks: load.chunks, chunks_per_s: round(load.chunksPerSecond, 1) },
    };
  } finally {
    await db.close();
  }
}

function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
