import type { ActionResult } from './define-action.ts';

/**
 * The executor's memory: one row per idempotency key saying whether its effect is running,
 * done (with the recorded result) or failed. Executing under a key first claims it; only the
 * claimant calls the world, so two invocations with one key produce one effect.
 */

export type ClaimResult =
  /** Yours: call the executor, then `complete` or `fail` with this attempt number. */
  | { kind: 'claimed'; attempt: number }
  /** Already settled: replay this outcome, do not act again. */
  | { kind: 'settled'; status: 'succeeded' | 'failed'; result: ActionResult | null; error: string | null }
  /** Another attempt holds the key and its lease has not run out. */
  | { kind: 'in_progress' }
  /** An attempt died mid-effect and the action cannot safely be retried: a person must check. */
  | { kind: 'uncertain' }
  /** The key was used for a different payload: a bug in the caller, never executed. */
  | { kind: 'payload_mismatch'; recordedPayloadHash: string };

export interface ClaimRequest {
  key: string;
  action: string;
  payloadHash: string;
  runId: string | null;
  /** How long the claim holds before another attempt may take over. */
  leaseMs: number;
  /** Whether a lapsed claim (outcome unknown) may be taken over and the executor called again. */
  retryUnknownOutcome: boolean;
}

export interface EffectLedger {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Records the outcome; a failed result that is retryable leaves the key open for another attempt. */
  complete(key: string, attempt: number, result: ActionResult): Promise<void>;
  /** Records an error thrown by the executor (or a pause found just before it). */
  fail(key: string, attempt: number, error: string, retryable: boolean): Promise<void>;
}
