import { z } from 'zod';
import { type ProviderFailure, parseRetryAfter, providerError } from './provider-failure.ts';
import type {
  ChatMessage,
  CompleteOptions,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from './types.ts';

/**
 * The OpenAI chat-completions dialect spoken by private deployments (Ollama, vLLM, LiteLLM):
 * `POST {baseUrl}/chat/completions` with function tools. Plain fetch, no SDK: the subset is small
 * and the servers vary, so only the fields all of them agree on are used.
 */

export interface OpenAiCompatibleOptions {
  /** Up to and including the version segment, e.g. http://localhost:11434/v1 */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

export function toOpenAiBody(request: ModelRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens,
    messages: [{ role: 'system', content: request.system }, ...request.messages.flatMap(toOpenAiMessages)],
  };
  if (request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.inputSchema },
    }));
    const choice = request.toolChoice;
    body.tool_choice =
      choice.type === 'tool'
        ? { type: 'function', function: { name: choice.name } }
        : choice.type === 'any'
          ? 'required'
          : 'auto';
  }
  return body;
}

function toOpenAiMessages(message: ChatMessage): Record<string, unknown>[] {
  if (message.role === 'user') return [{ role: 'user', content: message.content }];
  if (message.role === 'assistant') {
    return [
      {
        role: 'assistant',
        content: message.text || null,
        ...(message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) },
              })),
            }
          : {}),
      },
    ];
  }
  return message.results.map((r) => ({
    role: 'tool',
    tool_call_id: r.toolCallId,
    content: r.isError ? `Error: ${r.content}` : r.content,
  }));
}

/** The fields all OpenAI-compatible servers agree on; anything else in the body is ignored. */
const completionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          tool_calls: z
            .array(
              z.object({
                id: z.string().optional(),
                function: z.object({ name: z.string(), arguments: z.unknown() }),
              }),
            )
            .nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().optional(),
      completion_tokens: z.number().optional(),
      prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).nullish(),
    })
    .nullish(),
});

const errorSchema = z
  .object({ error: z.object({ message: z.unknown(), code: z.unknown() }).partial() })
  .partial();

export function fromOpenAiBody(body: unknown, requestId: string | null): ModelResponse {
  const parsed = completionSchema.safeParse(body);
  if (!parsed.success)
    throw new Error(`not a chat completion: ${z.prettifyError(parsed.error).slice(0, 300)}`);
  const choice = parsed.data.choices[0]!;
  const toolCalls: ToolCall[] = (choice.message.tool_calls ?? []).map((c, i) => ({
    id: c.id ?? `call_${i}`,
    name: c.function.name,
    input: parseArguments(c.function.arguments),
  }));
  const usage = parsed.data.usage;
  const cached = count(usage?.prompt_tokens_details?.cached_tokens);
  return {
    text: choice.message.content ?? '',
    toolCalls,
    stopReason: choice.finish_reason ?? null,
    // prompt_tokens includes the cached ones; the gateway bills them separately.
    usage: {
      input: Math.max(0, count(usage?.prompt_tokens) - cached),
      cacheRead: cached,
      cacheWrite: 0,
      output: count(usage?.completion_tokens),
    },
    requestId,
    raw: body,
  };
}

/** Arguments arrive as a JSON string; unparseable text is passed on so validation can say so. */
function parseArguments(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? {};
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function classify(status: number, code: unknown): ProviderFailure {
  if (code === 'insufficient_quota' || status === 402) return 'spend_limit';
  if (status === 401) return 'auth';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server_error';
  return 'bad_request';
}

export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): ModelProvider {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  return {
    name: 'openai',
    toWire: toOpenAiBody,
    async complete(request: ModelRequest, callOptions: CompleteOptions): Promise<ModelResponse> {
      const timeout = AbortSignal.timeout(callOptions.timeoutMs);
      const signal = callOptions.signal ? AbortSignal.any([timeout, callOptions.signal]) : timeout;
      let response: Response;
      let text: string;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify(toOpenAiBody(request)),
          signal,
        });
        text = await response.text();
      } catch (error) {
        const failure: ProviderFailure = timeout.aborted
          ? 'timeout'
          : signal.aborted
            ? 'aborted'
            : 'connection';
        throw providerError(
          `the OpenAI-compatible call failed: ${(error as Error).message}`,
          { failure, provider: 'openai' },
          error,
        );
      }
      const requestId = response.headers.get('x-request-id');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!response.ok) {
        const envelope = errorSchema.safeParse(body);
        const detail = envelope.success ? envelope.data.error : undefined;
        const failure = classify(response.status, detail?.code);
        throw providerError(
          `the OpenAI-compatible server answered ${response.status}: ${String(detail?.message ?? text.slice(0, 200))}`,
          {
            failure,
            provider: 'openai',
            status: response.status,
            requestId,
            ...(failure === 'rate_limited' ? { retryAfterMs: parseRetryAfter(response.headers) } : {}),
          },
        );
      }
      try {
        return fromOpenAiBody(body, requestId);
      } catch (error) {
        throw providerError(
          `unreadable answer from the OpenAI-compatible server: ${(error as Error).message}`,
          {
            failure: 'bad_response',
            provider: 'openai',
            status: response.status,
            requestId,
          },
        );
      }
    },
  };
}
