import { parsePolicy } from '../../../src/policy/parse-policy.ts';
import type { Policy, PolicyContext } from '../../../src/policy/policy-types.ts';
import type { Proposal } from '../../../src/policy/proposal.ts';

/** Builds a policy from rules written as YAML list items (indented two spaces under `rules:`). */
export function policyOf(rules: string, file = 'test-policy.yaml'): Policy {
  return parsePolicy(`version: 1\nrules:\n${rules}`, file);
}

export function proposal(
  action: string,
  params: Record<string, unknown> = {},
  source: Proposal['source'] = 'model',
): Proposal {
  return { action, params: params as Proposal['params'], source };
}

export const restart = (
  environment: string,
  service = 'payments-worker',
  source: Proposal['source'] = 'model',
) => proposal('http.request', { endpoint: 'restart-service', params: { service, environment } }, source);

export const ctx = (overrides: Partial<PolicyContext> = {}): PolicyContext => ({
  requester: 'U_ALICE',
  requesterGroups: [],
  channel: 'C_OPS',
  ...overrides,
});

/** A Wednesday, 10:30 UTC. */
export const WEDNESDAY_1030_UTC = new Date('2025-03-05T10:30:00Z');
