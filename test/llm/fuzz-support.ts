import { z } from 'zod';
import { type RecordedRequest, reply, type ScriptedReply } from '../support/anthropic-double.ts';

/** Seeded randomness and a double responder that answers any task with random, plausible usage. */

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const fuzzActions = [
  {
    name: 'http.request',
    description: 'Call a configured endpoint.',
    input: z.object({ endpoint: z.enum(['restart-service']), params: z.object({ service: z.string() }) }),
  },
] as const;

/**
 * Usage the real API could report for this request: input tokens (all three input counters
 * together) at most half the request's bytes, output at most max_tokens. Sometimes a 529 or 500.
 */
export function fuzzResponder(random: () => number) {
  return (req: RecordedRequest): ScriptedReply => {
    const roll = random();
    if (roll < 0.04) return reply.overloaded();
    if (roll < 0.06) return reply.apiError();
    const bytes = JSON.stringify(req.body).length;
    const inputTotal = 1 + Math.floor(random() * (bytes / 2));
    const cacheRead = Math.floor(random() * inputTotal * 0.5);
    const cacheWrite = Math.floor(random() * (inputTotal - cacheRead) * 0.5);
    const usage = {
      input_tokens: inputTotal - cacheRead - cacheWrite,
      cache_read_input_tokens: cacheRead,
      cache_creation_input_tokens: cacheWrite,
      output_tokens: 1 + Math.floor(random() * req.body.max_tokens),
    };
    const choice = req.body.tool_choice;
    if (choice?.name === 'submit_triage') {
      return reply.toolUse(
        'submit_triage',
        { kind: 'question', summary: 'a question', params: {} },
        { usage },
      );
    }
    if (choice?.name === 'submit_answer') {
      return reply.toolUse(
        'submit_answer',
        { known: true, answer: 'Do it like this [1].', citations: [1] },
        { usage },
      );
    }
    return reply.toolUse(
      'http_request',
      { rationale: 'asked for', params: { endpoint: 'restart-service', params: { service: 'payments' } } },
      { usage },
    );
  };
}
