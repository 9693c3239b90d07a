import { fill, fillScrolled, h } from './dom.js';
import { renderMessages } from './render-messages.js';

/**
 * The thread pane beside the conversation: the parent, its replies, and a reply box. Hidden when
 * no thread is open.
 *
 * env: { moved, composer, messageActions(channelId), onClose() }
 */

const $ = (id) => document.getElementById(id);

export function renderThreadPane(snapshot, lookup, env) {
  const thread = snapshot.thread;
  $('thread').hidden = !thread;
  $('layout').classList.toggle('has-thread', Boolean(thread));
  if (!thread) return;
  const channel = lookup.channel(thread.channel);
  fill(
    $('thread-header'),
    h(
      'div',
      { class: 'pane-title' },
      'Thread',
      h('span', {
        class: 'pane-subtitle',
        text: channel?.isIm ? snapshot.app.botName : `#${channel?.name ?? ''}`,
      }),
    ),
    h('button', {
      type: 'button',
      class: 'pane-close',
      'aria-label': 'Close thread',
      text: '×',
      onclick: env.onClose,
    }),
  );
  env.composer.setTarget(`${thread.channel}:${thread.ts}`, 'Reply…');
  const [parent, ...replies] = thread.messages;
  const onAction = env.messageActions(thread.channel);
  fillScrolled(
    $('thread-body'),
    [
      renderMessages([parent], { lookup, onAction }),
      h('div', {
        class: 'thread-divider',
        text: `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}`,
      }),
      renderMessages(replies, { lookup, onAction }),
    ],
    env.moved,
  );
}
