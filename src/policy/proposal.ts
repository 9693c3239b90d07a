import { z } from 'zod';

/**
 * A proposal: an action someone (the model, the fallback model, or a person typing an explicit
 * command) wants Sluice to take. It is only a wish: the action's schema validates it, the policy
 * decides on it, and only an executor touches the world.
 */

export const proposalSources = ['explicit', 'model', 'fallback_model'] as const;
export type ProposalSource = (typeof proposalSources)[number];

/** Action names are dotted lower-case words: `http.request`, `slack.post_message`, `acme.rotate_key`. */
export const actionNamePattern = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;

/** Keys that would reach an object's prototype when copied; never valid in parameters. */
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbiddenKey(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const at = path ? `${path}.${key}` : key;
    if (forbiddenKeys.has(key)) return at;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], at);
    if (found) return found;
  }
  return undefined;
}

export const proposalParamsSchema = z
  .custom<Record<string, unknown>>(
    (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
    'params must be an object of named values',
  )
  .superRefine((params, ctx) => {
    const bad = findForbiddenKey(params, '');
    if (bad) ctx.addIssue({ code: 'custom', message: `parameter name "${bad}" is not allowed` });
  })
  .pipe(z.record(z.string(), z.json()));

export const proposalSchema = z.strictObject({
  action: z
    .string()
    .max(64)
    .regex(actionNamePattern, 'action must be a dotted lower-case name such as http.request'),
  params: proposalParamsSchema,
  source: z.enum(proposalSources),
  rationale: z.string().max(4000).optional(),
});

export type Proposal = z.infer<typeof proposalSchema>;

export type ProposalCheck = { ok: true; proposal: Proposal } | { ok: false; reason: string };

/** Validates anything claiming to be a proposal; the reason names every problem found. */
export function checkProposal(value: unknown): ProposalCheck {
  const parsed = proposalSchema.safeParse(value);
  if (parsed.success) return { ok: true, proposal: parsed.data };
  return { ok: false, reason: `malformed proposal: ${describeIssues(parsed.error.issues)}` };
}

/** One line per zod issue, prefixed by where it is: `params.count: expected number`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const where = issue.path.map(String).join('.');
      return where ? `${where}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
