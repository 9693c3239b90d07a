import { randomBytes } from 'node:crypto';

/**
 * Identifiers shaped like Slack's. A message `ts` is `<unix seconds>.<6 digits>` and unique
 * within a channel; code that sorts, compares or parses them (thread_ts, cursors, `oldest`) then
 * behaves here as it does against Slack.
 */

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Slack-style object id: a type letter (C, U, V, S, ...) and ten upper-case characters. */
export function slackId(prefix: string, length = 10): string {
  const bytes = randomBytes(length);
  let out = prefix;
  for (const byte of bytes) out += ID_ALPHABET[byte % ID_ALPHABET.length];
  return out;
}

/** Formats microseconds since the epoch as a Slack ts: `1700000000.000100`. */
export function formatSlackTs(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const fraction = (micros % 1_000_000n).toString().padStart(6, '0');
  return `${seconds}.${fraction}`;
}

/** Parses a Slack ts back to microseconds; undefined when it is not one. */
export function parseSlackTs(ts: string): bigint | undefined {
  const match = /^(\d{1,12})(?:\.(\d{1,6}))?$/.exec(ts);
  if (!match) return undefined;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/**
 * Hands out strictly increasing message timestamps from a clock. Two posts in the same
 * microsecond still get distinct, ordered ts values, as Slack guarantees within a channel.
 */
export function createTsClock(now: () => number): () => string {
  let last = 0n;
  return () => {
    const candidate = BigInt(Math.floor(now())) * 1000n;
    last = candidate > last ? candidate : last + 1n;
    return formatSlackTs(last);
  };
}

/**
 * A trigger id in Slack's documented shape (`12345.98765.abcd2358fdea`). The first part is the
 * minting time in milliseconds, which lets the double refuse a trigger older than Slack's
 * three-second window without having minted it itself.
 */
export function mintTriggerId(nowMs: number = Date.now()): string {
  return `${Math.floor(nowMs)}.${randomBytes(4).readUInt32BE()}.${randomBytes(12).toString('hex')}`;
}

/** The minting time of a trigger id, or undefined when it is malformed. */
export function triggerIdTime(triggerId: string): number | undefined {
  const match = /^(\d+)\.(\d+)\.([0-9a-f]+)$/.exec(triggerId);
  return match ? Number(match[1]) : undefined;
}

/** An Events API event id (`Ev` and ten characters), unique per delivery of an event. */
export function mintEventId(): string {
  return slackId('Ev');
}

/** A view hash in Slack's shape: seconds, a dot and eight hex digits. */
export function mintViewHash(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}.${randomBytes(4).toString('hex')}`;
}

/** Slack fills in a short random `block_id` on blocks that were sent without one. */
export function mintBlockId(): string {
  return randomBytes(4).toString('base64url').slice(0, 5);
}
