import { z } from 'zod';
import type { ActionRisk, DecisionKind } from './policy-schema.ts';
import { actionRisks } from './policy-schema.ts';
import type { Proposal } from './proposal.ts';
import type { SourceProblem } from './source-problems.ts';

/**
 * Terminology of the policy engine.
 *
 * - policy: the ordered rules loaded from one file, with that file's hash; the first rule that
 *   matches decides, and no match means deny.
 * - context: who asked, where, in which environment: facts the caller establishes (Slack user
 *   groups resolved, the action's risk looked up) and passes in, since the engine does no I/O.
 * - decision: auto (run now), deny (refuse, say which rule and why) or escalate (wait for
 *   approvers), always with the rule id, a human reason, the policy hash and the payload hash.
 */

export const policyContextSchema = z.object({
  requester: z.string().min(1),
  /** Slack user group ids and/or handles the requester belongs to. */
  requesterGroups: z.array(z.string()).default([]),
  channel: z.string().min(1),
  channelName: z.string().optional(),
  environment: z.string().optional(),
  risk: z.enum(actionRisks).optional(),
});

export type PolicyContext = z.input<typeof policyContextSchema>;
export type CheckedContext = z.output<typeof policyContextSchema>;

/** One condition of a rule, compiled: undefined when it holds, otherwise why it does not. */
export type Matcher = (proposal: Proposal, context: CheckedContext, now: Date) => string | undefined;

export interface Approvers {
  users: string[];
  groups: string[];
}

export interface EscalationRule {
  approvers: Approvers;
  quorum: number;
  expiresInMs: number;
  warnBeforeMs: number;
  requesterCanApprove: boolean;
}

export interface CompiledRule {
  id: string;
  line: number;
  description: string | undefined;
  decision: DecisionKind;
  reason: string | undefined;
  matchers: Matcher[];
  escalation: EscalationRule | undefined;
}

export interface Policy {
  file: string;
  /** sha256 of the file's exact text; recorded with every decision. */
  hash: string;
  rules: CompiledRule[];
  /** Problems that do not stop the policy from working (an unreachable rule, no rules at all). */
  warnings: SourceProblem[];
}

/** What approval an escalation asks for, with absolute times computed from `now`. */
export interface ApprovalRequirement {
  approvers: Approvers;
  quorum: number;
  requesterCanApprove: boolean;
  expiresInMs: number;
  expiresAt: string;
  warnAt: string;
}

export interface Decision {
  decision: DecisionKind;
  /** The rule that decided; null when no rule matched or the proposal was malformed. */
  ruleId: string | null;
  reason: string;
  policyHash: string;
  /** Hash of the canonical action + params decided on; empty when the proposal was malformed. */
  payloadHash: string;
  approval?: ApprovalRequirement;
}

export type { ActionRisk, DecisionKind };
