import { fill, fillScrolled, h } from './dom.js';
import { renderBlocks } from './render-blocks.js';
import { avatar, renderMessages } from './render-messages.js';
import { renderMrkdwn } from './render-mrkdwn.js';

/**
 * The main pane: a channel (header, messages, message box), or the app with its two tabs, Home
 * (the view Sluice published for this person) and Messages (the DM with the bot).
 *
 * env: { place, moved, composer, messageActions(channelId), onViewAction(viewId, detail),
 *        onOpenThread(ts), go(place) }
 */

const $ = (id) => document.getElementById(id);

export function renderMainPane(snapshot, lookup, env) {
  const { place } = env;
  renderHeader(snapshot, lookup, env);
  const showHome = place.kind === 'app' && place.tab === 'home';
  $('main').classList.toggle('is-home', showHome);
  $('main-composer').hidden = showHome;
  if (showHome) renderHome(snapshot, lookup, env);
  else renderConversation(snapshot, lookup, env);
}

function renderHeader(snapshot, lookup, { place, go }) {
  if (place.kind !== 'app') {
    fill(
      $('main-header'),
      h(
        'div',
        { class: 'pane-title' },
        h('span', { class: 'pane-hash', text: '#' }),
        h('span', { text: snapshot.channel?.name ?? '' }),
      ),
      h('div', {
        class: 'pane-subtitle',
        text: `Mention @${snapshot.app.botName} to ask in a channel, or type /agent`,
      }),
    );
    return;
  }
  const tab = (name, label) =>
    h('button', {
      type: 'button',
      role: 'tab',
      class: `tab${place.tab === name ? ' is-active' : ''}`,
      'aria-selected': String(place.tab === name),
      text: label,
      onclick: () => go({ kind: 'app', tab: name }),
    });
  fill(
    $('main-header'),
    h(
      'div',
      { class: 'pane-title' },
      avatar(lookup.user(snapshot.app.botUserId), 'sm'),
      h('span', { text: snapshot.app.botName }),
      h('span', { class: 'badge', text: 'APP' }),
    ),
    h('div', { class: 'tabs', role: 'tablist' }, tab('home', 'Home'), tab('messages', 'Messages')),
  );
}

function renderHome(snapshot, lookup, env) {
  const home = snapshot.home;
  fillScrolled(
    $('main-body'),
    h(
      'div',
      { class: 'home-view', dataset: { viewId: home?.id ?? '' } },
      home
        ? renderBlocks(home.blocks, { lookup, onAction: (detail) => env.onViewAction(home.id, detail) })
        : h('div', { class: 'empty', text: 'Nothing here yet: Sluice publishes this tab when you open it.' }),
    ),
    false,
  );
  // A Home tab opens at its top, unlike a conversation, which opens at its latest message.
  if (env.moved) $('main-body').scrollTop = 0;
}

function renderConversation(snapshot, lookup, env) {
  const channel = snapshot.channel;
  const dm = env.place.kind === 'app';
  env.composer.setTarget(
    channel?.id ?? '',
    dm ? `Message ${snapshot.app.botName}` : `Message #${channel?.name ?? ''}`,
  );
  const messages = channel?.messages ?? [];
  const empty = dm
    ? `This is the start of your direct messages with *${snapshot.app.botName}*. Ask it anything, or type \`/agent help\`.`
    : 'No messages yet.';
  fillScrolled(
    $('main-body'),
    messages.length
      ? renderMessages(messages, {
          lookup,
          onAction: env.messageActions(channel.id),
          onOpenThread: env.onOpenThread,
        })
      : h('div', { class: 'empty' }, renderMrkdwn(empty, lookup)),
    env.moved,
  );
  if (env.moved) env.composer.focus();
}
