/**
 * Compares a value with a documented example by shape: every key of the example must be present
 * with the same JSON type (null, boolean, number, string, array, object), recursively; the nth
 * element of an array is compared with the example's nth (or its last, when the example is
 * shorter), so a thread's parent and replies each meet their own documented shape. Extra keys are allowed, as
 * Slack itself returns more than its examples show. `optional` lists dotted paths (array indexes
 * written as `[]`) that may be absent, each with the reason.
 */
export function shapeDifferences(
  documented: unknown,
  actual: unknown,
  optional: Record<string, string> = {},
  path = '',
): string[] {
  const expectedType = jsonType(documented);
  const actualType = jsonType(actual);
  if (expectedType !== actualType)
    return [`${path || '(root)'}: documented ${expectedType}, got ${actualType}`];
  if (expectedType === 'array') {
    const examples = documented as unknown[];
    if (examples.length === 0) return [];
    return (actual as unknown[]).flatMap((item, i) =>
      shapeDifferences(examples[Math.min(i, examples.length - 1)], item, optional, `${path}[]`),
    );
  }
  if (expectedType !== 'object') return [];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(documented as Record<string, unknown>)) {
    const here = path ? `${path}.${key}` : key;
    if (!(key in (actual as Record<string, unknown>))) {
      if (!(here in optional)) problems.push(`${here}: missing`);
      continue;
    }
    problems.push(...shapeDifferences(value, (actual as Record<string, unknown>)[key], optional, here));
  }
  return problems;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
