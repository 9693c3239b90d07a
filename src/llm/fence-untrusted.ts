import { createHash } from 'node:crypto';
import { redactSecrets } from '../logger.ts';

/**
 * Untrusted text (Slack messages, thread history, retrieved passages) reaches the model only
 * inside a labelled fence. The closing tag carries a fence value derived from the text's own hash:
 * a text cannot contain its own hash, so it cannot close its fence early and smuggle instructions
 * after it. Tag-like look-alikes inside are defused anyway, and secrets are scrubbed first, since
 * secrets never reach prompts.
 */

export type UntrustedKind = 'slack_message' | 'thread_message' | 'retrieved_passage';

function attribute(value: string | number): string {
  return String(value)
    .replace(/[^\p{L}\p{N} _.,:/#@+()-]/gu, '')
    .slice(0, 200);
}

export function fenceUntrusted(
  kind: UntrustedKind,
  text: string,
  attributes: Record<string, string | number | undefined> = {},
): string {
  const clean = redactSecrets(text).replace(/<(\/?)(untrusted_data)/gi, '‹$1$2');
  const fence = createHash('sha256').update(clean).digest('hex').slice(0, 12);
  const attrs = Object.entries(attributes)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => ` ${k}="${attribute(v as string | number)}"`)
    .join('');
  return `<untrusted_data kind="${kind}"${attrs} fence="${fence}">\n${clean}\n</untrusted_data fence="${fence}">`;
}
