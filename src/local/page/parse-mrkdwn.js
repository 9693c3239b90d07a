/**
 * Slack's mrkdwn, parsed into a small tree the page turns into DOM nodes. Follows Slack's rules:
 * `&amp;`, `&lt;` and `&gt;` are the only escapes; `<…>` holds links, mentions, channels, groups,
 * specials and dates; *bold*, _italic_ and ~strike~ need a word boundary on the outside and no
 * space on the inside; `code` and ```code blocks``` show their text as written; lines starting
 * with `>` are quotes. Anything unrecognised stays text.
 *
 * Block nodes: { type: 'line', children } | { type: 'quote', lines } | { type: 'pre', text }
 * Inline nodes: text, code, bold, italic, strike, link, user, channel, group, special, date.
 */

const entities = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

export function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (match) => entities[match]);
}

const styles = { '*': 'bold', _: 'italic', '~': 'strike' };
const isSpace = (c) => c === undefined || /\s/.test(c);
const isWordChar = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

export function parseMrkdwn(text) {
  const pieces = String(text ?? '').split('```');
  // An unmatched fence is literal text.
  if (pieces.length % 2 === 0) pieces.splice(-2, 2, `${pieces.at(-2)}\`\`\`${pieces.at(-1)}`);
  const nodes = [];
  pieces.forEach((piece, index) => {
    if (index % 2 === 1) {
      nodes.push({ type: 'pre', text: decodeEntities(piece.replace(/^\n/, '').replace(/\n$/, '')) });
      return;
    }
    // The newline beside a fence belongs to the fence, not to the text.
    let segment = index > 0 ? piece.replace(/^\n/, '') : piece;
    if (index < pieces.length - 1) segment = segment.replace(/\n$/, '');
    if (segment === '' && pieces.length > 1) return;
    for (const line of segment.split('\n')) {
      const quote = /^&gt;\s?(.*)$/.exec(line);
      const last = nodes.at(-1);
      if (quote && last?.type === 'quote') last.lines.push(parseInline(quote[1]));
      else if (quote) nodes.push({ type: 'quote', lines: [parseInline(quote[1])] });
      else nodes.push({ type: 'line', children: parseInline(line) });
    }
  });
  return nodes;
}

export function parseInline(line) {
  const nodes = [];
  let text = '';
  const flush = () => {
    if (text) nodes.push({ type: 'text', text: decodeEntities(text) });
    text = '';
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '`') {
      const end = line.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        nodes.push({ type: 'code', text: decodeEntities(line.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    if (c === '<') {
      const end = line.indexOf('>', i + 1);
      if (end > i + 1) {
        flush();
        nodes.push(parseAngle(line.slice(i + 1, end)));
        i = end + 1;
        continue;
      }
    }
    if (styles[c] && opens(line, i)) {
      const end = closing(line, i);
      if (end > 0) {
        flush();
        nodes.push({ type: styles[c], children: parseInline(line.slice(i + 1, end)) });
        i = end + 1;
        continue;
      }
    }
    text += c;
    i += 1;
  }
  flush();
  return nodes;
}

function opens(line, i) {
  return !isWordChar(line[i - 1]) && !isSpace(line[i + 1]) && line[i + 1] !== line[i];
}

/** The matching closing marker, skipping over `<…>` and `code` so their contents never close it. */
function closing(line, start) {
  const marker = line[start];
  for (let j = start + 2; j < line.length; j++) {
    const c = line[j];
    if (c === '<' || c === '`') {
      const end = line.indexOf(c === '<' ? '>' : '`', j + 1);
      if (end > 0) {
        j = end;
        continue;
      }
    }
    if (c === marker && !isSpace(line[j - 1]) && !isWordChar(line[j + 1])) return j;
  }
  return -1;
}

function parseAngle(inner) {
  const bar = inner.indexOf('|');
  const target = bar >= 0 ? inner.slice(0, bar) : inner;
  const label = bar >= 0 ? decodeEntities(inner.slice(bar + 1)) : undefined;
  if (/^@[UW][A-Z0-9]+$/.test(target)) return { type: 'user', id: target.slice(1), label };
  if (/^#C[A-Z0-9]+$/.test(target)) return { type: 'channel', id: target.slice(1), label };
  const group = /^!subteam\^(S[A-Z0-9]+)$/.exec(target);
  if (group) return { type: 'group', id: group[1], label };
  const date = /^!date\^(\d+)\^([^^]*)(?:\^(.*))?$/.exec(target);
  if (date) {
    return { type: 'date', seconds: Number(date[1]), format: date[2], link: date[3], fallback: label ?? '' };
  }
  if (/^!(here|channel|everyone)$/.test(target)) return { type: 'special', name: target.slice(1) };
  const url = decodeEntities(target);
  if (/^(https?:\/\/|mailto:)/i.test(url)) return { type: 'link', url, label: label ?? url };
  return { type: 'text', text: label ?? decodeEntities(`<${inner}>`) };
}
