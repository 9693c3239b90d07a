import { randomUUID } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Secrets never reach logs. Two layers: known field paths are censored by pino, and every string
 * that is logged (messages, error texts, nested values) is scrubbed of anything shaped like a
 * Slack token, a Slack signing header, an Anthropic key or a bearer credential.
 */

const REDACTED = '[redacted]';

const secretPatterns: RegExp[] = [
  /xox[abposre]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
  /sk-ant-[A-Za-z0-9_-]+/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /v0=[a-f0-9]{64}/g,
  /(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/g,
];

export function redactSecrets(text: string): string {
  let out = text;
  for (const pattern of secretPatterns) {
    out = out.replace(pattern, (match, group1: unknown) =>
      typeof group1 === 'string' && match.startsWith(group1) && group1.includes('://')
        ? `${group1}${REDACTED}@`
        : REDACTED,
    );
  }
  return out;
}

/** Deep copy with every string scrubbed; cycles and depth are bounded. */
export function redactValue(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8 || seen.has(value)) return '[truncated]';
  seen.add(value);
  if (value instanceof Error) {
    return {
      type: value.name,
      message: redactSecrets(value.message),
      stack: value.stack ? redactSecrets(value.stack) : undefined,
      ...(typeof (value as { code?: unknown }).code === 'string'
        ? { code: (value as unknown as { code: string }).code }
        : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, depth + 1, seen);
  return out;
}

const redactPaths = [
  'token',
  'botToken',
  'appToken',
  'apiKey',
  'signingSecret',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["x-slack-signature"]',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.apiKey',
  '*.signingSecret',
  '*.password',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a capturing stream. */
  destination?: DestinationStream;
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'sluice', ...options.base },
      redact: { paths: redactPaths, censor: REDACTED },
      formatters: {
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactSecrets(a) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: { err: (e: unknown) => redactValue(e) },
    },
    options.destination,
  );
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** A child logger for one request or run; every line it writes carries the correlation id. */
export function childLogger(
  logger: Logger,
  fields: { correlationId: string; runId?: string; [key: string]: unknown },
): Logger {
  return logger.child(fields);
}
