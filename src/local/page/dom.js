/**
 * A tiny element builder, so the page is made of DOM nodes and never of HTML strings: text that
 * came from Slack messages (or from anyone) can only ever become text.
 */

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Replaces a scrolling list, staying at the bottom if the reader was there (or `reset` asks). */
export function fillScrolled(container, content, reset) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  const top = container.scrollTop;
  fill(container, content);
  container.scrollTop = reset || atBottom ? container.scrollHeight : top;
}
