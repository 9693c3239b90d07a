import { fenceUntrusted } from '../fence-untrusted.ts';
import type { RetrievalHit, ThreadMessage } from '../types.ts';

/**
 * Builds the user message every task sends: our own framing words, and everything a person or a
 * document wrote inside labelled fences. Sizes are bounded here so one huge message or passage
 * cannot blow the budget or the context window.
 */

export const LIMITS = {
  requestChars: 8_000,
  threadMessages: 10,
  threadMessageChars: 2_000,
  passages: 8,
  passageChars: 4_000,
} as const;

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function fenceRequest(text: string): string {
  return fenceUntrusted('slack_message', cut(text, LIMITS.requestChars), { role: 'the request to handle' });
}

export function fenceThread(thread: readonly ThreadMessage[] | undefined): string | undefined {
  if (!thread || thread.length === 0) return undefined;
  return thread
    .slice(-LIMITS.threadMessages)
    .map((m) =>
      fenceUntrusted('thread_message', cut(m.text, LIMITS.threadMessageChars), { author: m.author }),
    )
    .join('\n');
}

/** Passages numbered from 1 in the order given; the numbers are what answers cite. */
export function fencePassages(hits: readonly RetrievalHit[]): string {
  return hits
    .slice(0, LIMITS.passages)
    .map((hit, i) =>
      fenceUntrusted('retrieved_passage', cut(hit.text, LIMITS.passageChars), {
        n: i + 1,
        source: hit.source,
        heading: hit.heading,
      }),
    )
    .join('\n');
}

export function joinSections(sections: (string | undefined)[]): string {
  return sections.filter((s): s is string => Boolean(s)).join('\n\n');
}
