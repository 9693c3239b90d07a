import type { EmbeddingsConfig } from '../../src/config.ts';
import type { EmbeddingProvider } from './embedding-provider.ts';
import { createLocalEmbedder } from './local-embedder.ts';
import { createOpenAiCompatibleEmbedder } from './openai-compatible-embedder.ts';
import type { PostJsonDeps } from './post-json-with-retry.ts';
import { createVoyageEmbedder } from './voyage-embedder.ts';

/** The configured provider; `deps` lets tests point the HTTP ones at a local double. */
export function createEmbedder(config: EmbeddingsConfig, deps: PostJsonDeps = {}): EmbeddingProvider {
  switch (config.provider) {
    case 'local':
      return createLocalEmbedder({ dimension: config.dimension });
    case 'voyage':
      return createVoyageEmbedder(
        {
          apiKey: config.apiKey,
          model: config.model,
          dimension: config.dimension,
          requestDimension: config.requestDimension,
          ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
        },
        deps,
      );
    case 'openai':
      return createOpenAiCompatibleEmbedder(config, deps);
  }
}
