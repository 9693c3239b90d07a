import type { EmbeddingProvider } from './embedding-provider.ts';

/**
 * The built-in embedder: no network, no model download. It is NOT a neural model and knows no
 * meaning. It hashes features of the text into a fixed-size vector (the "hashing trick"): each
 * word, and each character n-gram of each word (with word boundaries marked), adds +1 or -1 to
 * one of `dimension` buckets chosen by a hash; counts are dampened with a logarithm and the
 * vector is scaled to unit length. Cosine similarity then measures shared words and word
 * fragments, which catches spelling variants, inflections and compound words that exact
 * stemmed terms miss. That is why it still adds a little to BM25 in hybrid search; for real
 * semantic recall configure Voyage AI or an OpenAI-compatible endpoint.
 */

export interface LocalEmbedderOptions {
  dimension?: number;
  /** Shortest and longest character n-gram taken from each word (4 and 4: as good as 3 to 5 on SciFact, half the work). */
  minGram?: number;
  maxGram?: number;
}

export const LOCAL_EMBEDDER_MODEL = 'hashed-char-4grams-v1';
export const DEFAULT_LOCAL_DIMENSION = 256;

// Function words that would otherwise dominate every vector.
const STOP_WORDS = new Set(
  'a an and are as at be by for from has have in into is it its of on or that the their this to was were which with'.split(
    ' ',
  ),
);

const WORD_WEIGHT = 1;
const GRAM_WEIGHT = 0.5;

export function createLocalEmbedder(options: LocalEmbedderOptions = {}): EmbeddingProvider {
  const dimension = options.dimension ?? DEFAULT_LOCAL_DIMENSION;
  const minGram = options.minGram ?? 4;
  const maxGram = options.maxGram ?? 4;
  return {
    provider: 'local',
    model: LOCAL_EMBEDDER_MODEL,
    dimension,
    batchSize: 256,
    async embed(texts) {
      return texts.map((text) => embedText(text, dimension, minGram, maxGram));
    },
  };
}

function embedText(text: string, dimension: number, minGram: number, maxGram: number): Float32Array {
  const counts = new Map<number, number>();
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    // The top bit picks the sign, so collisions cancel out on average instead of piling up.
    const key = (h & 0x7fffffff) % dimension;
    const signed = h & 0x80000000 ? -weight : weight;
    counts.set(key, (counts.get(key) ?? 0) + signed);
  };
  for (const word of words(text)) {
    if (STOP_WORDS.has(word)) continue;
    add(`w:${word}`, WORD_WEIGHT);
    const marked = `<${word}>`;
    for (let n = minGram; n <= maxGram; n++) {
      for (let i = 0; i + n <= marked.length; i++) add(marked.slice(i, i + n), GRAM_WEIGHT);
    }
  }
  const vector = new Float32Array(dimension);
  let norm = 0;
  for (const [key, value] of counts) {
    const damped = Math.sign(value) * Math.log1p(Math.abs(value));
    vector[key] = damped;
    norm += damped * damped;
  }
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) vector[i] = vector[i]! * scale;
  }
  return vector;
}

function words(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** 32-bit FNV-1a over UTF-16 code units: fast, stable across runs and platforms. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
