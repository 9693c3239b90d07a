import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { proposalSources } from './proposal.ts';
import { weekdays } from './time-window.ts';

/**
 * The policy file as written by people (see docs/policy.md). Structural checks live here; checks
 * that need the whole rule (quorum against approvers, regexes, time zones, duplicate ids) live in
 * the compiler, so both kinds of error can name the line and the rule.
 */

export const decisions = ['auto', 'deny', 'escalate'] as const;
export type DecisionKind = (typeof decisions)[number];

export const actionRisks = ['low', 'medium', 'high'] as const;
export type ActionRisk = (typeof actionRisks)[number];

const text = z.string().trim().min(1, 'must not be empty');
const scalar = z.union([z.string(), z.number(), z.boolean()], {
  error: 'must be text, a number or true/false',
});

/** A single value may stand for a list of one, so `action: http.request` reads naturally. */
function oneOrMany<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item).min(1));
}

function duration(fallback: string, minMs: number, maxMs: number) {
  return z
    .string()
    .default(fallback)
    .refine(
      (v) => {
        const ms = parseDuration(v);
        return ms !== undefined && ms >= minMs && ms <= maxMs;
      },
      `must be a duration such as 30m, 2h or 1h30m, from ${minMs / 60_000}m to ${maxMs / 86_400_000}d`,
    );
}

/** Short forms: a bare value means `equals`, a bare list means `one_of`. */
export const conditionSchema = z.preprocess(
  (v) =>
    typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
      ? { equals: v }
      : Array.isArray(v)
        ? { one_of: v }
        : v,
  z
    .strictObject({
      equals: scalar.optional(),
      one_of: z.array(scalar).min(1).optional(),
      min: z.number().optional(),
      max: z.number().optional(),
      pattern: z.string().optional(),
      exists: z.boolean().optional(),
    })
    .refine(
      (c) => Object.keys(c).length > 0,
      'a condition needs equals, one_of, min, max, pattern or exists',
    ),
);

export const peopleSchema = z
  .strictObject({ users: z.array(text).optional(), groups: z.array(text).optional() })
  .refine((p) => (p.users?.length ?? 0) + (p.groups?.length ?? 0) > 0, 'list at least one user or group');

export const timeWindowSchema = z.strictObject({
  days: z
    .array(z.enum(weekdays, { error: `must be one of ${weekdays.join(', ')}` }))
    .min(1)
    .optional(),
  hours: z.string().optional(),
  timezone: text.default('UTC'),
});

const paramPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/, {
  error: 'parameter paths are names joined by dots, such as params.environment',
});

export const matchSchema = z.strictObject({
  action: oneOrMany(text).optional(),
  params: z.record(paramPath, conditionSchema).optional(),
  requester: peopleSchema.optional(),
  channel: oneOrMany(text).optional(),
  environment: oneOrMany(text).optional(),
  risk: oneOrMany(z.enum(actionRisks)).optional(),
  source: oneOrMany(z.enum(proposalSources)).optional(),
  time: oneOrMany(timeWindowSchema).optional(),
});

export const escalationSchema = z.strictObject({
  approvers: peopleSchema,
  quorum: z.int().min(1).max(20).default(1),
  expires_in: duration('30m', 60_000, 7 * 86_400_000),
  warn_before: duration('5m', 0, 7 * 86_400_000),
  requester_can_approve: z.boolean().default(false),
});

export const ruleSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'rule ids are letters, digits, - and _ (up to 64 characters)'),
  description: z.string().optional(),
  match: matchSchema.default({}),
  decision: z.enum(decisions, { error: 'decision must be auto, deny or escalate' }),
  reason: text.optional(),
  escalation: escalationSchema.optional(),
});

export const policyFileSchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1' }),
  rules: z.array(ruleSchema),
});

export type PolicyFile = z.infer<typeof policyFileSchema>;
export type RuleSpec = z.infer<typeof ruleSchema>;
export type MatchSpec = z.infer<typeof matchSchema>;
export type ConditionSpec = z.infer<typeof conditionSchema>;
export type EscalationSpec = z.infer<typeof escalationSchema>;
export type PeopleSpec = z.infer<typeof peopleSchema>;

/** Every key the file may use, offered as suggestions for misspelt ones. */
export const policyKeywords = [
  'version',
  'rules',
  'id',
  'description',
  'match',
  'decision',
  'reason',
  'escalation',
  'action',
  'params',
  'requester',
  'channel',
  'environment',
  'risk',
  'source',
  'time',
  'equals',
  'one_of',
  'min',
  'max',
  'pattern',
  'exists',
  'users',
  'groups',
  'days',
  'hours',
  'timezone',
  'approvers',
  'quorum',
  'expires_in',
  'warn_before',
  'requester_can_approve',
] as const;
