/**
 * A canonical JSON text for hashing: object keys sorted at every depth, no whitespace, and only
 * what survives a JSON round trip (undefined dropped, dates as ISO strings). The same value read
 * back from a jsonb column therefore yields the same text it was hashed with.
 */
export function canonicalJson(value: unknown): string {
  return serialize(toJsonValue(value));
}

/** The value as JSON would carry it, which is also what a jsonb column gives back. */
export function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value) ?? 'null');
}

function serialize(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${serialize((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}
