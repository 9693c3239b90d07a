import { picoToUsd } from './price-table.ts';
import type { Prompt } from './prompt-library.ts';
import { type CacheableTask, cacheKey, type ResponseCache } from './response-cache.ts';
import { type RouteDeps, routeTask } from './route-task.ts';
import { askStructured, type StructuredDeps, type StructuredSpec } from './structured-call.ts';
import type { CallContext, DegradedReason, GatewayMode, ModelRef } from './types.ts';

/** One task end to end: response cache, then the model ladder, then no-model mode. */

export interface TaskOutcome {
  /** Record this on the run: policy may treat fallback and model-free proposals differently. */
  mode: GatewayMode;
  /** `provider:model` that produced the result, or null in no-model mode. */
  model: string | null;
  degradedReason?: DegradedReason;
  /** Served from the response cache (no tokens spent). */
  cached: boolean;
  /** The first reply failed validation and the repair turn fixed it. */
  repaired: boolean;
  promptVersion: string;
  promptHash: string;
  /** Rows in llm_calls behind this result (failed attempts are there too, by run id). */
  callIds: number[];
  costUsd: number;
}

export interface RunTaskDeps extends StructuredDeps, RouteDeps {
  cache: ResponseCache;
}

export interface RunTaskArgs<T> {
  ctx: CallContext;
  spec: StructuredSpec<T>;
  candidates: ModelRef[];
  /** Present for cacheable tasks only (triage and answer). */
  cache?: { task: CacheableTask; input: string; chunkIds: readonly string[] };
  withoutModel: (reason: DegradedReason) => T;
}

export async function runTask<T>(
  deps: RunTaskDeps,
  args: RunTaskArgs<T>,
): Promise<{ value: T; outcome: TaskOutcome }> {
  const { ctx, spec, candidates } = args;
  const prompt: Prompt = spec.prompt;
  const base = { promptVersion: prompt.version, promptHash: prompt.hash };
  const keyFor = (ref: ModelRef) =>
    args.cache ? cacheKey({ ...args.cache, promptHash: prompt.hash, model: ref.id }) : undefined;

  for (const [i, ref] of candidates.entries()) {
    const key = keyFor(ref);
    if (!key) break;
    const hit = await deps.cache.get(key);
    if (hit === undefined) continue;
    const mode = i === 0 ? 'model' : 'fallback';
    const callId = await deps.callLog.record({
      runId: ctx.runId,
      userId: ctx.userId,
      correlationId: ctx.correlationId,
      task: spec.task,
      provider: ref.provider,
      model: ref.model,
      mode,
      ...base,
      round: 0,
      attempt: 0,
      outcome: 'cache_hit',
      usage: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
      costPico: 0n,
      latencyMs: 0,
      requestId: null,
      stopReason: null,
      errorCode: null,
      errorMessage: null,
      request: { cacheKey: key },
      response: hit,
    });
    return {
      value: hit as T,
      outcome: { mode, model: ref.id, cached: true, repaired: false, ...base, callIds: [callId], costUsd: 0 },
    };
  }

  const routed = await routeTask(deps, {
    ctx,
    task: spec.task,
    candidates,
    attempt: (ref, mode) => askStructured(deps, { ctx, ref, mode, spec }),
  });
  if (routed.mode === 'no-model') {
    return {
      value: args.withoutModel(routed.reason),
      outcome: {
        mode: 'no-model',
        model: null,
        degradedReason: routed.reason,
        cached: false,
        repaired: false,
        ...base,
        callIds: [],
        costUsd: 0,
      },
    };
  }
  const result = routed.value;
  const key = keyFor(routed.ref);
  if (key && args.cache) {
    await deps.cache.put(key, {
      task: args.cache.task,
      model: routed.ref.id,
      promptHash: prompt.hash,
      value: result.value,
    });
  }
  return {
    value: result.value,
    outcome: {
      mode: routed.mode,
      model: routed.ref.id,
      cached: false,
      repaired: result.repaired,
      ...base,
      callIds: result.callIds,
      costUsd: Number(picoToUsd(result.costPico)),
    },
  };
}
