import { sha256Hex } from './canonical-json.ts';
import { compileRule } from './compile-rule.ts';
import { policyFileSchema, policyKeywords } from './policy-schema.ts';
import type { CompiledRule, Policy } from './policy-types.ts';
import {
  ConfigFileError,
  issuesToProblems,
  type OwnerOf,
  type PathSegment,
  type SourceProblem,
} from './source-problems.ts';
import { parseYamlSource } from './yaml-source.ts';

/**
 * Loads a policy from the text of its file (the caller reads the file: this folder does no I/O).
 * Every problem names the file, the line and the rule; all of them are reported at once.
 */

export type PolicyCheck =
  | { ok: true; policy: Policy; warnings: SourceProblem[] }
  | { ok: false; problems: SourceProblem[] };

export function checkPolicy(text: string, file: string): PolicyCheck {
  const source = parseYamlSource(text, file);
  if (source.problems.length > 0) return { ok: false, problems: source.problems };
  if (source.data === null || source.data === undefined) {
    return {
      ok: false,
      problems: [problemAt(file, 1, [], 'the file is empty; it needs version: 1 and a rules: list')],
    };
  }
  if (typeof source.data !== 'object' || Array.isArray(source.data)) {
    return {
      ok: false,
      problems: [problemAt(file, 1, [], 'the file must be a mapping with version: 1 and rules:')],
    };
  }

  const rawRules = (source.data as { rules?: unknown }).rules;
  const ownerOf: OwnerOf = (path) => {
    if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
    const id = Array.isArray(rawRules) ? (rawRules[path[1]] as { id?: unknown } | undefined)?.id : undefined;
    return {
      owner: typeof id === 'string' && id ? `rule "${id}"` : `rule #${path[1] + 1}`,
      rest: path.slice(2),
    };
  };

  const parsed = policyFileSchema.safeParse(source.data);
  if (!parsed.success) {
    return {
      ok: false,
      problems: issuesToProblems(parsed.error.issues, source, source.data, ownerOf, policyKeywords),
    };
  }

  const problems: SourceProblem[] = [];
  const warnings: SourceProblem[] = [];
  const rules: CompiledRule[] = [];
  const firstLineOfId = new Map<string, number>();
  for (const [index, spec] of parsed.data.rules.entries()) {
    const at = (path: PathSegment[]) => ({ file, ...source.locate(['rules', index, ...path]) });
    const line = at([]).line;
    const previous = firstLineOfId.get(spec.id);
    if (previous !== undefined) {
      problems.push({
        ...at(['id']),
        path: ['rules', index, 'id'],
        owner: `rule "${spec.id}"`,
        message: `duplicate rule id; "${spec.id}" is already used by the rule on line ${previous}`,
      });
    } else firstLineOfId.set(spec.id, line);
    const compiled = compileRule(spec, line);
    for (const p of compiled.problems) {
      problems.push({
        ...at(p.path),
        path: ['rules', index, ...p.path],
        owner: `rule "${spec.id}"`,
        message: p.message,
      });
    }
    rules.push(compiled.rule);
  }

  const catchAll = rules.findIndex((r) => r.matchers.length === 0);
  if (catchAll >= 0 && catchAll < rules.length - 1) {
    const shadowed = rules.slice(catchAll + 1).map((r) => `"${r.id}"`);
    warnings.push({
      file,
      line: rules[catchAll + 1]!.line,
      column: 1,
      path: ['rules', catchAll + 1],
      owner: `rule "${rules[catchAll]!.id}"`,
      message: `matches every proposal, so the rules after it (${shadowed.join(', ')}) can never match`,
    });
  }
  if (rules.length === 0)
    warnings.push(problemAt(file, 1, ['rules'], 'no rules: every proposal will be denied'));
  if (problems.length > 0) return { ok: false, problems };
  const policy: Policy = { file, hash: sha256Hex(text), rules, warnings };
  return { ok: true, policy, warnings };
}

/** Like `checkPolicy`, but throws a ConfigFileError listing every problem. */
export function parsePolicy(text: string, file: string): Policy {
  const checked = checkPolicy(text, file);
  if (!checked.ok) throw new ConfigFileError(`Policy file ${file}`, checked.problems);
  return checked.policy;
}

function problemAt(file: string, line: number, path: PathSegment[], message: string): SourceProblem {
  return { file, line, column: 1, path, message };
}
