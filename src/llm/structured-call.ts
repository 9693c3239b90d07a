import { SluiceError } from '../errors.ts';
import type { DeadLetterStore } from './dead-letters.ts';
import { runTurn, type TurnDeps } from './model-turn.ts';
import type { Prompt } from './prompt-library.ts';
import type { ParseResult } from './tool-output.ts';
import type { CallContext, ChatMessage, ModelRef, ModelRequest, ModelResponse, Task } from './types.ts';

/**
 * Ask one model for output that must pass `parse`. A reply that fails gets exactly one repair
 * turn with the validation error appended; a second failure is dead-lettered, a human is told,
 * and `model_output_invalid` is thrown. At most two turns, whatever the model does.
 */

export interface StructuredSpec<T> {
  task: Task;
  prompt: Prompt;
  /** The request without its model; the router fills that in per candidate. */
  request: Omit<ModelRequest, 'model'>;
  /** The gateway input, recorded with each call so evals can replay it under a new prompt. */
  input: unknown;
  parse(response: ModelResponse): ParseResult<T>;
}

export interface StructuredResult<T> {
  value: T;
  callIds: number[];
  costPico: bigint;
  repaired: boolean;
}

export interface StructuredDeps extends TurnDeps {
  deadLetters: DeadLetterStore;
}

export async function askStructured<T>(
  deps: StructuredDeps,
  input: { ctx: CallContext; ref: ModelRef; mode: 'model' | 'fallback'; spec: StructuredSpec<T> },
): Promise<StructuredResult<T>> {
  const { ctx, ref, mode, spec } = input;
  const callIds: number[] = [];
  const errors: string[] = [];
  let cost = 0n;
  let request: ModelRequest = { ...spec.request, model: ref.model };
  for (const round of [1, 2]) {
    const turn = await runTurn(deps, {
      ctx,
      task: spec.task,
      ref,
      mode,
      prompt: spec.prompt,
      round,
      request,
      taskInput: spec.input,
    });
    callIds.push(turn.callId);
    cost += turn.costPico;
    const parsed = spec.parse(turn.response);
    if (parsed.ok) return { value: parsed.value, callIds, costPico: cost, repaired: round === 2 };
    errors.push(parsed.error);
    await deps.callLog.markInvalid(turn.callId, parsed.error);
    if (round === 2) {
      const deadLetterId = await deps.deadLetters.add({
        runId: ctx.runId,
        userId: ctx.userId,
        correlationId: ctx.correlationId,
        task: spec.task,
        model: ref.id,
        promptVersion: spec.prompt.version,
        promptHash: spec.prompt.hash,
        errors,
        lastOutput: turn.response.raw,
        request: deps.providers[ref.provider]?.toWire(request) ?? request,
      });
      throw new SluiceError(
        'model_output_invalid',
        `${spec.task} output from ${ref.id} failed validation twice and was dead-lettered (#${deadLetterId})`,
        { details: { deadLetterId, errors, callIds } },
      );
    }
    request = { ...request, messages: [...request.messages, ...repairMessages(turn.response, parsed.error)] };
  }
  throw new Error('unreachable');
}

/**
 * The failed reply, bounded, followed by the validation error. Every tool call replayed gets a
 * tool_result (the API requires one per tool_use); ids are ours because the model's may be junk.
 */
export function repairMessages(response: ModelResponse, error: string): ChatMessage[] {
  const calls = response.toolCalls.slice(0, 5).map((call, i) => ({
    id: `toolu_repair_${i}`,
    name: /^[a-zA-Z0-9_-]{1,64}$/.test(call.name) ? call.name : 'invalid_tool_name',
    input: asObject(bounded(call.input, 0)),
  }));
  const assistant: ChatMessage = {
    role: 'assistant',
    text: String(bounded(response.text, 0)),
    toolCalls: calls,
  };
  const instruction = `Your reply was not accepted: ${error}\nReply again, correcting this.`;
  if (calls.length === 0) return [assistant, { role: 'user', content: instruction }];
  return [
    assistant,
    {
      role: 'tool_results',
      results: calls.map((c, i) => ({
        toolCallId: c.id,
        content: i === 0 ? instruction : 'Ignored: call exactly one tool.',
        isError: true,
      })),
    },
  ];
}

function bounded(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return value.length > 1000 ? `${value.slice(0, 1000)}…[cut]` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 6) return '[nested too deeply]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => bounded(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value)
      .slice(0, 50)
      .map(([k, v]) => [k.slice(0, 100), bounded(v, depth + 1)]),
  );
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}
