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

/**
 * Counts go in a typed array instead of a Map and features are hashed where they lie in the word
 * instead of being cut out as strings: the same sums in the same order, so the same vector to the
 * bit (test/retrieval/local-embedder.test.ts pins it), in about a third of the time.
 */
function embedText(text: string, dimension: number, minGram: number, maxGram: number): Float32Array {
  const counts = new Float64Array(dimension);
  // Buckets in the order first touched: the norm below is summed in that order, as it always was.
  const order = new Int32Array(dimension);
  const touched = new Uint8Array(dimension);
  let touchedCount = 0;
  const add = (hash: number, weight: number) => {
    const key = (hash & 0x7fffffff) % dimension;
    if (touched[key] === 0) {
      touched[key] = 1;
      order[touchedCount++] = key;
    }
    // The top bit picks the sign, so collisions cancel out on average instead of piling up.
    counts[key] = counts[key]! + (hash & 0x80000000 ? -weight : weight);
  };
  for (const word of words(text)) {
    if (STOP_WORDS.has(word)) continue;
    add(fnv1aFrom(WORD_PREFIX_HASH, word, 0, word.length), WORD_WEIGHT);
    // N-grams of the word marked as `<word>`, so that prefixes and suffixes differ from the middle.
    const marked = word.length + 2;
    for (let n = minGram; n <= maxGram; n++) {
      for (let i = 0; i + n <= marked; i++) add(markedGramHash(word, i, n), GRAM_WEIGHT);
    }
  }
  const vector = new Float32Array(dimension);
  let norm = 0;
  for (let t = 0; t < touchedCount; t++) {
    const key = order[t]!;
    const value = counts[key]!;
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

/*
 * 32-bit FNV-1a over UTF-16 code units: fast, stable across runs and platforms. A word feature is
 * the hash of `w:` + the word; an n-gram's is the hash of `<word>`.slice(i, i + n).
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const WORD_PREFIX_HASH = fnv1aStep(fnv1aStep(FNV_OFFSET, 0x77 /* w */), 0x3a /* : */);
const WORD_START = 0x3c; // <
const WORD_END = 0x3e; // >

function fnv1aStep(hash: number, codeUnit: number): number {
  return Math.imul(hash ^ codeUnit, FNV_PRIME);
}

function fnv1aFrom(hash: number, s: string, start: number, end: number): number {
  let h = hash;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

function markedGramHash(word: string, start: number, n: number): number {
  let h = FNV_OFFSET;
  const end = start + n;
  for (let i = start; i < end; i++) {
    const codeUnit = i === 0 ? WORD_START : i === word.length + 1 ? WORD_END : word.charCodeAt(i - 1);
    h = Math.imul(h ^ codeUnit, FNV_PRIME);
  }
  return h >>> 0;
}
