import { approvalRefusal } from '../approvals/approval-allows.ts';
import type { Approval } from '../approvals/approval-types.ts';
import { SluiceError, toSluiceError } from '../errors.ts';
import { payloadHash } from '../policy/canonical-json.ts';
import { decide } from '../policy/decide.ts';
import type { ActionRisk } from '../policy/policy-schema.ts';
import type { Policy, PolicyContext } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';
import type { ActionRegistry } from './action-registry.ts';
import type { ActionContext, ActionResult } from './define-action.ts';
import type { EffectLedger } from './effect-ledger.ts';

/**
 * The only way an executor is called. It refuses unless the exact payload is allowed: the policy,
 * asked again here, says `auto` for it, or an approval pinned to the same hash reached its
 * quorum. A decision object is never trusted on its own, so a corrupted or forged one cannot
 * open the gate. It then asks the kill switch and the budget immediately before acting, and runs
 * the executor at most once per idempotency key.
 */

export type Authorization =
  /** Allowed without people: the policy must decide `auto` for this proposal, in this context, at that time. */
  | { kind: 'policy'; policy: Policy; context: PolicyContext; decidedAt: Date }
  /** Allowed by people: an approved approval whose pinned payload is this proposal's. */
  | { kind: 'approval'; approval: Approval };

export interface ExecuteRequest {
  proposal: unknown;
  authorization: Authorization;
  context: ActionContext;
}

export interface ExecuteDeps {
  registry: ActionRegistry;
  ledger: EffectLedger;
  /**
   * Called after the key is claimed and right before the executor: throws when a pause covers
   * this action or channel, or the budget is spent (src/control provides both checks).
   */
  beforeEffect?: (target: { action: string; channelId: string; runId: string }) => Promise<void>;
}

export interface EffectOutcome {
  idempotencyKey: string;
  /** `executed`: the executor ran now; `replayed`: the key was settled before, nothing ran. */
  status: 'executed' | 'replayed';
  ok: boolean;
  result: ActionResult | null;
  error: string | null;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** The lease outlives the executor's timeout so a slow but live attempt is never taken over. */
const LEASE_MARGIN_MS = 30_000;

export async function executeAction(request: ExecuteRequest, deps: ExecuteDeps): Promise<EffectOutcome> {
  const validated = deps.registry.validate(request.proposal);
  if (!validated.ok) throw new SluiceError('invalid_input', validated.reason);
  const { proposal, action, input, risk } = validated;
  const hash = payloadHash(proposal.action, proposal.params);
  const refusal = authorizationRefusal(request.authorization, proposal, risk);
  if (refusal) throw new SluiceError('forbidden', `not executed: ${refusal}`);

  const key = action.idempotencyKey(input, request.context);
  if (typeof key !== 'string' || key.length === 0 || key.length > 300) {
    throw new SluiceError('internal', `action ${action.name} produced an unusable idempotency key`);
  }
  const timeoutMs = action.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const claim = await deps.ledger.claim({
    key,
    action: action.name,
    payloadHash: hash,
    runId: request.context.runId,
    leaseMs: timeoutMs + LEASE_MARGIN_MS,
    retryUnknownOutcome: action.retryUnknownOutcome ?? false,
  });
  switch (claim.kind) {
    case 'settled':
      return {
        idempotencyKey: key,
        status: 'replayed',
        ok: claim.status === 'succeeded',
        result: claim.result,
        error: claim.error,
      };
    case 'in_progress':
      throw new SluiceError('conflict', `effect ${key} is being executed by another attempt`, {
        retryable: true,
        retryAfterMs: 5000,
      });
    case 'uncertain':
      throw new SluiceError(
        'conflict',
        `effect ${key} was interrupted and may or may not have happened; check ${action.name} by hand`,
      );
    case 'payload_mismatch':
      throw new SluiceError('conflict', `idempotency key ${key} was already used for a different payload`);
  }

  try {
    await deps.beforeEffect?.({
      action: action.name,
      channelId: request.context.channel,
      runId: request.context.runId,
    });
  } catch (error) {
    // Nothing happened, so the key stays open for when the pause is lifted or budget restored.
    await deps.ledger.fail(key, claim.attempt, toSluiceError(error).message, true);
    throw error;
  }

  let result: ActionResult;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    result = await action.execute(input, {
      ...request.context,
      idempotencyKey: key,
      attempt: claim.attempt,
      signal,
    });
  } catch (error) {
    const e = toSluiceError(error);
    await deps.ledger.fail(key, claim.attempt, e.message, e.retryable);
    throw e;
  }
  await deps.ledger.complete(key, claim.attempt, result);
  return {
    idempotencyKey: key,
    status: 'executed',
    ok: result.ok,
    result,
    error: result.ok ? null : result.summary,
  };
}

function authorizationRefusal(
  authorization: Authorization,
  proposal: Proposal,
  risk: ActionRisk,
): string | undefined {
  if (authorization.kind === 'policy') {
    const { policy, context, decidedAt } = authorization;
    const d = decide(proposal, { ...context, risk }, policy, decidedAt);
    if (d.decision !== 'auto')
      return `the policy decides ${d.decision} for these parameters, not auto: ${d.reason}`;
    return undefined;
  }
  if (authorization.kind === 'approval') {
    return approvalRefusal(authorization.approval, proposal.action, proposal.params);
  }
  return 'no authorization given';
}
