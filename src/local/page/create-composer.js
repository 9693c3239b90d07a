import { fill, h } from './dom.js';

/**
 * The message box: Enter sends, Shift+Enter starts a new line, and typing `/` lists the app's
 * slash commands with their usage hints, as Slack does. Each conversation keeps its own draft.
 * The element is created once and kept across re-renders, so typing is never interrupted by a
 * live update.
 */
export function createComposer({ commands, onSend, label, footer }) {
  const drafts = new Map();
  let key = '';
  const hints = h('div', { class: 'composer-hints', role: 'listbox', hidden: true });
  const input = h('textarea', { class: 'composer-input', rows: 1, 'aria-label': label });
  const send = h('button', { type: 'button', class: 'composer-send', 'aria-label': 'Send', text: '➤' });

  const showHints = () => {
    // Shown from the `/` until the first argument is being typed.
    const text = input.value.trimStart();
    const typed = text.startsWith('/') && !/\s\S/.test(text) ? text.trim() : undefined;
    const shown = typed ? commands().filter((c) => c.command.startsWith(typed)) : [];
    hints.hidden = shown.length === 0;
    fill(
      hints,
      shown.map((c) =>
        h(
          'button',
          {
            type: 'button',
            class: 'composer-hint',
            role: 'option',
            onclick: () => {
              input.value = `${c.command} `;
              input.focus();
              showHints();
            },
          },
          h('strong', { text: c.command }),
          c.usageHint ? h('span', { class: 'hint-usage', text: ` ${c.usageHint}` }) : null,
          c.description ? h('div', { class: 'hint-description', text: c.description }) : null,
        ),
      ),
    );
  };

  const submit = () => {
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    drafts.delete(key);
    showHints();
    autoSize();
    onSend(text, key);
  };

  const autoSize = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
  };

  input.addEventListener('input', () => {
    drafts.set(key, input.value);
    showHints();
    autoSize();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  send.addEventListener('click', submit);

  const el = h(
    'div',
    { class: 'composer' },
    hints,
    h('div', { class: 'composer-box' }, input, send),
    h('div', { class: 'composer-footer', text: footer }),
  );

  return {
    el,
    /** Switches to another conversation, keeping each one's draft. */
    setTarget(nextKey, placeholder) {
      if (nextKey === key) return;
      drafts.set(key, input.value);
      key = nextKey;
      input.value = drafts.get(key) ?? '';
      input.placeholder = placeholder;
      showHints();
      autoSize();
    },
    focus: () => input.focus(),
  };
}
