import { parseDuration } from './duration.ts';
import type { ConditionSpec, MatchSpec, PeopleSpec, RuleSpec } from './policy-schema.ts';
import type { CheckedContext, CompiledRule, Matcher } from './policy-types.ts';
import type { Proposal } from './proposal.ts';
import type { PathSegment } from './source-problems.ts';
import { compileTimeWindow, isTimeZone, parseHours, type TimeWindow } from './time-window.ts';

/**
 * Turns one validated rule into matcher functions. Problems found on the way (a regex that does
 * not compile, an unknown time zone, a quorum no approver list can reach) are returned with the
 * path inside the rule, so the loader can point at the line.
 */

export interface RuleProblem {
  path: PathSegment[];
  message: string;
}

export function compileRule(spec: RuleSpec, line: number): { rule: CompiledRule; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const matchers = compileMatch(spec.match, problems);
  const e = spec.escalation;
  if (spec.decision === 'escalate' && !e) {
    problems.push({
      path: ['decision'],
      message: 'decision escalate needs an escalation: block (approvers, quorum)',
    });
  }
  if (spec.decision !== 'escalate' && e) {
    problems.push({
      path: ['escalation'],
      message: `an escalation: block only applies to decision escalate, not ${spec.decision}`,
    });
  }
  let escalation: CompiledRule['escalation'];
  if (e && spec.decision === 'escalate') {
    const users = e.approvers.users ?? [];
    const groups = e.approvers.groups ?? [];
    if (groups.length === 0 && e.quorum > users.length) {
      problems.push({
        path: ['escalation', 'quorum'],
        message: `quorum ${e.quorum} can never be reached: only ${users.length} approver(s) listed and no groups`,
      });
    }
    const expiresInMs = parseDuration(e.expires_in)!;
    const warnBeforeMs = parseDuration(e.warn_before)!;
    if (warnBeforeMs >= expiresInMs) {
      problems.push({
        path: ['escalation', 'warn_before'],
        message: `warn_before (${e.warn_before}) must be shorter than expires_in (${e.expires_in})`,
      });
    }
    escalation = {
      approvers: { users: [...users], groups: groups.map(normalizeGroup) },
      quorum: e.quorum,
      expiresInMs,
      warnBeforeMs,
      requesterCanApprove: e.requester_can_approve,
    };
  }
  return {
    rule: {
      id: spec.id,
      line,
      description: spec.description,
      decision: spec.decision,
      reason: spec.reason,
      matchers,
      escalation,
    },
    problems,
  };
}

function compileMatch(match: MatchSpec, problems: RuleProblem[]): Matcher[] {
  const matchers: Matcher[] = [];
  if (match.action) {
    const list = match.action;
    const globs = list.map(globToRegExp);
    matchers.push((p) =>
      globs.some((g) => g.test(p.action)) ? undefined : `action ${p.action} is not ${list.join(' or ')}`,
    );
  }
  for (const [path, condition] of Object.entries(match.params ?? {})) {
    const m = compileCondition(path, condition, (message, key) =>
      problems.push({ path: ['match', 'params', path, ...(key ? [key] : [])], message }),
    );
    if (m) matchers.push(m);
  }
  if (match.requester) matchers.push(requesterMatcher(match.requester));
  if (match.channel) {
    const list = match.channel;
    matchers.push((_, c) =>
      list.some(
        (ch) =>
          ch === c.channel || (c.channelName !== undefined && ch === `#${c.channelName.replace(/^#/, '')}`),
      )
        ? undefined
        : `channel ${c.channelName ? `#${c.channelName.replace(/^#/, '')} (${c.channel})` : c.channel} is not ${list.join(' or ')}`,
    );
  }
  if (match.environment) {
    const list = match.environment;
    matchers.push((_, c) =>
      c.environment !== undefined && list.includes(c.environment)
        ? undefined
        : c.environment === undefined
          ? 'the request has no environment tag'
          : `environment ${c.environment} is not ${list.join(' or ')}`,
    );
  }
  if (match.risk) {
    const list = match.risk;
    matchers.push((_, c) =>
      c.risk !== undefined && list.includes(c.risk)
        ? undefined
        : `risk ${c.risk ?? 'unknown'} is not ${list.join(' or ')}`,
    );
  }
  if (match.source) {
    const list = match.source;
    matchers.push((p) =>
      list.includes(p.source) ? undefined : `source ${p.source} is not ${list.join(' or ')}`,
    );
  }
  if (match.time) {
    const windows: TimeWindow[] = [];
    for (const [i, w] of match.time.entries()) {
      let ok = true;
      if (!isTimeZone(w.timezone)) {
        problems.push({
          path: ['match', 'time', i, 'timezone'],
          message: `unknown time zone "${w.timezone}"; use an IANA name such as Europe/Berlin or UTC`,
        });
        ok = false;
      }
      if (w.hours !== undefined && !parseHours(w.hours)) {
        problems.push({
          path: ['match', 'time', i, 'hours'],
          message: `hours "${w.hours}" must look like 09:00-17:30 (24-hour clock, start and end differ)`,
        });
        ok = false;
      }
      if (ok) windows.push(compileTimeWindow({ days: w.days, hours: w.hours, timezone: w.timezone }));
    }
    matchers.push((_, __, now) => {
      const misses = windows.map((w) => w.miss(now));
      return misses.some((m) => m === undefined) ? undefined : misses.join('; ');
    });
  }
  return matchers;
}

