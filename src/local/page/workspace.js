import { createComposer } from './create-composer.js';
import { createModalLayer } from './create-modal-layer.js';
import { fill, h } from './dom.js';
import { renderMainPane } from './render-main-pane.js';
import { avatar } from './render-messages.js';
import { renderSidebar } from './render-sidebar.js';
import { renderThreadPane } from './render-thread-pane.js';
import { workspaceApi as api } from './workspace-api.js';

/**
 * The local workspace page: a small Slack client for the Slack double. It shows what the server
 * says (`/local/state`), refreshes when the server says something changed, and sends every
 * action to the server, which delivers it to Sluice as a signed Slack request.
 */

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const ui = {
  user: params.get('as') ?? undefined,
  /** { kind: 'channel', id } or { kind: 'app', tab: 'home' | 'messages' } */
  place: placeFrom(params.get('c')),
  thread: params.get('t') ?? undefined,
  snapshot: undefined,
  /** The newest message seen per person and conversation, for the sidebar's bold. */
  seen: new Map(),
  shownPlace: '',
  shownThread: '',
};

/** `?c=C123` is a channel; `?c=@home` and `?c=@messages` are the app's tabs. */
function placeFrom(value) {
  if (!value) return undefined;
  if (value === '@home' || value === '@messages') return { kind: 'app', tab: value.slice(1) };
  return { kind: 'channel', id: value };
}

const mainComposer = createComposer({
  commands: () => ui.snapshot?.commands ?? [],
  label: 'Message',
  footer: 'Enter to send · Shift+Enter for a new line · try /agent help',
  onSend: (text) => send(text, undefined),
});
// Slack does not run slash commands in threads, so the thread's box does not suggest them.
const threadComposer = createComposer({
  commands: () => [],
  label: 'Reply',
  footer: 'Enter to send · Shift+Enter for a new line',
  onSend: (text) => send(text, ui.thread),
});
$('main-composer').append(mainComposer.el);
$('thread-composer').append(threadComposer.el);

const modalLayer = createModalLayer($('modal-root'), {
  onAction: (viewId, detail) => act({ kind: 'view', viewId }, detail),
  onClose: (viewId) => api.closeView({ userId: ui.user, viewId }).then(report, failed('Not closed')),
  onSubmit: (viewId, values) =>
    api.submitView({ userId: ui.user, viewId, values }).then((result) => {
      // Fields Slack itself refuses are shown in the modal; only Sluice's failures need a toast.
      if (result.delivered) report(result);
    }, failed('Not submitted')),
});

function toast(text, kind = 'info') {
  const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status', text });
  $('toasts').append(el);
  setTimeout(() => el.remove(), 6000);
}

const failed = (what) => (error) => toast(`${what}: ${error.message}`, 'error');

/** Slack tells the person only some failures; the local workspace says what Sluice answered. */
function report(result) {
  if (result?.problem) toast(result.problem, 'error');
  else if (result?.delivered?.failure) {
    toast(`Sluice did not acknowledge the ${result.delivered.type} (${result.delivered.failure}).`, 'error');
  }
}

function lookupFor(snapshot) {
  const users = new Map(snapshot.users.map((u) => [u.id, u]));
  const groups = new Map(snapshot.usergroups.map((g) => [g.id, g]));
  const channels = new Map(snapshot.channels.map((c) => [c.id, c]));
  return {
    me: snapshot.me,
    user: (id) => users.get(id),
    group: (id) => groups.get(id),
    channel: (id) => channels.get(id),
  };
}

/** The conversation whose messages are shown: a channel, or the DM with the app. */
function openChannelId() {
  if (ui.place?.kind === 'channel') return ui.place.id;
  if (ui.place?.kind === 'app') return ui.snapshot?.app.dmChannelId ?? undefined;
  return undefined;
}

let loading = false;
let again = false;
/** Fetches and draws the state; calls made while one is in flight collapse into one more. */
async function load() {
  if (loading) {
    again = true;
    return;
  }
  loading = true;
  const asked = { user: ui.user, place: ui.place, thread: ui.thread };
  try {
    const snapshot = await api.state({ user: asked.user, channel: openChannelId(), thread: asked.thread });
    // The person, place or thread changed while this was in flight: its answer is for the old
    // choice, and drawing it would undo the new one (the switcher would jump back).
    if (ui.user !== asked.user || ui.place !== asked.place || ui.thread !== asked.thread) {
      again = true;
      return;
    }
    ui.snapshot = snapshot;
    ui.user = snapshot.me;
    if (!ui.place) {
      const first = snapshot.channels.find((c) => !c.isIm);
      ui.place = first ? { kind: 'channel', id: first.id } : { kind: 'app', tab: 'home' };
      again = true;
    } else if (ui.place.kind === 'app' && snapshot.channel?.id !== snapshot.app.dmChannelId) again = true;
    if (ui.thread && snapshot.channel && !snapshot.thread) ui.thread = undefined;
    render(snapshot);
  } catch (error) {
    toast(`Could not reach the local workspace: ${error.message}`, 'error');
  } finally {
    loading = false;
    if (again) {
      again = false;
      load();
    }
  }
}

