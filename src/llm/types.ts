import type { z } from 'zod';

/**
 * Terminology of the model gateway.
 *
 * - task: what Sluice asks a model for: `triage` (what kind of request is this), `answer` (a
 *   grounded answer citing retrieved passages by number) or `propose` (a typed action proposal).
 * - model ref: `provider:model`, e.g. `anthropic:claude-haiku-4-5` or `openai:llama3.1:8b`; a bare
 *   model name means Anthropic.
 * - turn: one request to one model and its reply (retries of the same request are one turn).
 *   A task takes one turn, or two when the first reply failed validation (the repair turn).
 * - mode: how a task was served: `model` (the task's model), `fallback` (its fallback model) or
 *   `no-model` (deterministic degraded behaviour: passages instead of answers, no proposals).
 * - reservation: money set aside in Postgres before a turn (input estimate plus max_tokens),
 *   settled to the real cost after it, so replicas sharing a ceiling cannot overspend it.
 */

export type Task = 'triage' | 'answer' | 'propose';

export type GatewayMode = 'model' | 'fallback' | 'no-model';

/** Why a task was not served by its own model. */
export type DegradedReason =
  | 'no_provider'
  | 'breaker_open'
  | 'provider_failed'
  | 'budget_exhausted'
  | 'no_passages';

export type ProviderName = 'anthropic' | 'openai';

export interface ModelRef {
  provider: ProviderName;
  model: string;
  /** `provider:model`, the key for breakers, prices and records. */
  id: string;
}

/** A retrieval hit as the retrieval layer hands it over (coordinated by name only). */
export interface RetrievalHit {
  chunkId: string;
  source: string;
  heading?: string;
  text: string;
  link?: string;
}

/** One registered action as the action registry hands it over. */
export interface ActionTool<N extends string = string, S extends z.ZodType = z.ZodType> {
  name: N;
  description: string;
  input: S;
}

/** Who and what a call belongs to; every gateway method takes these. */
export interface CallContext {
  runId: string;
  userId: string;
  correlationId: string;
  signal?: AbortSignal;
}

/** A prior message in the Slack thread; always treated as untrusted data. */
export interface ThreadMessage {
  author: string;
  text: string;
}

export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** A provider-neutral conversation; each provider maps it to its wire format. */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; text: string; toolCalls: ToolCall[] }
  | { role: 'tool_results'; results: { toolCallId: string; content: string; isError: boolean }[] };

export type ToolChoice = { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string };

export interface ModelRequest {
  model: string;
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  maxTokens: number;
  /** Mark the system prompt and tools for prompt caching. */
  cachePrompt: boolean;
}

/** The four counters every call is billed on. */
export interface TokenUsage {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
}

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  stopReason: string | null;
  usage: TokenUsage;
  requestId: string | null;
  /** The parsed response body, stored with the call for replay. */
  raw: unknown;
}

export interface CompleteOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ModelProvider {
  readonly name: ProviderName;
  /** The exact body the provider will send, for the call record (holds no credentials). */
  toWire(request: ModelRequest): unknown;
  /** One attempt, no retries; failures are SluiceErrors carrying a `ProviderFailure`. */
  complete(request: ModelRequest, options: CompleteOptions): Promise<ModelResponse>;
}
