import type { EmbeddingProvider } from './embedding-provider.ts';
import { parseEmbeddingsResponse } from './parse-embeddings-response.ts';
import { type PostJsonDeps, postJsonWithRetry } from './post-json-with-retry.ts';

/** Voyage AI's embeddings API (https://docs.voyageai.com/reference/embeddings-api). */
export interface VoyageOptions {
  apiKey: string;
  model: string;
  dimension: number;
  /** Sent as `output_dimension` only when the operator chose a dimension explicitly. */
  requestDimension: boolean;
  baseUrl?: string;
  batchSize?: number;
}

export function createVoyageEmbedder(options: VoyageOptions, deps: PostJsonDeps = {}): EmbeddingProvider {
  const url = `${(options.baseUrl ?? 'https://api.voyageai.com/v1').replace(/\/+$/, '')}/embeddings`;
  const label = `Voyage AI (${options.model})`;
  return {
    provider: 'voyage',
    model: options.model,
    dimension: options.dimension,
    batchSize: options.batchSize ?? 128,
    async embed(texts, kind) {
      const json = await postJsonWithRetry(
        label,
        url,
        { authorization: `Bearer ${options.apiKey}` },
        {
          input: texts,
          model: options.model,
          input_type: kind,
          ...(options.requestDimension ? { output_dimension: options.dimension } : {}),
        },
        deps,
      );
      return parseEmbeddingsResponse(label, json);
    },
  };
}
