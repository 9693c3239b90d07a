import { decide } from '../policy/decide.ts';
import type { Decision, Policy, PolicyContext } from '../policy/policy-types.ts';
import type { Proposal } from '../policy/proposal.ts';
import type { ActionRegistry } from './action-registry.ts';

/**
 * From a raw proposal (model output or parsed explicit command) to a decision: the schema check
 * first (a malformed proposal never reaches the policy), then the pure policy with the action's
 * risk added to the context. The caller records the result and acts on it.
 */

export type Evaluation =
  | { kind: 'rejected'; reason: string }
  | { kind: 'decided'; proposal: Proposal; decision: Decision };

export function evaluateProposal(
  raw: unknown,
  context: Omit<PolicyContext, 'risk'>,
  deps: { registry: ActionRegistry; policy: Policy; now: Date },
): Evaluation {
  const validated = deps.registry.validate(raw);
  if (!validated.ok) return { kind: 'rejected', reason: validated.reason };
  const decision = decide(validated.proposal, { ...context, risk: validated.risk }, deps.policy, deps.now);
  return { kind: 'decided', proposal: validated.proposal, decision };
}
