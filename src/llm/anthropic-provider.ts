import Anthropic from '@anthropic-ai/sdk';
import { mapAnthropicError } from './map-anthropic-error.ts';
import type {
  ChatMessage,
  CompleteOptions,
  ModelProvider,
  ModelRequest,
  ModelResponse,
  ToolCall,
} from './types.ts';

export interface AnthropicProviderOptions {
  apiKey: string;
  /** Absent: Anthropic itself. Passed explicitly so the SDK never reads the environment for it. */
  baseUrl?: string;
}

const ephemeral = { type: 'ephemeral' } as const;

/** The Messages API body for a neutral request. Breakpoints go on the system prompt and last tool. */
export function toAnthropicParams(request: ModelRequest): Anthropic.MessageCreateParamsNonStreaming {
  const params: Anthropic.MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.maxTokens,
    system: [
      { type: 'text', text: request.system, ...(request.cachePrompt ? { cache_control: ephemeral } : {}) },
    ],
    messages: request.messages.map(toAnthropicMessage),
  };
  if (request.tools.length > 0) {
    const last = request.tools.length - 1;
    params.tools = request.tools.map((tool, i) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
      ...(request.cachePrompt && i === last ? { cache_control: ephemeral } : {}),
    }));
    params.tool_choice = request.toolChoice;
  }
  return params;
}

function toAnthropicMessage(message: ChatMessage): Anthropic.MessageParam {
  if (message.role === 'user') return { role: 'user', content: message.content };
  if (message.role === 'assistant') {
    const content: Anthropic.ContentBlockParam[] = [];
    if (message.text) content.push({ type: 'text', text: message.text });
    for (const call of message.toolCalls) {
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
    }
    // The API refuses an empty assistant turn; this only happens when replaying an empty reply.
    if (content.length === 0) content.push({ type: 'text', text: '(empty reply)' });
    return { role: 'assistant', content };
  }
  return {
    role: 'user',
    content: message.results.map((r) => ({
      type: 'tool_result' as const,
      tool_use_id: r.toolCallId,
      content: r.content,
      is_error: r.isError,
    })),
  };
}

export function fromAnthropicMessage(
  message: Anthropic.Message & { _request_id?: string | null },
): ModelResponse {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of message.content ?? []) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use')
      toolCalls.push({ id: block.id, name: block.name, input: block.input });
  }
  const usage = message.usage;
  return {
    text: texts.join('\n'),
    toolCalls,
    stopReason: message.stop_reason ?? null,
    usage: {
      input: count(usage?.input_tokens),
      cacheRead: count(usage?.cache_read_input_tokens),
      cacheWrite: count(usage?.cache_creation_input_tokens),
      output: count(usage?.output_tokens),
    },
    requestId: message._request_id ?? null,
    raw: message,
  };
}

/** Counters from a misbehaving server are clamped to whole non-negative numbers. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function createAnthropicProvider(options: AnthropicProviderOptions): ModelProvider {
  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? 'https://api.anthropic.com',
    // Retries belong to the gateway's policy (attempts, deadline, capped retry-after, breaker).
    maxRetries: 0,
  });
  return {
    name: 'anthropic',
    toWire: toAnthropicParams,
    async complete(request: ModelRequest, callOptions: CompleteOptions): Promise<ModelResponse> {
      let message: Anthropic.Message & { _request_id?: string | null };
      try {
        message = await client.messages.create(toAnthropicParams(request), {
          timeout: callOptions.timeoutMs,
          maxRetries: 0,
          ...(callOptions.signal ? { signal: callOptions.signal } : {}),
        });
      } catch (error) {
        throw mapAnthropicError(error);
      }
      if (!message || typeof message !== 'object' || !Array.isArray(message.content)) {
        throw mapAnthropicError(new Error('the response is not a Message object'));
      }
      return fromAnthropicMessage(message);
    },
  };
}
