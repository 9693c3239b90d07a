import { z } from 'zod';
import { SluiceError } from '../../errors.ts';
import type { Prompt } from '../prompt-library.ts';
import type { StructuredSpec } from '../structured-call.ts';
import { parseToolInput, singleToolCall, toolNameFor, toolSpec } from '../tool-output.ts';
import type { ActionTool, RetrievalHit, ThreadMessage } from '../types.ts';
import { fencePassages, fenceRequest, fenceThread, joinSections } from './untrusted-context.ts';

/**
 * Propose: tool use over the action registry's schemas. Each action becomes a tool taking
 * `{ rationale, params }` where `params` is the action's own zod schema, so what comes back is a
 * typed proposal validated by the same schema the executor will use. `no_action` lets the model
 * decline instead of inventing parameters.
 */

export type ProposalOf<A extends readonly ActionTool[]> = {
  [K in keyof A]: A[K] extends ActionTool<infer N, infer S>
    ? { action: N; params: z.output<S>; rationale: string }
    : never;
}[number];

export type ProposeOutcome<A extends readonly ActionTool[]> =
  | { proposal: ProposalOf<A>; declined?: undefined }
  | { proposal: null; declined: string };

export interface ProposeInput<A extends readonly ActionTool[]> {
  request: string;
  actions: A;
  hits?: RetrievalHit[];
  thread?: ThreadMessage[];
}

export const NO_ACTION_TOOL = 'no_action';

const noActionSchema = z.object({ reason: z.string().min(1).max(500) });

export function proposeSpec<A extends readonly ActionTool[]>(
  prompt: Prompt,
  input: ProposeInput<A>,
  maxTokens = 1024,
): StructuredSpec<ProposeOutcome<A>> {
  const byTool = new Map<string, { action: ActionTool; schema: z.ZodType }>();
  for (const action of input.actions) {
    const name = toolNameFor(action.name);
    if (name === NO_ACTION_TOOL || byTool.has(name)) {
      throw new SluiceError(
        'invalid_input',
        `action "${action.name}" maps to the tool name "${name}", which is taken`,
      );
    }
    const schema = z.object({
      rationale: z.string().min(1).max(1000).describe('Why this action and these parameters fit the request'),
      params: action.input,
    });
    byTool.set(name, { action, schema });
  }
  const tools = [
    ...[...byTool].map(([name, { action, schema }]) => toolSpec(name, action.description, schema)),
    toolSpec(NO_ACTION_TOOL, 'Decline: no action fits, or a required value is missing.', noActionSchema),
  ];
  const allowed = tools.map((t) => t.name);
  const thread = fenceThread(input.thread);
  return {
    task: 'propose',
    prompt,
    input: {
      request: input.request,
      actions: input.actions.map((a) => a.name),
      hits: input.hits ?? [],
      thread: input.thread ?? [],
    },
    request: {
      system: prompt.text,
      messages: [
        {
          role: 'user',
          content: joinSections([
            input.hits && input.hits.length > 0
              ? `Passages from the knowledge base, for reference:\n${fencePassages(input.hits)}`
              : undefined,
            thread ? `Earlier messages in the thread, for context only:\n${thread}` : undefined,
            `The request to act on:\n${fenceRequest(input.request)}`,
          ]),
        },
      ],
      tools,
      toolChoice: { type: 'any' },
      maxTokens,
      cachePrompt: true,
    },
    parse(response) {
      const call = singleToolCall(response, allowed);
      if (!call.ok) return call;
      if (call.value.name === NO_ACTION_TOOL) {
        const declined = parseToolInput(noActionSchema, call.value.input);
        return declined.ok
          ? { ok: true, value: { proposal: null, declined: declined.value.reason } }
          : declined;
      }
      const entry = byTool.get(call.value.name)!;
      const parsed = parseToolInput(entry.schema, call.value.input);
      if (!parsed.ok) return parsed;
      const { rationale, params } = parsed.value as { rationale: string; params: unknown };
      return {
        ok: true,
        value: { proposal: { action: entry.action.name, params, rationale } as ProposalOf<A> },
      };
    },
  };
}
