import type { RetrievalHit } from '../llm/types.ts';

/** What the retrieval step stores on the run: small enough to keep, enough to cite. */
export interface RetrievedPassages {
  query: string;
  mode: string;
  notice: string | undefined;
  hits: RetrievalHit[];
}

/** The part of the retrieval subsystem the pipeline uses. */
export interface PassageSearch {
  search(request: { query: string; limit?: number }): Promise<{
    mode: string;
    notice: string | undefined;
    hits: {
      chunkId: number;
      content: string;
      legs: { bm25?: { rank: number; score: number }; vector?: { rank: number; score: number } };
      citation: {
        source: string;
        title?: string;
        headingPath?: string[];
        heading?: string;
        link?: string | null;
      };
    }[];
  }>;
}

const MAX_PASSAGE_CHARS = 2_000;
const PASSAGES = 8;
/**
 * Vector search always returns its nearest chunks, however far they are. A passage counts as
 * evidence when a query term matched it (BM25) or its embedding is close (cosine similarity at
 * least this); otherwise Sluice says it does not know rather than quote something unrelated.
 */
export const MIN_VECTOR_SIMILARITY = 0.5;

export async function retrievePassages(search: PassageSearch, query: string): Promise<RetrievedPassages> {
  const response = await search.search({ query, limit: PASSAGES });
  return {
    query,
    mode: response.mode,
    notice: response.notice,
    hits: response.hits
      .filter((h) => h.legs.bm25 !== undefined || (h.legs.vector?.score ?? 0) >= MIN_VECTOR_SIMILARITY)
      .map((h) => {
        const heading = h.citation.heading ?? h.citation.headingPath?.join(' › ');
        return {
          chunkId: String(h.chunkId),
          source: h.citation.source,
          text: h.content.slice(0, MAX_PASSAGE_CHARS),
          ...(heading ? { heading } : {}),
          ...(h.citation.link ? { link: h.citation.link } : {}),
        };
      }),
  };
}
