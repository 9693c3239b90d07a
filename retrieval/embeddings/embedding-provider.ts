/**
 * One interface for every source of embeddings. `kind` matters to providers whose models embed
 * queries and documents differently (Voyage's `input_type`); the others ignore it.
 */
export type EmbeddingKind = 'document' | 'query';

export interface EmbeddingProvider {
  /** `local`, `voyage` or `openai`: stored with the vectors so a switch is noticed. */
  readonly provider: string;
  readonly model: string;
  /** Length of every vector this provider returns; checked against the vector column. */
  readonly dimension: number;
  /** Texts sent per request; `embed` batches larger inputs itself. */
  readonly batchSize: number;
  /** One unit-length-or-not vector per text, in order. */
  embed(texts: readonly string[], kind: EmbeddingKind): Promise<Float32Array[]>;
}
