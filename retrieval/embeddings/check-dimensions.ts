import { SluiceError } from '../../src/errors.ts';
import type { EmbeddingProvider } from './embedding-provider.ts';

/** A provider must return one vector per text, each of the configured dimension. */
export function checkDimensions(
  provider: EmbeddingProvider,
  expected: number,
  vectors: readonly Float32Array[],
): void {
  if (vectors.length !== expected) {
    throw new SluiceError(
      'upstream_failed',
      `${provider.provider}/${provider.model} returned ${vectors.length} embeddings for ${expected} texts`,
    );
  }
  const wrong = vectors.find((v) => v.length !== provider.dimension);
  if (wrong) {
    throw new SluiceError(
      'invalid_input',
      `${provider.provider}/${provider.model} returned ${wrong.length}-dimensional vectors but ${provider.dimension} are configured; set SLUICE_EMBEDDINGS_DIMENSIONS=${wrong.length} (then \`sluice reindex\`) or choose a model with ${provider.dimension} dimensions`,
      { details: { returned: wrong.length, configured: provider.dimension } },
    );
  }
}
