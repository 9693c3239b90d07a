import { createHash } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.ts';
import type { RequestKind } from './record-request.ts';

/**
 * The inbox key of a Slack request: two deliveries get the same key exactly when they are the
 * same request.
 *
 * - Events carry Slack's `event_id`, which Slack keeps across its retries: that is the key.
 * - Slash commands and interactions carry no id that Slack promises to keep across deliveries,
 *   so the key is a hash of the signed body. The body contains a `trigger_id` unique to each
 *   invocation, so two people typing the same command get two keys, while a retry or a replay of
 *   the same signed bytes gets the same one. The raw bytes are hashed, not a re-serialisation of
 *   the parsed body, so the key does not depend on how the body was parsed. In Socket Mode there
 *   are no signed bytes; the payload's canonical JSON is hashed instead.
 */
export function requestKey(
  input:
    | { kind: 'event'; eventId: string }
    | { kind: Exclude<RequestKind, 'event'>; body: string | Buffer | object },
): string {
  if (input.kind === 'event') {
    if (!input.eventId) throw new Error('an event request needs its event_id');
    return `event:${input.eventId}`;
  }
  const bytes =
    typeof input.body === 'string' || Buffer.isBuffer(input.body) ? input.body : canonicalJson(input.body);
  return `${input.kind}:sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
