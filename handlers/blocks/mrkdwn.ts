/**
 * Text for Slack's mrkdwn. Slack treats `&`, `<` and `>` as control characters, so every piece of
 * text that did not come from us is escaped; links are built only here.
 */

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>`; the label may not contain `|` or `>`, and only http(s) URLs are linked. */
export function link(url: string, label: string): string {
  const safeLabel = escapeMrkdwn(label).replace(/\|/g, '¦');
  if (!/^https?:\/\/[^\s<>|]+$/.test(url)) return safeLabel;
  return `<${url}|${safeLabel}>`;
}

/** Cuts text to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/**
 * Splits text into pieces of at most `max` characters, preferring paragraph, then line, then
 * sentence, then word boundaries, so a long answer reads naturally across several sections.
 */
export function splitText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const cut =
      lastBoundary(window, '\n\n') ??
      lastBoundary(window, '\n') ??
      lastBoundary(window, '. ') ??
      lastBoundary(window, ' ');
    const at = cut !== undefined && cut > max / 3 ? cut : max;
    pieces.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

function lastBoundary(window: string, boundary: string): number | undefined {
  const index = window.lastIndexOf(boundary);
  return index > 0 ? index + boundary.length : undefined;
}

/** A code block that cannot be broken out of by the text inside it. */
export function codeBlock(text: string): string {
  return `\`\`\`${escapeMrkdwn(text).replace(/```/g, '`\u200b``')}\`\`\``;
}

export function plain(text: string, max = 3000): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: truncate(text, max), emoji: true };
}

export function mrkdwn(text: string, max = 3000): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncate(text, max) };
}
