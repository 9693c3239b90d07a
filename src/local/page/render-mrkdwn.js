import { h } from './dom.js';
import { parseMrkdwn } from './parse-mrkdwn.js';
import { formatSlackDate } from './slack-date.js';

/**
 * Turns mrkdwn (and plain_text objects) into DOM nodes. Mentions are resolved against the
 * workspace the page shows (`lookup`), highlighted when they name the reader or a group the
 * reader is in, as Slack does.
 */

const emoji = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  warning: '⚠️',
  no_entry: '⛔',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  rotating_light: '🚨',
  fire: '🔥',
  eyes: '👀',
  tada: '🎉',
  thumbsup: '👍',
  '+1': '👍',
  thumbsdown: '👎',
  '-1': '👎',
  pause_button: '⏸️',
  arrow_forward: '▶️',
  lock: '🔒',
  robot_face: '🤖',
  information_source: 'ℹ️',
};

function withEmoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (match, name) => emoji[name] ?? match);
}

function renderInline(nodes, lookup) {
  return nodes.map((node) => {
    switch (node.type) {
      case 'text':
        return withEmoji(node.text);
      case 'code':
        return h('code', { class: 'mk-code', text: node.text });
      case 'bold':
        return h('strong', {}, renderInline(node.children, lookup));
      case 'italic':
        return h('em', {}, renderInline(node.children, lookup));
      case 'strike':
        return h('s', {}, renderInline(node.children, lookup));
      case 'link': {
        // A Slack permalink (an approval card on App Home) opens its conversation on this page.
        const permalink = /\/archives\/([CGD][A-Z0-9]+)\/p\d{16}/.exec(node.url);
        if (permalink) {
          return h('a', {
            href: node.url,
            class: 'permalink',
            text: node.label,
            onclick: (event) => {
              event.preventDefault();
              document.dispatchEvent(
                new CustomEvent('open-conversation', { detail: { channel: permalink[1] } }),
              );
            },
          });
        }
        return h('a', { href: node.url, target: '_blank', rel: 'noopener noreferrer', text: node.label });
      }
      case 'user': {
        const user = lookup.user(node.id);
        const name = user ? user.displayName : (node.label ?? node.id);
        const me = node.id === lookup.me;
        return h('span', {
          class: `mention${me ? ' mention-me' : ''}`,
          title: user?.realName ?? node.id,
          text: `@${name}`,
        });
      }
      case 'group': {
        const group = lookup.group(node.id);
        const mine = group?.users.includes(lookup.me);
        const name = group ? `@${group.handle}` : (node.label ?? `@${node.id}`);
        return h('span', {
          class: `mention${mine ? ' mention-me' : ''}`,
          title: group?.name ?? node.id,
          text: name,
        });
      }
      case 'channel': {
        const channel = lookup.channel(node.id);
        return h('span', { class: 'channel-link', text: `#${channel?.name ?? node.label ?? node.id}` });
      }
      case 'special':
        return h('span', { class: 'mention mention-me', text: `@${node.name}` });
      case 'date': {
        const shown = Number.isFinite(node.seconds)
          ? formatSlackDate(node.seconds, node.format)
          : node.fallback;
        const time = h('time', {
          datetime: new Date(node.seconds * 1000).toISOString(),
          title: node.fallback,
          text: shown,
        });
        return node.link && /^https?:\/\//.test(node.link)
          ? h('a', { href: node.link, target: '_blank', rel: 'noopener noreferrer' }, time)
          : time;
      }
      default:
        return '';
    }
  });
}

/** mrkdwn text to a fragment of block-level nodes. */
export function renderMrkdwn(text, lookup) {
  const fragment = document.createDocumentFragment();
  const lines = [];
  const flushLines = () => {
    if (lines.length === 0) return;
    fragment.append(
      h(
        'div',
        { class: 'mk-text' },
        lines.flatMap((line, i) => (i ? [h('br'), line] : [line])),
      ),
    );
    lines.length = 0;
  };
  for (const node of parseMrkdwn(text)) {
    if (node.type === 'line') {
      lines.push(renderInline(node.children, lookup));
      continue;
    }
    flushLines();
    if (node.type === 'pre') fragment.append(h('pre', { class: 'mk-pre', text: node.text }));
    else {
      fragment.append(
        h(
          'blockquote',
          { class: 'mk-quote' },
          node.lines.flatMap((line, i) =>
            i ? [h('br'), renderInline(line, lookup)] : [renderInline(line, lookup)],
          ),
        ),
      );
    }
  }
  flushLines();
  return fragment;
}

/** A text object (`plain_text` or `mrkdwn`). */
export function renderText(object, lookup) {
  if (!object) return document.createDocumentFragment();
  if (object.type === 'mrkdwn') return renderMrkdwn(object.text, lookup);
  const fragment = document.createDocumentFragment();
  fragment.append(object.emoji === false ? object.text : withEmoji(object.text));
  return fragment;
}