function requesterMatcher(people: PeopleSpec): Matcher {
  const users = people.users ?? [];
  const groups = (people.groups ?? []).map(normalizeGroup);
  return (_, c) => {
    if (users.includes(c.requester)) return undefined;
    const mine = c.requesterGroups.map(normalizeGroup);
    if (groups.some((g) => mine.includes(g))) return undefined;
    return `requester ${c.requester} is not ${[...users, ...groups.map((g) => `@${g}`)].join(' or ')}`;
  };
}

/** Group handles may be written with or without `@`; ids (S0123) compare as they are. */
export function normalizeGroup(group: string): string {
  return group.trim().replace(/^@/, '');
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function readPath(params: Record<string, unknown>, path: string): unknown {
  let value: unknown = params;
  for (const segment of path.split('.')) {
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      !Object.hasOwn(value, segment)
    ) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function compileCondition(
  path: string,
  c: ConditionSpec,
  problem: (message: string, key?: string) => void,
): Matcher | undefined {
  let pattern: RegExp | undefined;
  if (c.pattern !== undefined) {
    try {
      // Patterns must match the whole value: `staging` must not let `not-staging` through.
      pattern = new RegExp(`^(?:${c.pattern})$`, 'u');
    } catch (error) {
      problem(
        `pattern ${show(c.pattern)} is not a valid regular expression: ${(error as Error).message}`,
        'pattern',
      );
      return undefined;
    }
  }
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
    problem(`min ${c.min} is greater than max ${c.max}; no value can match`, 'min');
  }
  if (c.exists === false && Object.keys(c).length > 1) {
    problem('exists: false cannot be combined with other conditions on the same parameter', 'exists');
  }
  return (proposal: Proposal, _context: CheckedContext) => {
    const value = readPath(proposal.params, path);
    const name = `params.${path}`;
    if (c.exists === false) return value === undefined ? undefined : `${name} is present`;
    if (value === undefined) return `${name} is missing`;
    if (c.equals !== undefined && value !== c.equals)
      return `${name} is ${show(value)}, not ${show(c.equals)}`;
    if (c.one_of !== undefined && !c.one_of.includes(value as string)) {
      return `${name} is ${show(value)}, not one of ${show(c.one_of)}`;
    }
    if (c.min !== undefined || c.max !== undefined) {
      if (typeof value !== 'number') return `${name} is ${show(value)}, not a number`;
      if (c.min !== undefined && value < c.min) return `${name} is ${value}, below ${c.min}`;
      if (c.max !== undefined && value > c.max) return `${name} is ${value}, above ${c.max}`;
    }
    if (pattern) {
      if (typeof value !== 'string') return `${name} is ${show(value)}, not text`;
      if (!pattern.test(value)) return `${name} is ${show(value)}, which does not match ${show(c.pattern)}`;
    }
    return undefined;
  };
}
