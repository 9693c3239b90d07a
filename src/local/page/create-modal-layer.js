import { fill } from './dom.js';
import { renderModal } from './render-modal.js';

/**
 * The modal over the page: drawn again only when the view or its errors change, keeping what the
 * person typed when the same view comes back (with errors, or updated by the app).
 *
 * handlers: { onAction(viewId, detail), onClose(viewId), onSubmit(viewId, values) -> Promise }
 */
export function createModalLayer(root, handlers) {
  let shown = '';
  return {
    render(snapshot, lookup) {
      const modal = snapshot.modal;
      if (!modal) {
        shown = '';
        fill(root);
        return;
      }
      const key = `${modal.view.id}:${modal.view.hash}:${JSON.stringify(modal.errors)}`;
      if (key === shown) return;
      const typed = new Map(
        [...root.querySelectorAll('.bk-text-input')].map((el) => [
          `${el.dataset.blockId}/${el.dataset.actionId}`,
          el.value,
        ]),
      );
      const sameView = shown.startsWith(`${modal.view.id}:`);
      shown = key;
      const viewId = modal.view.id;
      fill(
        root,
        renderModal(modal, {
          lookup,
          onAction: (detail) => handlers.onAction(viewId, detail),
          onClose: () => handlers.onClose(viewId),
          onSubmit: async (values, form) => {
            const submit = form.querySelector('button[type=submit]');
            if (submit) submit.disabled = true;
            try {
              await handlers.onSubmit(viewId, values);
            } finally {
              if (submit) submit.disabled = false;
            }
          },
        }),
      );
      if (sameView) {
        for (const el of root.querySelectorAll('.bk-text-input')) {
          const value = typed.get(`${el.dataset.blockId}/${el.dataset.actionId}`);
          if (value !== undefined) el.value = value;
        }
      }
      (root.querySelector('[aria-invalid=true]') ?? root.querySelector('.bk-text-input'))?.focus();
    },
  };
}
