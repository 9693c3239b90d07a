import { redactSecrets } from '../logger.ts';

/**
 * Makes a value safe to store as jsonb: secrets scrubbed from every string, strings longer than
 * `maxString` cut (a hostile model can send megabytes), NUL characters removed (jsonb refuses
 * them), and absurd nesting bounded. Tool schemas nest deeply, so the depth limit is generous:
 * stored requests must stay replayable.
 */
export function storableJson(value: unknown, maxString = 64 * 1024, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value, maxString);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  if (depth > 64) return '[nested too deeply]';
  if (Array.isArray(value)) return value.map((v) => storableJson(v, maxString, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[storableText(k, 256)] = storableJson(v, maxString, depth + 1);
  }
  return out;
}

export function storableText(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…[${text.length - max} more characters cut]` : text;
  return redactSecrets(cut.replaceAll('\u0000', ''));
}
