import { chunkSearchText } from '../lexical/bm25-sql.ts';
import { checkDimensions } from './check-dimensions.ts';
import type { EmbeddingKind, EmbeddingProvider } from './embedding-provider.ts';

/** Embeds a document's chunks with the same context (title, headings) BM25 indexes them under. */
export async function embedChunks(
  provider: EmbeddingProvider,
  title: string,
  chunks: readonly { headingPath: string[]; content: string }[],
  kind: EmbeddingKind,
): Promise<Float32Array[]> {
  return embedTexts(
    provider,
    chunks.map((c) => chunkSearchText(title, c.headingPath, c.content)),
    kind,
  );
}

/** Embeds any number of texts in the provider's batch size, checking every vector's length. */
export async function embedTexts(
  provider: EmbeddingProvider,
  texts: readonly string[],
  kind: EmbeddingKind,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += provider.batchSize) {
    const batch = texts.slice(i, i + provider.batchSize);
    const out = await provider.embed(batch, kind);
    checkDimensions(provider, batch.length, out);
    vectors.push(...out);
  }
  return vectors;
}
