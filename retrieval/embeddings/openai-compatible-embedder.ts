import type { EmbeddingProvider } from './embedding-provider.ts';
import { parseEmbeddingsResponse } from './parse-embeddings-response.ts';
import { type PostJsonDeps, postJsonWithRetry } from './post-json-with-retry.ts';

/** Any `/embeddings` endpoint that speaks OpenAI's format: OpenAI, Ollama, vLLM, LiteLLM... */
export interface OpenAiCompatibleOptions {
  /** Up to and including the version, e.g. https://api.openai.com/v1 or http://localhost:11434/v1. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  dimension: number;
  /** Sent as `dimensions` only when the operator chose a dimension explicitly. */
  requestDimension: boolean;
  batchSize?: number;
}

export function createOpenAiCompatibleEmbedder(
  options: OpenAiCompatibleOptions,
  deps: PostJsonDeps = {},
): EmbeddingProvider {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const label = `embeddings endpoint ${new URL(url).host} (${options.model})`;
  return {
    provider: 'openai',
    model: options.model,
    dimension: options.dimension,
    batchSize: options.batchSize ?? 128,
    async embed(texts) {
      const json = await postJsonWithRetry(
        label,
        url,
        options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
        {
          model: options.model,
          input: texts,
          encoding_format: 'float',
          ...(options.requestDimension ? { dimensions: options.dimension } : {}),
        },
        deps,
      );
      return parseEmbeddingsResponse(label, json);
    },
  };
}
