import type { Database } from '../db/database.ts';
import { picoToUsd } from './price-table.ts';
import { storableJson, storableText } from './storable-json.ts';
import type { Task, TokenUsage } from './types.ts';

/** The trace of model traffic (migrations/0010): one row per request sent and per cache hit. */

export type CallOutcome = 'ok' | 'invalid_output' | 'error' | 'cache_hit';

export interface CallRecord {
  runId: string;
  userId: string;
  correlationId: string;
  task: Task;
  provider: string;
  model: string;
  mode: 'model' | 'fallback';
  promptVersion: string;
  promptHash: string;
  round: number;
  attempt: number;
  outcome: CallOutcome;
  usage: TokenUsage;
  costPico: bigint;
  latencyMs: number;
  requestId: string | null;
  stopReason: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  request: unknown;
  response: unknown;
  /** The gateway input behind the request (absent for cache hits). */
  taskInput?: unknown;
}

export interface StoredCall {
  id: number;
  task: Task;
  model: string;
  mode: 'model' | 'fallback';
  promptVersion: string;
  promptHash: string;
  round: number;
  attempt: number;
  outcome: CallOutcome;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** Exact decimal text; `costUsd` is the same as a JS number. */
  costUsdText: string;
  costUsd: number;
  latencyMs: number;
  requestId: string | null;
  request: unknown;
  response: unknown;
  taskInput: unknown;
}

interface CallRow {
  id: number;
  task: Task;
  model: string;
  mode: 'model' | 'fallback';
  prompt_version: string;
  prompt_hash: string;
  round: number;
  attempt: number;
  outcome: CallOutcome;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  cost_text: string;
  latency_ms: number;
  request_id: string | null;
  request: unknown;
  response: unknown;
  task_input: unknown;
}

export interface CallLog {
  record(call: CallRecord): Promise<number>;
  /** The reply arrived but failed validation; the error text is what the repair turn was told. */
  markInvalid(id: number, error: string): Promise<void>;
  forRun(runId: string): Promise<StoredCall[]>;
}

export function createCallLog(db: Database): CallLog {
  return {
    async record(c) {
      const result = await db.query<{ id: number }>(
        `INSERT INTO llm_calls (run_id, user_id, correlation_id, task, provider, model, mode, prompt_version,
           prompt_hash, round, attempt, outcome, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens,
           cost_usd, latency_ms, request_id, stop_reason, error_code, error_message, request, response, task_input)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::numeric, $18, $19, $20,
           $21, $22, $23::jsonb, $24::jsonb, $25::jsonb)
         RETURNING id`,
        [
          c.runId,
          c.userId,
          c.correlationId,
          c.task,
          c.provider,
          c.model,
          c.mode,
          c.promptVersion,
          c.promptHash,
          c.round,
          c.attempt,
          c.outcome,
          c.usage.input,
          c.usage.cacheRead,
          c.usage.cacheWrite,
          c.usage.output,
          picoToUsd(c.costPico),
          Math.max(0, Math.round(c.latencyMs)),
          c.requestId ? storableText(c.requestId, 200) : null,
          c.stopReason ? storableText(c.stopReason, 100) : null,
          c.errorCode,
          c.errorMessage ? storableText(c.errorMessage, 4000) : null,
          JSON.stringify(storableJson(c.request)),
          c.response === undefined ? null : JSON.stringify(storableJson(c.response)),
          c.taskInput === undefined ? null : JSON.stringify(storableJson(c.taskInput)),
        ],
      );
      return result.rows[0]!.id;
    },

    async markInvalid(id, error) {
      await db.query(
        `UPDATE llm_calls SET outcome = 'invalid_output', error_code = 'invalid_output', error_message = $2 WHERE id = $1`,
        [id, storableText(error, 4000)],
      );
    },

    async forRun(runId) {
      const result = await db.query<CallRow>(
        `SELECT id, task, model, mode, prompt_version, prompt_hash, round, attempt, outcome, input_tokens,
                cache_read_tokens, cache_write_tokens, output_tokens, cost_usd::text AS cost_text, latency_ms,
                request_id, request, response, task_input
           FROM llm_calls WHERE run_id = $1 ORDER BY id`,
        [runId],
      );
      return result.rows.map((r) => ({
        id: r.id,
        task: r.task,
        model: r.model,
        mode: r.mode,
        promptVersion: r.prompt_version,
        promptHash: r.prompt_hash,
        round: r.round,
        attempt: r.attempt,
        outcome: r.outcome,
        inputTokens: r.input_tokens,
        cacheReadTokens: r.cache_read_tokens,
        cacheWriteTokens: r.cache_write_tokens,
        outputTokens: r.output_tokens,
        costUsdText: r.cost_text,
        costUsd: Number(r.cost_text),
        latencyMs: r.latency_ms,
        requestId: r.request_id,
        request: r.request,
        response: r.response,
        taskInput: r.task_input,
      }));
    },
  };
}
