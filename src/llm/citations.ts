import type { ParseResult } from './tool-output.ts';
import type { RetrievalHit } from './types.ts';

/**
 * Answers cite passages by their number, [1] to [N], where N is how many passages the model was
 * shown. A number outside that range points at a chunk that was not retrieved: it is removed from
 * the text and the list (corrected), and if no valid citation is left in an answer that claims to
 * know, the answer is rejected (which leads to the repair turn). Invented citations are never shown.
 */

export interface Citation {
  n: number;
  chunkId: string;
  source: string;
  heading?: string;
  link?: string;
}

export interface CheckedAnswer {
  text: string;
  known: boolean;
  citations: Citation[];
  /** True when invented citations were removed. */
  citationsCorrected: boolean;
}

/** A run of adjacent markers such as ` [1][2, 3]`, with the space before it. */
const MARKER_RUN = /(\s?)((?:\[\d{1,4}(?:\s*,\s*\d{1,4})*\])+)/g;
const MARKER = /\[([\d,\s]+)\]/g;

export function citationFor(hit: RetrievalHit, n: number): Citation {
  return {
    n,
    chunkId: hit.chunkId,
    source: hit.source,
    ...(hit.heading === undefined ? {} : { heading: hit.heading }),
    ...(hit.link === undefined ? {} : { link: hit.link }),
  };
}

export function checkCitations(
  raw: { answer: string; known: boolean; citations: number[] },
  shown: readonly RetrievalHit[],
): ParseResult<CheckedAnswer> {
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= shown.length;
  let corrected = false;
  const order: number[] = [];
  const text = raw.answer
    .replace(MARKER_RUN, (_whole, space: string, run: string) => {
      const groups = [...run.matchAll(MARKER)].map((m) => {
        const numbers = (m[1] ?? '').split(',').map((part) => Number(part.trim()));
        const kept = numbers.filter(valid);
        if (kept.length !== numbers.length) corrected = true;
        for (const n of kept) if (!order.includes(n)) order.push(n);
        return kept.length > 0 ? `[${kept.join(', ')}]` : '';
      });
      const kept = groups.join('');
      return kept ? `${space}${kept}` : '';
    })
    .trim();
  for (const n of raw.citations) {
    if (!valid(n)) corrected = true;
    else if (!order.includes(n)) order.push(n);
  }
  if (raw.known && order.length === 0) {
    return {
      ok: false,
      error: `the answer cites no passage that was given; cite the passages you used by number, [1] to [${shown.length}], or set known to false`,
    };
  }
  if (text.length === 0)
    return { ok: false, error: 'the answer text is empty once invalid citations are removed' };
  return {
    ok: true,
    value: {
      text,
      known: raw.known,
      citations: order.map((n) => citationFor(shown[n - 1]!, n)),
      citationsCorrected: corrected,
    },
  };
}
