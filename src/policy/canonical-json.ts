import { createHash } from 'node:crypto';
import { SluiceError } from '../errors.ts';

/**
 * Canonical JSON: object keys sorted, no whitespace, `-0` written as `0`. Two payloads that mean
 * the same thing give the same text, so their hash can pin what an approver saw on the card to
 * what the executor runs. Values JSON cannot carry (undefined inside arrays, NaN, functions,
 * bigint) are refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notJson(at, String(value));
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${at}[${i}]`)).join(',')}]`;
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw notJson(at, 'a non-plain object');
      const entries = Object.keys(value)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k], `${at}.${k}`)}`);
      return `{${entries.join(',')}}`;
    }
    default:
      throw notJson(at, typeof value);
  }
}

function notJson(at: string, what: string): SluiceError {
  return new SluiceError('invalid_input', `${at} is ${what}, which JSON cannot represent`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hash an approval card and a decision are pinned to: action name plus exact parameters. */
export function payloadHash(action: string, params: Record<string, unknown>): string {
  return sha256Hex(canonicalJson({ action, params }));
}