function go(place) {
  ui.place = place;
  ui.thread = undefined;
  if (place.kind === 'app' && place.tab === 'home') openHome();
  load();
}

/** Slack sends `app_home_opened` every time someone opens the Home tab. */
function openHome() {
  return api.openHome({ userId: ui.user }).then(report, failed('Home tab not reported'));
}

async function send(text, threadTs) {
  const channelId = openChannelId();
  if (!channelId) return;
  await api
    .compose({ userId: ui.user, channelId, text, ...(threadTs ? { threadTs } : {}) })
    .then(report, failed('Not sent'));
}

async function act(location, detail) {
  if (detail.url) window.open(detail.url, '_blank', 'noopener');
  detail.button.disabled = true;
  detail.button.classList.add('is-busy');
  const { blockId, actionId } = detail;
  await api
    .click({ userId: ui.user, blockId, actionId, location })
    .then(report, failed('Click not delivered'));
  detail.button.disabled = false;
  detail.button.classList.remove('is-busy');
}

const messageActions = (channel) => (detail, message) =>
  act({ kind: 'message', channel, ts: message.ts, ephemeral: Boolean(message.ephemeral) }, detail);

function render(snapshot) {
  const lookup = lookupFor(snapshot);
  document.title = `${snapshot.workspace.label} · ${snapshot.workspace.name}`;
  $('local-label').textContent = snapshot.workspace.label;
  $('mode-pill').textContent = `Mode: ${snapshot.workspace.mode}`;
  $('mode-pill').dataset.mode = snapshot.workspace.mode;
  $('mode-notice').textContent = snapshot.workspace.modeNotice ?? '';
  $('workspace-name').textContent = snapshot.workspace.name;
  renderSwitcher(snapshot, lookup);
  renderSidebarFor(snapshot);

  const placeKey = `${snapshot.me}:${JSON.stringify(ui.place)}`;
  const threadKey = `${placeKey}:${snapshot.thread?.ts ?? ''}`;
  renderMainPane(snapshot, lookup, {
    place: ui.place ?? {},
    moved: placeKey !== ui.shownPlace,
    composer: mainComposer,
    messageActions,
    onViewAction: (viewId, detail) => act({ kind: 'view', viewId }, detail),
    onOpenThread: (ts) => {
      ui.thread = ts;
      load();
    },
    go,
  });
  renderThreadPane(snapshot, lookup, {
    moved: threadKey !== ui.shownThread,
    composer: threadComposer,
    messageActions,
    onClose: () => {
      ui.thread = undefined;
      load();
    },
  });
  ui.shownPlace = placeKey;
  ui.shownThread = threadKey;
  modalLayer.render(snapshot, lookup);

  const query = new URLSearchParams({ as: snapshot.me });
  if (ui.place) query.set('c', ui.place.kind === 'channel' ? ui.place.id : `@${ui.place.tab}`);
  if (ui.thread) query.set('t', ui.thread);
  history.replaceState(null, '', `?${query}`);
}

function renderSwitcher(snapshot, lookup) {
  const people = snapshot.users.filter((u) => !u.isBot);
  const handles = (u) => u.groups.map((id) => `@${lookup.group(id)?.handle}`);
  fill(
    $('user-switcher'),
    people.map((u) =>
      h('option', {
        value: u.id,
        selected: u.id === snapshot.me,
        text: [u.realName, u.title, ...handles(u)].filter(Boolean).join(' · '),
      }),
    ),
  );
  fill($('me-avatar'), avatar(lookup.user(snapshot.me), 'sm'));
}

function renderSidebarFor(snapshot) {
  const seenKey = (c) => `${snapshot.me}:${c.id}`;
  for (const c of snapshot.channels) if (c.id === snapshot.channel?.id) ui.seen.set(seenKey(c), c.latestTs);
  const isUnread = (c) => {
    if (!ui.seen.has(seenKey(c))) ui.seen.set(seenKey(c), c.latestTs);
    const seen = ui.seen.get(seenKey(c));
    return Boolean(c.latestTs) && Number.parseFloat(c.latestTs) > Number.parseFloat(seen ?? '0');
  };
  fill(
    $('sidebar'),
    renderSidebar(snapshot, {
      place: ui.place ?? {},
      isUnread,
      onOpenChannel: (id) => go({ kind: 'channel', id }),
      onOpenApp: () => go({ kind: 'app', tab: 'home' }),
    }),
  );
}

document.addEventListener('open-conversation', (event) => {
  const id = event.detail.channel;
  if (ui.snapshot?.channels.some((c) => c.id === id && !c.isIm)) go({ kind: 'channel', id });
  else toast('That conversation is not in this workspace.', 'error');
});

$('user-switcher').addEventListener('change', (event) => {
  ui.user = event.target.value;
  ui.thread = undefined;
  if (ui.place?.kind === 'app' && ui.place.tab === 'home') openHome();
  load();
});

let connected = true;
api.watch(
  () => load(),
  (ok) => {
    if (ok && !connected) load();
    if (!ok && connected) toast('Lost the connection to Sluice; retrying…', 'error');
    connected = ok;
  },
);
// The person is known after the first answer; only then can opening the Home tab be reported.
load().then(() => {
  if (ui.place?.kind === 'app' && ui.place.tab === 'home') openHome();
});
