import { h } from './dom.js';
import { renderText } from './render-mrkdwn.js';

/**
 * Block Kit, drawn as a Slack client draws it: header, section (text, two-column fields, an
 * accessory), context, divider, actions with buttons (default, primary, danger), input with a
 * plain_text_input, and image blocks as their alt text (the page loads nothing from outside).
 * Anything else says plainly that the local workspace cannot show it.
 *
 * ctx: { lookup, onAction({ blockId, actionId, url, button }), errors: { [blockId]: message } }
 */

export function renderBlocks(blocks, ctx) {
  return h(
    'div',
    { class: 'bk-blocks' },
    (blocks ?? []).map((block) => renderBlock(block, ctx)),
  );
}

function renderBlock(block, ctx) {
  const attrs = { dataset: { blockId: block.block_id ?? '', blockType: block.type } };
  switch (block.type) {
    case 'header':
      return h('div', { class: 'bk-header', ...attrs }, renderText(block.text, ctx.lookup));
    case 'section':
      return h(
        'div',
        { class: `bk-section${block.accessory ? ' has-accessory' : ''}`, ...attrs },
        h(
          'div',
          { class: 'bk-section-main' },
          block.text ? h('div', { class: 'bk-section-text' }, renderText(block.text, ctx.lookup)) : null,
          block.fields?.length
            ? h(
                'div',
                { class: 'bk-fields' },
                block.fields.map((field) => h('div', { class: 'bk-field' }, renderText(field, ctx.lookup))),
              )
            : null,
        ),
        block.accessory
          ? h('div', { class: 'bk-accessory' }, renderElement(block.accessory, block, ctx))
          : null,
      );
    case 'context':
      return h(
        'div',
        { class: 'bk-context', ...attrs },
        (block.elements ?? []).map((element) =>
          element.type === 'image'
            ? h('span', {
                class: 'bk-image-alt',
                title: element.image_url,
                text: `🖼 ${element.alt_text ?? ''}`,
              })
            : h('span', { class: 'bk-context-item' }, renderText(element, ctx.lookup)),
        ),
      );
    case 'divider':
      return h('hr', { class: 'bk-divider', ...attrs });
    case 'actions':
      return h(
        'div',
        { class: 'bk-actions', ...attrs },
        (block.elements ?? []).map((element) => renderElement(element, block, ctx)),
      );
    case 'input':
      return renderInput(block, ctx, attrs);
    case 'image':
      return h('div', { class: 'bk-image-alt', ...attrs, text: `🖼 ${block.alt_text ?? 'image'}` });
    default:
      return unsupported(`${block.type} block`);
  }
}

function renderElement(element, block, ctx) {
  if (element.type !== 'button') return unsupported(`${element.type} element`);
  const style =
    element.style === 'primary' || element.style === 'danger' ? ` bk-button-${element.style}` : '';
  const button = h(
    'button',
    {
      type: 'button',
      class: `bk-button${style}`,
      dataset: { actionId: element.action_id },
      onclick: () =>
        ctx.onAction({ blockId: block.block_id, actionId: element.action_id, url: element.url, button }),
    },
    renderText(element.text, ctx.lookup),
  );
  return button;
}

function renderInput(block, ctx, attrs) {
  const element = block.element ?? {};
  if (element.type !== 'plain_text_input') return unsupported(`${element.type} input`);
  const id = `input-${block.block_id}-${element.action_id}`;
  const error = ctx.errors?.[block.block_id];
  const field = h(element.multiline ? 'textarea' : 'input', {
    id,
    class: 'bk-text-input',
    rows: element.multiline ? 4 : undefined,
    maxlength: element.max_length,
    placeholder: element.placeholder?.text,
    'aria-invalid': error ? 'true' : undefined,
    dataset: { blockId: block.block_id, actionId: element.action_id },
  });
  if (element.initial_value) field.value = element.initial_value;
  return h(
    'div',
    { class: `bk-input${error ? ' has-error' : ''}`, ...attrs },
    h(
      'label',
      { class: 'bk-input-label', for: id },
      block.label?.text ?? '',
      block.optional ? h('span', { class: 'bk-optional', text: ' (optional)' }) : null,
    ),
    field,
    block.hint ? h('div', { class: 'bk-hint' }, renderText(block.hint, ctx.lookup)) : null,
    error ? h('div', { class: 'bk-error', role: 'alert', text: error }) : null,
  );
}

function unsupported(what) {
  return h('div', { class: 'bk-unsupported', text: `The local workspace cannot show this ${what}.` });
}
