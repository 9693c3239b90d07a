import { payloadHash } from './canonical-json.ts';
import { formatDuration } from './duration.ts';
import type { CompiledRule, Decision, Policy } from './policy-types.ts';
import { policyContextSchema } from './policy-types.ts';
import { checkProposal, describeIssues } from './proposal.ts';

/**
 * The policy engine: a pure function of the proposal, its context, the policy and the instant.
 * Rules are tried in file order and the first whose every condition holds decides; when none
 * does, the answer is deny. Anything malformed is denied too, never thrown, so a caller cannot
 * turn a bad input into "no decision".
 */

export interface RuleTrace {
  ruleId: string;
  line: number;
  /** Undefined when the rule matched; otherwise the first condition that did not hold. */
  missedBecause: string | undefined;
}

export interface Explanation {
  decision: Decision;
  /** Each rule tried, in order, up to and including the one that decided. */
  trace: RuleTrace[];
}

export function decide(proposal: unknown, context: unknown, policy: Policy, now: Date): Decision {
  return explainDecision(proposal, context, policy, now).decision;
}

export function explainDecision(proposal: unknown, context: unknown, policy: Policy, now: Date): Explanation {
  const deny = (reason: string, hash = ''): Explanation => ({
    decision: { decision: 'deny', ruleId: null, reason, policyHash: policy.hash, payloadHash: hash },
    trace,
  });
  const trace: RuleTrace[] = [];
  const checked = checkProposal(proposal);
  if (!checked.ok) return deny(checked.reason);
  const ctx = policyContextSchema.safeParse(context);
  if (!ctx.success) return deny(`malformed context: ${describeIssues(ctx.error.issues)}`);
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) return deny('no valid time to decide at');

  const p = checked.proposal;
  const hash = payloadHash(p.action, p.params);
  for (const rule of policy.rules) {
    const missedBecause = firstMiss(rule, p, ctx.data, now);
    trace.push({ ruleId: rule.id, line: rule.line, missedBecause });
    if (missedBecause === undefined) {
      return { decision: ruleDecision(rule, hash, policy.hash, now), trace };
    }
  }
  return deny(`no rule matched ${p.action}; Sluice denies what the policy does not allow`, hash);
}

function firstMiss(
  rule: CompiledRule,
  proposal: Parameters<CompiledRule['matchers'][number]>[0],
  context: Parameters<CompiledRule['matchers'][number]>[1],
  now: Date,
): string | undefined {
  for (const matcher of rule.matchers) {
    const miss = matcher(proposal, context, now);
    if (miss !== undefined) return miss;
  }
  return undefined;
}

function ruleDecision(rule: CompiledRule, hash: string, policyHash: string, now: Date): Decision {
  const base = { decision: rule.decision, ruleId: rule.id, policyHash, payloadHash: hash };
  if (rule.decision !== 'escalate' || !rule.escalation) {
    const fallback = rule.decision === 'auto' ? `rule "${rule.id}" allows it` : `rule "${rule.id}" denies it`;
    return {
      ...base,
      decision: rule.decision === 'escalate' ? 'deny' : rule.decision,
      reason: rule.reason ?? rule.description ?? fallback,
    };
  }
  const e = rule.escalation;
  const who = [...e.approvers.users, ...e.approvers.groups.map((g) => `@${g}`)].join(', ');
  const fallback = `rule "${rule.id}" needs ${e.quorum} approval(s) from ${who} within ${formatDuration(e.expiresInMs)}${
    e.requesterCanApprove ? '' : ', not from the requester'
  }`;
  return {
    ...base,
    reason: rule.reason ?? rule.description ?? fallback,
    approval: {
      approvers: { users: [...e.approvers.users], groups: [...e.approvers.groups] },
      quorum: e.quorum,
      requesterCanApprove: e.requesterCanApprove,
      expiresInMs: e.expiresInMs,
      expiresAt: new Date(now.getTime() + e.expiresInMs).toISOString(),
      warnAt: new Date(now.getTime() + e.expiresInMs - e.warnBeforeMs).toISOString(),
    },
  };
}
