import type { z } from 'zod';
import { SluiceError } from '../errors.ts';

export type PathSegment = string | number;

/** One thing wrong in a human-edited file, positioned so the person can go straight to it. */
export interface SourceProblem {
  file: string;
  line: number;
  column: number;
  path: PathSegment[];
  /** The rule (or endpoint) the problem is in, when there is one: `rule "prod"`, `rule #3`. */
  owner?: string;
  message: string;
}

export interface ProblemSource {
  file: string;
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

/** Where a path is: the rule or endpoint it belongs to, and the path inside that owner. */
export type OwnerOf = (path: readonly PathSegment[]) => { owner: string; rest: PathSegment[] } | undefined;

/**
 * Turns zod issues into positioned problems. `data` is the parsed file (to tell a missing key
 * from a wrong one); `keywords` are the file's known keys, offered for misspelt ones.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  source: ProblemSource,
  data: unknown,
  ownerOf: OwnerOf,
  keywords: readonly string[],
): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const push = (path: PathSegment[], message: (where: string) => string) => {
    const owned = ownerOf(path);
    const where = (owned ? owned.rest : path).join('.');
    problems.push({
      file: source.file,
      ...source.locate(path),
      path,
      owner: owned?.owner,
      message: message(where),
    });
  };
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = closestWord(key, keywords);
        push([...path, key], (where) => `unknown key "${where}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
    } else if (issue.code === 'invalid_key') {
      const inner = issue.issues.map((i) => i.message).join('; ');
      push(path, (where) => `${where}: ${inner}`);
    } else if (path.length > 0 && valueAt(data, path) === undefined) {
      push(path, (where) => `"${where}" is missing (${issue.message})`);
    } else {
      push(path, (where) => (where ? `${where}: ${issue.message}` : issue.message));
    }
  }
  return problems;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    // A single value written where a list is allowed: the zod path says [0], the file has none.
    if (segment === 0 && !Array.isArray(value)) continue;
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** `policy.yaml:12:5: rule "prod": escalation.quorum: must be at least 1` */
export function formatProblem(problem: SourceProblem): string {
  const owner = problem.owner ? `${problem.owner}: ` : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${owner}${problem.message}`;
}

/** A human-edited configuration file that cannot be used; `problems` lists everything found. */
export class ConfigFileError extends SluiceError {
  readonly problems: SourceProblem[];
  constructor(what: string, problems: SourceProblem[]) {
    super(
      'config_invalid',
      `${what} is invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    );
    this.name = 'ConfigFileError';
    this.problems = problems;
  }
}

/** Closest candidate by edit distance, for "did you mean" hints on misspelt keys. */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
