import { z } from 'zod';
import type { Prompt } from '../prompt-library.ts';
import type { StructuredSpec } from '../structured-call.ts';
import { parseToolInput, singleToolCall, toolSpec } from '../tool-output.ts';
import type { ThreadMessage } from '../types.ts';
import { fenceRequest, fenceThread, joinSections } from './untrusted-context.ts';

/** Triage: is this a question, an action request or neither; which explicit parameters it states. */

export const triageSchema = z.object({
  kind: z.enum(['question', 'action', 'other']),
  summary: z.string().min(1).max(300).describe('One line restating the request'),
  params: z
    .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean()]))
    .refine((p) => Object.keys(p).length <= 20, 'at most 20 parameters')
    .describe('Parameters the message states explicitly, e.g. {"environment": "staging"}'),
});

export type Triage = z.infer<typeof triageSchema>;

export const TRIAGE_TOOL = 'submit_triage';

export interface TriageInput {
  text: string;
  thread?: ThreadMessage[];
}

export function triageSpec(prompt: Prompt, input: TriageInput, maxTokens = 512): StructuredSpec<Triage> {
  const thread = fenceThread(input.thread);
  return {
    task: 'triage',
    prompt,
    input: { text: input.text, thread: input.thread ?? [] },
    request: {
      system: prompt.text,
      messages: [
        {
          role: 'user',
          content: joinSections([
            'Classify the request below.',
            thread ? `Earlier messages in the thread, for context only:\n${thread}` : undefined,
            fenceRequest(input.text),
          ]),
        },
      ],
      tools: [toolSpec(TRIAGE_TOOL, 'Submit the triage of the request.', triageSchema)],
      toolChoice: { type: 'tool', name: TRIAGE_TOOL },
      maxTokens,
      cachePrompt: true,
    },
    parse(response) {
      const call = singleToolCall(response, [TRIAGE_TOOL]);
      return call.ok ? parseToolInput(triageSchema, call.value.input) : call;
    },
  };
}

const ACTION_VERBS =
  /^(please\s+)?(restart|deploy|roll\s*back|rollback|rotate|run|scale|create|delete|remove|post|send|open|close|trigger|stop|start|do)\b/i;

/**
 * No-model triage: deterministic and humble. An imperative verb up front reads as an action (which
 * no-model mode can only serve through an explicit command); anything else is treated as a question,
 * so the person at least gets passages.
 */
export function triageWithoutModel(input: TriageInput): Triage {
  const text = input.text.trim();
  return {
    kind: ACTION_VERBS.test(text) ? 'action' : text.length === 0 ? 'other' : 'question',
    summary: (text.split('\n')[0] ?? '').slice(0, 300) || '(empty message)',
    params: {},
  };
}
