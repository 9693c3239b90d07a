import type { z } from 'zod';
import { SluiceError } from '../errors.ts';
import type { ActionRisk } from '../policy/policy-schema.ts';
import { actionNamePattern, checkProposal, describeIssues, type Proposal } from '../policy/proposal.ts';
import type { ActionDefinition } from './define-action.ts';

/**
 * The actions Sluice can take. The model's tool list is generated from it, and every proposal
 * (from the model or an explicit command) is checked against it before the policy sees it.
 */

export interface ActionTool {
  name: string;
  description: string;
  input: z.ZodType;
}

export type ValidatedProposal =
  | { ok: true; proposal: Proposal; action: ActionDefinition; input: unknown; risk: ActionRisk }
  | { ok: false; reason: string };

export interface ActionRegistry {
  get(name: string): ActionDefinition | undefined;
  names(): string[];
  /** For the model gateway: `{ name, description, input }` per action, in registration order. */
  tools(): ActionTool[];
  /** Schema-checks a proposal: a known action and parameters its input schema accepts. */
  validate(proposal: unknown): ValidatedProposal;
}

export function createActionRegistry(actions: readonly ActionDefinition[]): ActionRegistry {
  const byName = new Map<string, ActionDefinition>();
  for (const action of actions) {
    if (!actionNamePattern.test(action.name)) {
      throw new SluiceError('invalid_input', `action name "${action.name}" must be dotted lower-case words`);
    }
    if (byName.has(action.name))
      throw new SluiceError('invalid_input', `action "${action.name}" is registered twice`);
    byName.set(action.name, action);
  }
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    tools: () => actions.map((a) => ({ name: a.name, description: a.description, input: a.input })),
    validate(raw) {
      const checked = checkProposal(raw);
      if (!checked.ok) return checked;
      const proposal = checked.proposal;
      const action = byName.get(proposal.action);
      if (!action) {
        return {
          ok: false,
          reason: `unknown action "${proposal.action}"; known actions: ${[...byName.keys()].join(', ') || 'none'}`,
        };
      }
      const parsed = action.input.safeParse(proposal.params);
      if (!parsed.success) {
        return {
          ok: false,
          reason: `invalid parameters for ${action.name}: ${describeIssues(parsed.error.issues)}`,
        };
      }
      const risk = action.riskOf ? action.riskOf(parsed.data) : action.risk;
      return { ok: true, proposal, action, input: parsed.data, risk };
    },
  };
}
