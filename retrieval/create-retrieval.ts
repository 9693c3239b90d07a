import type { RetrievalConfig } from '../src/config.ts';
import type { Capabilities } from '../src/db/capabilities.ts';
import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
import { createEmbedder } from './embeddings/create-embedder.ts';
import type { EmbeddingProvider } from './embeddings/embedding-provider.ts';
import {
  ensureEmbeddingSpace,
  mismatchError,
  readEmbeddingSpace,
  spaceOf,
} from './embeddings/embedding-store.ts';
import type { PostJsonDeps } from './embeddings/post-json-with-retry.ts';
import { type IngestRequest, type IngestSummary, ingestFiles } from './ingest/ingest-files.ts';
import { type ReindexResult, reindexKnowledgeBase } from './ingest/reindex-knowledge-base.ts';
import { restorePostingsKey } from './lexical/postings-key.ts';
import {
  createKnowledgeSearch,
  type SearchRequest,
  type SearchResponse,
} from './search/search-knowledge-base.ts';

/**
 * The retrieval subsystem as one object: what the agent (search), the CLI (ingest, search,
 * reindex) and the job workers use. Built from the configuration and an open, migrated database.
 */
export interface Retrieval {
  search(request: SearchRequest): Promise<SearchResponse>;
  ingest(request: IngestRequest): Promise<IngestSummary>;
  reindex(onProgress?: (done: number, total: number) => void): Promise<ReindexResult>;
  /** 'off' where pgvector is missing or the stored vectors belong to another model. */
  readonly vectorLeg: 'on' | 'off';
  /** Why the vector leg is off, in words for an operator. */
  readonly vectorNotice: string | undefined;
}

export interface RetrievalDeps {
  db: Database;
  config: RetrievalConfig;
  capabilities: Pick<Capabilities, 'vector'>;
  logger?: Logger;
  /** Injected fetch/sleep for the HTTP embedding providers (tests). */
  http?: PostJsonDeps;
}

export const KEYWORD_ONLY_NOTICE =
  'pgvector is not installed in this database: keyword-only retrieval (BM25). Install pgvector 0.5+ for hybrid search.';

export async function createRetrieval(deps: RetrievalDeps): Promise<Retrieval> {
  const { db, config } = deps;
  // A bulk load that died half-way left the postings' key dropped (postings-key.ts).
  await restorePostingsKey(db);
  const embedder = createEmbedder(config.embeddings, deps.http);
  let vectorEmbedder: EmbeddingProvider | undefined;
  let notice: string | undefined;
  if (!deps.capabilities.vector) notice = KEYWORD_ONLY_NOTICE;
  else if (await ensureEmbeddingSpace(db, spaceOf(embedder), config.hnsw)) vectorEmbedder = embedder;
  else {
    const stored = await readEmbeddingSpace(db);
    notice = `vector leg off: ${mismatchError(stored!, spaceOf(embedder)).message}`;
  }
  const searcher = createKnowledgeSearch({
    db,
    settings: config,
    vector: vectorEmbedder ? { embedder: vectorEmbedder } : undefined,
    vectorOffReason: notice,
  });
  return {
    vectorLeg: vectorEmbedder ? 'on' : 'off',
    vectorNotice: notice,
    search: (request) => searcher.search(request),
    async ingest(request) {
      if (deps.capabilities.vector && !vectorEmbedder) {
        // Mixing vectors of two models would make the vector leg meaningless: refuse, say the fix.
        throw mismatchError((await readEmbeddingSpace(db))!, spaceOf(embedder));
      }
      return ingestFiles(
        {
          db,
          embedder: vectorEmbedder,
          chunking: { ...config.chunking, markdown: true },
          hnsw: config.hnsw,
          logger: deps.logger,
        },
        request,
      );
    },
    reindex: (onProgress) =>
      reindexKnowledgeBase(db, deps.capabilities.vector ? embedder : undefined, config.hnsw, onProgress),
  };
}
