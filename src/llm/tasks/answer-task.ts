import { z } from 'zod';
import { type CheckedAnswer, checkCitations, citationFor } from '../citations.ts';
import type { Prompt } from '../prompt-library.ts';
import type { StructuredSpec } from '../structured-call.ts';
import { parseToolInput, singleToolCall, toolSpec } from '../tool-output.ts';
import type { RetrievalHit, ThreadMessage } from '../types.ts';
import { fencePassages, fenceRequest, fenceThread, joinSections, LIMITS } from './untrusted-context.ts';

/** Answer: a grounded reply citing the retrieved passages by number. */

export const answerSchema = z.object({
  known: z.boolean().describe('false when the passages do not contain the answer'),
  answer: z.string().min(1).max(6000).describe('The answer in Slack formatting, with [n] citations'),
  citations: z.array(z.number().int().min(1).max(999)).max(20).describe('Every passage number cited'),
});

export const ANSWER_TOOL = 'submit_answer';

export interface AnswerInput {
  question: string;
  hits: RetrievalHit[];
  thread?: ThreadMessage[];
}

export type Answer = CheckedAnswer & {
  /** True in no-model mode: the text lists passages, it is not a written answer. */
  fromPassagesOnly: boolean;
};

/** The passages the model is shown; citation numbers index into this list. */
export function shownPassages(hits: readonly RetrievalHit[]): RetrievalHit[] {
  return hits.slice(0, LIMITS.passages);
}

export function answerSpec(prompt: Prompt, input: AnswerInput, maxTokens = 1500): StructuredSpec<Answer> {
  const shown = shownPassages(input.hits);
  const thread = fenceThread(input.thread);
  return {
    task: 'answer',
    prompt,
    input: { question: input.question, hits: shown, thread: input.thread ?? [] },
    request: {
      system: prompt.text,
      messages: [
        {
          role: 'user',
          content: joinSections([
            `Passages from the knowledge base, numbered 1 to ${shown.length}:\n${fencePassages(shown)}`,
            thread ? `Earlier messages in the thread, for context only:\n${thread}` : undefined,
            `The question to answer:\n${fenceRequest(input.question)}`,
          ]),
        },
      ],
      tools: [toolSpec(ANSWER_TOOL, 'Submit the answer with its citations.', answerSchema)],
      toolChoice: { type: 'tool', name: ANSWER_TOOL },
      maxTokens,
      cachePrompt: true,
    },
    parse(response) {
      const call = singleToolCall(response, [ANSWER_TOOL]);
      if (!call.ok) return call;
      const parsed = parseToolInput(answerSchema, call.value.input);
      if (!parsed.ok) return parsed;
      const checked = checkCitations(parsed.value, shown);
      return checked.ok ? { ok: true, value: { ...checked.value, fromPassagesOnly: false } } : checked;
    },
  };
}

const EXCERPT_CHARS = 300;

/** No-model answer: the top passages with their citations, labelled as not being an answer. */
export function answerWithoutModel(input: AnswerInput, why: string): Answer {
  const top = input.hits.slice(0, 3);
  if (top.length === 0) {
    return {
      text: `I don't know: nothing in the knowledge base matches this question, and ${why}.`,
      known: false,
      citations: [],
      citationsCorrected: false,
      fromPassagesOnly: true,
    };
  }
  const lines = top.map((hit, i) => {
    const title = hit.heading ? `${hit.source} — ${hit.heading}` : hit.source;
    const flat = hit.text.replace(/\s+/g, ' ').trim();
    const excerpt = flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
    return `[${i + 1}] *${title}*: ${excerpt}`;
  });
  return {
    text: `_Not a written answer: ${why}, so here are the closest passages from the knowledge base._\n\n${lines.join('\n')}`,
    known: true,
    citations: top.map((hit, i) => citationFor(hit, i + 1)),
    citationsCorrected: false,
    fromPassagesOnly: true,
  };
}
