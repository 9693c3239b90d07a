import type { CorpusDocument } from './load-corpus.ts';

/**
 * Synthetic corpora for scale tests, deterministic for a given seed.
 *
 * - `remix` (given real documents): each synthetic document takes a real document's title and
 *   rebuilds a text of similar length from its sentences mixed with sentences of random other
 *   documents. Term frequencies, document lengths and co-occurrence stay realistic, and the
 *   real queries still find their documents' descendants, so latency at scale is measured on
 *   the same kind of queries as quality.
 * - `zipf` (no input): words from a Zipf-distributed made-up vocabulary with topic clusters.
 */

export interface SyntheticOptions {
  count: number;
  seed?: number;
  /** Documents to remix; absent: the zipf generator. */
  source?: readonly CorpusDocument[];
}

export function generateSyntheticCorpus(options: SyntheticOptions): CorpusDocument[] {
  const random = mulberry32(options.seed ?? 42);
  return options.source && options.source.length > 0
    ? remix(options.source, options.count, random)
    : zipf(options.count, random);
}

function remix(source: readonly CorpusDocument[], count: number, random: () => number): CorpusDocument[] {
  const sentences = source.map((d) => d.text.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0));
  const docs: CorpusDocument[] = [];
  for (let i = 0; i < count; i++) {
    const base = Math.floor(random() * source.length);
    const own = sentences[base]!;
    const parts: string[] = [];
    for (const sentence of own) {
      if (random() < 0.6) parts.push(sentence);
      else {
        const other = sentences[Math.floor(random() * sentences.length)]!;
        if (other.length > 0) parts.push(other[Math.floor(random() * other.length)]!);
      }
    }
    docs.push({ id: `syn-${i}`, title: source[base]!.title, text: parts.join(' ') || own.join(' ') });
  }
  return docs;
}

function zipf(count: number, random: () => number): CorpusDocument[] {
  const vocabulary = Array.from({ length: 30_000 }, (_, i) => pseudoWord(i));
  // Cumulative Zipf weights (s = 1.07, close to English text).
  const cumulative: number[] = [];
  let total = 0;
  for (let r = 1; r <= vocabulary.length; r++) {
    total += 1 / r ** 1.07;
    cumulative.push(total);
  }
  const draw = () => {
    const x = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo]!;
  };
  const docs: CorpusDocument[] = [];
  for (let i = 0; i < count; i++) {
    // A topic: a handful of mid-frequency words the document repeats.
    const topic = Array.from({ length: 5 }, () => vocabulary[200 + Math.floor(random() * 5000)]!);
    const length = 80 + Math.floor(random() * 220);
    const words: string[] = [];
    for (let w = 0; w < length; w++)
      words.push(random() < 0.15 ? topic[Math.floor(random() * topic.length)]! : draw());
    docs.push({ id: `zipf-${i}`, title: topic.slice(0, 3).join(' '), text: `${words.join(' ')}.` });
  }
  return docs;
}

const syllables = [
  'ka',
  'ro',
  'mi',
  'ten',
  'sul',
  'vor',
  'an',
  'el',
  'is',
  'ul',
  'dra',
  'pex',
  'lon',
  'gri',
  'tha',
  'mo',
];

function pseudoWord(i: number): string {
  let s = '';
  let n = i + 16;
  while (n > 0) {
    s += syllables[n % syllables.length];
    n = Math.floor(n / syllables.length);
  }
  return s;
}

/** A small, fast, seedable PRNG (public domain); Math.random cannot be seeded. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
