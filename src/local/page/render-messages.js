import { h } from './dom.js';
import { renderBlocks } from './render-blocks.js';
import { renderMrkdwn } from './render-mrkdwn.js';
import { formatTs } from './slack-date.js';

/**
 * A list of messages as Slack shows them: avatar, name (with an APP badge for the bot), time;
 * blocks when the message has them, its text otherwise; "Only visible to you" on ephemeral
 * messages; "N replies" under a thread's parent. Consecutive messages from one person within
 * five minutes are grouped under one header.
 *
 * ctx: { lookup, onAction(detail, message), onOpenThread(ts) | undefined }
 */

const GROUP_SECONDS = 300;
const palette = ['#2f7d6d', '#8a4baf', '#c2612c', '#2b6cb0', '#b83280', '#4a5568', '#2c7a7b', '#9c4221'];

function colourFor(id) {
  let sum = 0;
  for (const c of id ?? '') sum = (sum * 31 + c.charCodeAt(0)) >>> 0;
  return palette[sum % palette.length];
}

export function avatar(user, size = 'md') {
  const name = user?.realName ?? '?';
  const initials = name
    .split(/\s+/)
    .map((part) => part[0])
    .join('')
    .slice(0, 2)
    .toUpperCase();
  const el = h('div', {
    class: `avatar avatar-${size}`,
    'aria-hidden': 'true',
    text: user?.isBot ? '⚙' : initials,
  });
  el.style.background = user?.isBot ? '#1d3b53' : colourFor(user?.id);
  return el;
}

export function renderMessages(messages, ctx) {
  let previous;
  return h(
    'div',
    { class: 'message-list', role: 'list' },
    messages.map((message) => {
      const grouped =
        previous &&
        !message.ephemeral &&
        !previous.ephemeral &&
        previous.user === message.user &&
        !previous.reply_count &&
        Number.parseFloat(message.ts) - Number.parseFloat(previous.ts) < GROUP_SECONDS;
      previous = message;
      return renderMessage(message, ctx, grouped);
    }),
  );
}

function renderMessage(message, ctx, grouped) {
  const user = ctx.lookup.user(message.user);
  const name = user?.displayName ?? message.user ?? 'unknown';
  const content = message.blocks?.length
    ? renderBlocks(message.blocks, {
        lookup: ctx.lookup,
        onAction: (detail) => ctx.onAction(detail, message),
      })
    : renderMrkdwn(message.text, ctx.lookup);
  return h(
    'div',
    {
      class: `message${message.ephemeral ? ' message-ephemeral' : ''}${grouped ? ' message-grouped' : ''}`,
      role: 'listitem',
      dataset: { ts: message.ts, user: message.user ?? '' },
    },
    grouped
      ? h('div', { class: 'message-gutter', text: formatTs(message.ts) })
      : h('div', { class: 'message-gutter' }, avatar(user)),
    h(
      'div',
      { class: 'message-body' },
      message.ephemeral ? h('div', { class: 'ephemeral-note', text: 'Only visible to you' }) : null,
      grouped
        ? null
        : h(
            'div',
            { class: 'message-meta' },
            h('span', { class: 'message-author', text: name }),
            user?.isBot ? h('span', { class: 'badge', text: 'APP' }) : null,
            h('time', { class: 'message-time', text: formatTs(message.ts) }),
          ),
      h('div', { class: 'message-content' }, content),
      message.reply_count && ctx.onOpenThread
        ? h(
            'button',
            { type: 'button', class: 'replies-link', onclick: () => ctx.onOpenThread(message.ts) },
            h(
              'span',
              { class: 'replies-avatars' },
              (message.reply_users ?? []).slice(0, 3).map((id) => avatar(ctx.lookup.user(id), 'xs')),
            ),
            h('span', {
              class: 'replies-count',
              text: `${message.reply_count} ${message.reply_count === 1 ? 'reply' : 'replies'}`,
            }),
            message.latest_reply
              ? h('span', { class: 'replies-time', text: `Last reply ${formatTs(message.latest_reply)}` })
              : null,
          )
        : null,
    ),
    ctx.onOpenThread && !message.ephemeral
      ? h(
          'div',
          { class: 'message-actions' },
          h('button', {
            type: 'button',
            class: 'reply-button',
            text: 'Reply in thread',
            onclick: () => ctx.onOpenThread(message.ts),
          }),
        )
      : null,
  );
}
