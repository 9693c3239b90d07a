import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { PathSegment, SourceProblem } from './source-problems.ts';

/**
 * Human-edited YAML files (the policy, the endpoints) are parsed keeping positions, so every
 * problem can name the file, the line and, inside a rule list, the rule it belongs to.
 */

export interface YamlSource {
  file: string;
  /** The parsed value, or undefined when the YAML itself is broken (see `problems`). */
  data: unknown;
  problems: SourceProblem[];
  /** Line and column of the node at `path`, or of its nearest existing parent. */
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const problems: SourceProblem[] = doc.errors.map((error) => ({
    file,
    ...position(error.pos[0]),
    path: [],
    message: `YAML syntax: ${firstLine(error.message)}`,
  }));
  let data: unknown;
  if (problems.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push({ file, line: 1, column: 1, path: [], message: `YAML: ${(error as Error).message}` });
    }
  }
  return {
    file,
    data,
    problems,
    locate(path) {
      let node: unknown = doc.contents;
      let offset = rangeStart(node) ?? 0;
      for (const segment of path) {
        // A single value written where a list is allowed was wrapped as a list of one.
        if (segment === 0 && !isSeq(node)) continue;
        const next = child(node, segment);
        if (!next) break;
        offset = next.offset ?? offset;
        node = next.node;
      }
      return position(offset);
    },
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null)?.range?.[0];
}

function child(
  node: unknown,
  segment: PathSegment,
): { node: unknown; offset: number | undefined } | undefined {
  if (isMap(node)) {
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment)) {
        return { node: item.value, offset: rangeStart(item.key) };
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { node: item, offset: rangeStart(item) };
  }
  return undefined;
}
