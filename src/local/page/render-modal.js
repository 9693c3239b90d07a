import { h } from './dom.js';
import { renderBlocks } from './render-blocks.js';
import { renderText } from './render-mrkdwn.js';

/**
 * A modal (`views.open`), drawn over the page: title, blocks with their inputs, the app's field
 * errors under each input, and the close / submit buttons named by the view. Submitting reads the
 * typed values by block_id and action_id, as Slack's `state.values` does.
 *
 * ctx: { lookup, onSubmit(values), onClose(), onAction(detail) }
 */
export function renderModal(modal, ctx) {
  const { view, errors } = modal;
  const form = h(
    'form',
    {
      class: 'modal',
      role: 'dialog',
      'aria-modal': 'true',
      'aria-labelledby': 'modal-title',
      dataset: { viewId: view.id, callbackId: view.callback_id ?? '' },
      onsubmit: (event) => {
        event.preventDefault();
        const values = {};
        for (const input of form.querySelectorAll('[data-action-id].bk-text-input')) {
          const { blockId, actionId } = input.dataset;
          values[blockId] = { ...(values[blockId] ?? {}), [actionId]: input.value };
        }
        ctx.onSubmit(values, form);
      },
      onkeydown: (event) => {
        if (event.key === 'Escape') ctx.onClose();
      },
      // As in Slack, a field's error goes away once the person edits the field.
      oninput: (event) => {
        const field = event.target.closest('.bk-input.has-error');
        if (!field) return;
        field.classList.remove('has-error');
        field.querySelector('.bk-error')?.remove();
        event.target.removeAttribute('aria-invalid');
      },
    },
    h(
      'header',
      { class: 'modal-header' },
      h('h2', { id: 'modal-title' }, renderText(view.title, ctx.lookup)),
      h('button', {
        type: 'button',
        class: 'modal-x',
        'aria-label': 'Close',
        text: '×',
        onclick: () => ctx.onClose(),
      }),
    ),
    h(
      'div',
      { class: 'modal-body' },
      errors?.[''] ? h('div', { class: 'bk-error modal-error', role: 'alert', text: errors[''] }) : null,
      renderBlocks(view.blocks, { lookup: ctx.lookup, errors, onAction: ctx.onAction }),
    ),
    h(
      'footer',
      { class: 'modal-footer' },
      h(
        'button',
        { type: 'button', class: 'bk-button', onclick: () => ctx.onClose() },
        view.close ? renderText(view.close, ctx.lookup) : 'Cancel',
      ),
      view.submit
        ? h(
            'button',
            { type: 'submit', class: 'bk-button bk-button-primary' },
            renderText(view.submit, ctx.lookup),
          )
        : null,
    ),
  );
  return h('div', { class: 'modal-backdrop' }, form);
}
