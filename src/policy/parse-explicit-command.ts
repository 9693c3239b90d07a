import { actionNamePattern, checkProposal, type Proposal } from './proposal.ts';

/**
 * `/agent do <action> key=value ...` parsed without a model, into the same proposal type the
 * model produces (source `explicit`), so it meets the same schema, policy and approvals.
 *
 * - Bare values: `true`/`false` become booleans, plain decimal numbers become numbers, anything
 *   else is text. Quoted values ("...", '...', or Slack's curly quotes) are always text.
 * - Dotted keys nest: `params.service=api` gives `{ params: { service: 'api' } }`.
 * - A repeated key collects its values into a list, in order.
 * - Slack's markup is undone first: `<#C123|ops>` is `C123`, `<@U1>` is `U1`, `&lt;` is `<`.
 */

export type ExplicitCommandResult = { ok: true; proposal: Proposal } | { ok: false; reason: string };

const MAX_TEXT = 4000;
const MAX_PARAMS = 50;
const MAX_KEY_DEPTH = 4;
const keySegment = /^[A-Za-z_][A-Za-z0-9_]*$/;
const numberText = /^-?(?:0|[1-9]\d*)(?:\.\d+)?$/;
const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);
const closingQuote: Record<string, string> = { '"': '"', "'": "'", '\u201c': '\u201d', '\u2018': '\u2019' };

type Value = string | number | boolean;
interface Token {
  text: string;
  /** Where the value starts in `text`, after `=`, and whether it was quoted. */
  quotedValue: boolean;
  start: number;
}

export function parseExplicitCommand(input: string): ExplicitCommandResult {
  if (input.length > MAX_TEXT) return fail(`the command is longer than ${MAX_TEXT} characters`);
  const tokenized = tokenize(decodeSlackMarkup(input));
  if (!tokenized.ok) return tokenized;
  const tokens = tokenized.tokens;
  if (tokens[0]?.text === 'do' && !tokens[0].quotedValue) tokens.shift();
  const head = tokens.shift();
  if (!head) return fail(usage('no action given'));
  if (head.text.includes('='))
    return fail(usage(`"${head.text}" looks like a parameter; name the action first`));
  if (head.quotedValue || !actionNamePattern.test(head.text) || head.text.length > 64) {
    return fail(
      `"${head.text}" is not an action name; action names look like http.request or slack.post_message`,
    );
  }
  if (tokens.length > MAX_PARAMS)
    return fail(`too many parameters (${tokens.length}); at most ${MAX_PARAMS}`);

  const params: Record<string, unknown> = {};
  for (const token of tokens) {
    const assigned = assign(params, token);
    if (!assigned.ok) return assigned;
  }
  const checked = checkProposal({ action: head.text, params, source: 'explicit' });
  return checked.ok ? checked : fail(checked.reason);
}

function usage(problem: string): string {
  return `${problem}; write: do <action> key=value key2="text with spaces"`;
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Slack escapes `&`, `<` and `>` and wraps mentions, channels and links in angle brackets. */
export function decodeSlackMarkup(text: string): string {
  return text
    .replace(/<([^<>]*)>/g, (_, inner: string) => {
      const target = inner.split('|')[0] ?? '';
      if (/^[@#][A-Z0-9]+$/.test(target)) return target.slice(1);
      const subteam = /^!subteam\^([A-Z0-9]+)$/.exec(target);
      if (subteam) return subteam[1]!;
      if (target.startsWith('!')) return `@${target.slice(1)}`;
      return target;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

type Tokenized = { ok: true; tokens: Token[] } | { ok: false; reason: string };

function tokenize(text: string): Tokenized {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let out = '';
    let quoted = false;
    while (i < text.length && !/\s/.test(text[i]!)) {
      const ch = text[i]!;
      const close = closingQuote[ch];
      if (close === undefined) {
        out += ch;
        i++;
        continue;
      }
      // A quote may open the whole token or the value right after `=`, nowhere else.
      if (!(out === '' || (out.endsWith('=') && !out.slice(0, -1).includes('=')))) {
        return fail(
          `at character ${i + 1}: unexpected quote in "${text.slice(start, i + 1)}"; quote the whole value`,
        );
      }
      const read = readQuoted(text, i, close);
      if (!read.ok) return read;
      out += read.value;
      quoted = true;
      i = read.end;
      if (i < text.length && !/\s/.test(text[i]!)) {
        return fail(
          `at character ${i + 1}: text right after a closing quote; put a space before the next parameter`,
        );
      }
    }
    tokens.push({ text: out, quotedValue: quoted, start });
  }
  return { ok: true, tokens };
}

function readQuoted(
  text: string,
  open: number,
  close: string,
): { ok: true; value: string; end: number } | { ok: false; reason: string } {
  let value = '';
  let i = open + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && text[open] === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
      value += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === close || (close === '\u201d' && ch === '"')) return { ok: true, value, end: i + 1 };
    value += ch;
    i++;
  }
  return fail(`at character ${open + 1}: the quote opened here is never closed`);
}

function assign(params: Record<string, unknown>, token: Token): { ok: true } | { ok: false; reason: string } {
  const eq = token.text.indexOf('=');
  if (eq < 0) {
    return fail(`"${token.text}" is not key=value; quote values that contain spaces, e.g. note="two words"`);
  }
  const key = token.text.slice(0, eq);
  const raw = token.text.slice(eq + 1);
  if (key === '') return fail(`"${token.text}" has no parameter name before "="`);
  const path = key.split('.');
  if (path.length > MAX_KEY_DEPTH)
    return fail(`parameter "${key}" nests deeper than ${MAX_KEY_DEPTH} levels`);
  for (const segment of path) {
    if (!keySegment.test(segment) || forbiddenKeys.has(segment)) {
      return fail(`"${key}" is not a parameter name; use letters, digits and _ (dots to nest)`);
    }
  }
  if (raw === '' && !token.quotedValue) return fail(`"${key}=" has no value; write ${key}="" for empty text`);
  const value = token.quotedValue ? raw : typed(raw);

  let target = params;
  for (const segment of path.slice(0, -1)) {
    const existing = target[segment];
    if (existing === undefined) target[segment] = {};
    else if (typeof existing !== 'object' || existing === null || Array.isArray(existing)) {
      return fail(`"${key}" nests under "${segment}", which already has a value`);
    }
    target = target[segment] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  const existing = target[last];
  if (existing === undefined) target[last] = value;
  else if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
    return fail(`"${key}" is given a value but also has nested parameters`);
  } else if (Array.isArray(existing)) existing.push(value);
  else target[last] = [existing, value];
  return { ok: true };
}

function typed(raw: string): Value {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (numberText.test(raw)) {
    const n = Number(raw);
    if (Number.isSafeInteger(n) || (!Number.isInteger(n) && Number.isFinite(n))) return n === 0 ? 0 : n;
  }
  return raw;
}
