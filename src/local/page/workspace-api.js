/**
 * The page's calls to the local workspace server. Reads come from `/local/state`; every action
 * is a JSON post that the server turns into a signed Slack request to Sluice.
 */

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
  return json;
}

export const workspaceApi = {
  async state({ user, channel, thread }) {
    const query = new URLSearchParams();
    if (user) query.set('user', user);
    if (channel) query.set('channel', channel);
    if (thread) query.set('thread', thread);
    const response = await fetch(`/local/state?${query}`);
    if (!response.ok) throw new Error(`the workspace answered HTTP ${response.status}`);
    return response.json();
  },
  compose: (input) => post('/local/compose', input),
  click: (input) => post('/local/click', input),
  submitView: (input) => post('/local/view-submit', input),
  closeView: (input) => post('/local/view-close', input),
  openHome: (input) => post('/local/home-open', input),
  /** Calls `onChange` whenever the workspace changes; the browser reconnects by itself. */
  watch(onChange, onStatus) {
    const source = new EventSource('/local/events');
    source.addEventListener('change', onChange);
    source.addEventListener('open', () => onStatus(true));
    source.addEventListener('error', () => onStatus(false));
    return source;
  },
};
