import type { RetrievalConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { describeError } from '../../src/errors.ts';
import { type ChunkWithCitation, type Citation, loadCitations } from '../citations/load-citations.ts';
import type { EmbeddingProvider } from '../embeddings/embedding-provider.ts';
import {
  type FusedHit,
  fuseReciprocalRank,
  type LegName,
  type LegRank,
  type RankedLeg,
} from '../fusion/fuse-reciprocal-rank.ts';
import { searchBm25 } from '../lexical/search-bm25.ts';
import { searchVectors } from '../vector/search-vectors.ts';

/**
 * The search the agent calls: BM25 and vector legs, fused by reciprocal rank, each hit with its
 * rank and score in each leg and a citation. Where the vector leg cannot run (no pgvector, the
 * stored vectors come from another model, the embeddings API is down) search says so in
 * `notice` and answers from BM25 alone rather than failing.
 */

export type SearchMode = 'bm25' | 'vector' | 'hybrid';

export interface SearchRequest {
  query: string;
  /** Default: hybrid (bm25 when the vector leg is off). */
  mode?: SearchMode;
  /** Hits to return; default 8. */
  limit?: number;
}

export interface SearchHit {
  /** 1-based position in this result. */
  rank: number;
  chunkId: number;
  documentId: number;
  /** Fused RRF score in hybrid mode, else the leg's own score. */
  score: number;
  legs: Partial<Record<LegName, LegRank>>;
  content: string;
  citation: Citation;
}

export interface SearchResponse {
  query: string;
  requestedMode: SearchMode;
  /** What actually ran. */
  mode: SearchMode;
  vectorLeg: 'on' | 'off';
  /** Why the vector leg is off or the mode changed, for people (CLI, App Home, replies). */
  notice: string | undefined;
  hits: SearchHit[];
  timings: { bm25Ms?: number; vectorMs?: number; totalMs: number };
}

export interface VectorLeg {
  embedder: EmbeddingProvider;
}

export interface KnowledgeSearchDeps {
  db: Database;
  settings: Pick<RetrievalConfig, 'bm25' | 'hnsw' | 'fusion'>;
  /** Undefined: keyword-only, with `vectorOffReason` as the notice. */
  vector: VectorLeg | undefined;
  vectorOffReason?: string;
}

export interface KnowledgeSearch {
  search(request: SearchRequest): Promise<SearchResponse>;
}

export const DEFAULT_SEARCH_LIMIT = 8;
/** Each leg contributes at least this many candidates to the fusion. */
const MIN_LEG_DEPTH = 50;

export function createKnowledgeSearch(deps: KnowledgeSearchDeps): KnowledgeSearch {
  return {
    async search(request) {
      const started = performance.now();
      const limit = Math.max(1, Math.min(200, Math.floor(request.limit ?? DEFAULT_SEARCH_LIMIT)));
      const requestedMode = request.mode ?? 'hybrid';
      let notice = deps.vector ? undefined : deps.vectorOffReason;
      let mode: SearchMode = deps.vector ? requestedMode : 'bm25';
      const timings: SearchResponse['timings'] = { totalMs: 0 };
      const depth = mode === 'hybrid' ? Math.max(limit, MIN_LEG_DEPTH) : limit;

      let vectorHits: { chunkId: number; score: number }[] | undefined;
      if (deps.vector && mode !== 'bm25') {
        const t = performance.now();
        try {
          const [queryVector] = await deps.vector.embedder.embed([request.query], 'query');
          vectorHits =
            queryVector && hasLength(queryVector)
              ? await searchVectors(deps.db, queryVector, {
                  limit: depth,
                  efSearch: deps.settings.hnsw.efSearch,
                })
              : [];
        } catch (error) {
          notice = `vector leg failed (${describeError(error)}); answered from BM25 alone`;
          mode = 'bm25';
        }
        timings.vectorMs = performance.now() - t;
      }
      let bm25Hits: { chunkId: number; score: number }[] | undefined;
      if (mode !== 'vector') {
        const t = performance.now();
        bm25Hits = (
          await searchBm25(deps.db, request.query, {
            limit: mode === 'bm25' ? limit : depth,
            params: deps.settings.bm25,
          })
        ).hits;
        timings.bm25Ms = performance.now() - t;
      }

      const legs: RankedLeg[] = [];
      if (bm25Hits) legs.push({ name: 'bm25', weight: deps.settings.fusion.bm25Weight, hits: bm25Hits });
      if (vectorHits && mode !== 'bm25')
        legs.push({ name: 'vector', weight: deps.settings.fusion.vectorWeight, hits: vectorHits });
      const fused = fuseReciprocalRank(legs, deps.settings.fusion.k).slice(0, limit);
      if (mode !== 'hybrid') for (const f of fused) f.score = Object.values(f.legs)[0]!.score;
      const chunks = await loadCitations(
        deps.db,
        fused.map((f) => f.chunkId),
        request.query,
      );
      timings.totalMs = performance.now() - started;
      return {
        query: request.query,
        requestedMode,
        mode,
        vectorLeg: deps.vector ? 'on' : 'off',
        notice,
        hits: toHits(fused, chunks),
        timings,
      };
    },
  };
}

function toHits(fused: FusedHit[], chunks: Map<number, ChunkWithCitation>): SearchHit[] {
  const hits: SearchHit[] = [];
  for (const f of fused) {
    const c = chunks.get(f.chunkId);
    // A chunk deleted between ranking and loading is simply left out.
    if (!c) continue;
    hits.push({
      rank: hits.length + 1,
      chunkId: f.chunkId,
      documentId: c.documentId,
      score: f.score,
      legs: f.legs,
      content: c.content,
      citation: c.citation,
    });
  }
  return hits;
}

function hasLength(v: Float32Array): boolean {
  for (const x of v) if (x !== 0) return true;
  return false;
}
