import type { z } from 'zod';
import type { ActionRisk } from '../policy/policy-schema.ts';

/**
 * Terminology of actions.
 *
 * - action: a registered capability with an input schema, a risk level, an idempotency key and
 *   an executor. The model only ever sees its name, description and schema.
 * - effect: what an executor does to the world (a Slack post, an HTTP call), at most once per
 *   idempotency key; the effects ledger remembers each key's outcome.
 * - idempotency key: names one intended effect. The same run step asking again gets the same
 *   key, so a retry after a crash replays the recorded outcome instead of acting twice.
 */

/** Who and what an effect belongs to; the run state machine fills it. */
export interface ActionContext {
  runId: string;
  /** The step of the run this effect is, e.g. `effect:1`; with the run id it names the effect. */
  step: string;
  requester: string;
  channel: string;
  correlationId?: string;
}

export interface ExecutionContext extends ActionContext {
  idempotencyKey: string;
  /** 1 for the first attempt under this key; higher after a retry or a takeover. */
  attempt: number;
  /** Aborted on the executor's timeout; pass it to every I/O call. */
  signal: AbortSignal;
}

/** JSON-safe, so it can be stored in the ledger and the audit log as it is. */
export interface ActionResult {
  /** Whether the effect did what was asked (an HTTP 4xx is an effect that happened but failed). */
  ok: boolean;
  /** One line for Slack and the audit log, without secrets. */
  summary: string;
  data?: Record<string, unknown>;
  /** For a failed result: may the same key be tried again (an HTTP 503), or is it final (a 400)? */
  retryable?: boolean;
}

export interface ActionDefinition<S extends z.ZodType = z.ZodType> {
  /** Dotted lower-case name, e.g. `http.request`. */
  name: string;
  /** What the action does, for the model's tool list and for people reading the policy. */
  description: string;
  input: S;
  risk: ActionRisk;
  /** A finer risk for one input (e.g. per HTTP endpoint); defaults to `risk`. */
  riskOf?(input: z.output<S>): ActionRisk;
  /** The key this effect is executed at most once under. Must not depend on the clock. */
  idempotencyKey(input: z.output<S>, ctx: ActionContext): string;
  execute(input: z.output<S>, ctx: ExecutionContext): Promise<ActionResult>;
  /**
   * If an attempt died without recording its outcome, may the executor be called again under the
   * same key? True only when the far side deduplicates by the key (an `Idempotency-Key` header,
   * an upsert); otherwise the effect is marked uncertain and a person decides.
   */
  retryUnknownOutcome?: boolean;
  /** Milliseconds before the executor's signal aborts; default 30 s. */
  timeoutMs?: number;
  /** Minutes a person would spend doing this by hand; the digest's hours-saved baseline. */
  baselineMinutes?: number;
}

/** Identity at runtime; gives the executor and key function their input type from the schema. */
export function defineAction<S extends z.ZodType>(definition: ActionDefinition<S>): ActionDefinition<S> {
  return definition;
}

/** The key issue 4 prescribes for every effect: the run id plus the step. */
export function runStepKey(_input: unknown, ctx: ActionContext): string {
  return `${ctx.runId}:${ctx.step}`;
}
