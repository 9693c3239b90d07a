import { z } from 'zod';
import { SluiceError } from '../../src/errors.ts';

/** Voyage and OpenAI-compatible APIs share this shape: `data[i].embedding`, with an `index`. */
const responseSchema = z.object({
  data: z.array(z.object({ embedding: z.array(z.number()), index: z.number().int().optional() })),
});

export function parseEmbeddingsResponse(label: string, json: unknown): Float32Array[] {
  const parsed = responseSchema.safeParse(json);
  if (!parsed.success) {
    throw new SluiceError(
      'upstream_failed',
      `${label} returned an unexpected body: ${parsed.error.issues[0]?.message}`,
    );
  }
  const items = parsed.data.data.map((d, i) => ({ index: d.index ?? i, embedding: d.embedding }));
  items.sort((a, b) => a.index - b.index);
  return items.map((d) => Float32Array.from(d.embedding));
}
