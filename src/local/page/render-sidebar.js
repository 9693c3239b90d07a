import { h } from './dom.js';

/**
 * The sidebar: the channels the person is in, and the app (whose Home and Messages tabs are the
 * App Home and the DM with the bot). A conversation with news since it was last opened is bold.
 *
 * ctx: { place, isUnread(channel), onOpenChannel(id), onOpenApp() }
 */
export function renderSidebar(snapshot, ctx) {
  const channels = snapshot.channels.filter((c) => !c.isIm);
  const dm = snapshot.channels.find((c) => c.id === snapshot.app.dmChannelId);
  const item = (label, { active, unread, onclick, id }) =>
    h(
      'button',
      {
        type: 'button',
        class: `sidebar-item${active ? ' is-active' : ''}${unread ? ' is-unread' : ''}`,
        'aria-current': active ? 'page' : undefined,
        dataset: { conversation: id },
        onclick,
      },
      label,
    );
  return [
    h('div', { class: 'sidebar-workspace', text: snapshot.workspace.name }),
    h(
      'div',
      { class: 'sidebar-section' },
      h('div', { class: 'sidebar-title', text: 'Channels' }),
      channels.map((c) =>
        item([h('span', { class: 'sidebar-icon', text: c.isPrivate ? '🔒' : '#' }), c.name], {
          id: c.id,
          active: ctx.place.kind === 'channel' && ctx.place.id === c.id,
          unread: ctx.isUnread(c),
          onclick: () => ctx.onOpenChannel(c.id),
        }),
      ),
    ),
    h(
      'div',
      { class: 'sidebar-section' },
      h('div', { class: 'sidebar-title', text: 'Apps' }),
      item(
        [
          h('span', { class: 'sidebar-icon app-icon', text: '⚙' }),
          snapshot.app.botName,
          h('span', { class: 'badge', text: 'APP' }),
        ],
        {
          id: 'app',
          active: ctx.place.kind === 'app',
          unread: dm ? ctx.isUnread(dm) : false,
          onclick: () => ctx.onOpenApp(),
        },
      ),
    ),
  ];
}
