import type { Queryable } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { SlackBlockLike } from '../outbox/slack-writer.ts';
import type { Run } from './run-record.ts';

/**
 * The pipeline's steps, injected into the run processor. Retrieval, the model gateway, the policy
 * engine and the action executors live in their own modules; the processor only needs these
 * small shapes, which is also what lets its tests use plain deterministic functions. Every
 * output is stored on the run before the next step starts, so keep outputs JSON.
 */

export interface StepContext {
  run: Run;
  /** The job attempt (1 for the first). */
  attempt: number;
  signal: AbortSignal;
  logger: Logger;
}

export interface ReplyDraft {
  text: string;
  blocks?: readonly SlackBlockLike[];
}

/** Model and prompt behind an output, and what it cost (summed on the run). */
export interface ModelUsage {
  model: string;
  promptVersion: string;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** The proposal as the processor sees it; src/actions defines the full, schema-checked type. */
export interface ProposalLike {
  /** The registered action, e.g. `http.request`; a pause of `action:<this>` blocks it. */
  action: string;
  input?: unknown;
  [key: string]: unknown;
}

export type ThinkOutcome =
  | { kind: 'answer'; reply: ReplyDraft; usage?: ModelUsage; detail?: unknown }
  | { kind: 'proposal'; proposal: ProposalLike; usage?: ModelUsage };

/** What the (pure) policy decided, and why. */
export interface Decision {
  outcome: 'auto' | 'deny' | 'escalate';
  ruleId: string;
  reason: string;
  policyVersion: string;
  /** For a denial: what to tell the requester (a default names the rule and the reason). */
  reply?: ReplyDraft;
  /** For an escalation: approvers, quorum, expiry... as the approvals module needs them. */
  approval?: unknown;
}

export interface EffectOutcome {
  /** Whether the action did what was asked; a false outcome ends the run as failed. */
  ok: boolean;
  /** What the executor reports (status, a truncated body...), stored and audited. */
  result: unknown;
  reply: ReplyDraft;
}

export interface EffectCall {
  /** `<run id>:execute`: the same on every attempt, so the executor can make repeats harmless. */
  idempotencyKey: string;
  /** 1 for the first start of this effect; higher after a crash or a retry. */
  attempt: number;
}

export interface RunSteps {
  retrieve(ctx: StepContext): Promise<unknown>;
  think(ctx: StepContext): Promise<ThinkOutcome>;
  decide(ctx: StepContext, proposal: ProposalLike): Promise<Decision> | Decision;
  /**
   * Creates the pending approval (approvals module) inside `tx` and returns the card to post.
   * Database writes only: no calls to the outside world in here.
   */
  escalate?(ctx: StepContext, decision: Decision, tx: Queryable): Promise<{ card: ReplyDraft }>;
  /** Runs the action. Must be safe to call again with the same idempotency key. */
  execute(ctx: StepContext, proposal: ProposalLike, call: EffectCall): Promise<EffectOutcome>;
}
