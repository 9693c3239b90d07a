import { convert, type FormatCallback } from 'html-to-text';

/**
 * HTML to plain text with Markdown-style `#` headings, so the chunker can follow the page's
 * structure. Scripts, styles, images and navigation chrome are dropped; links keep their text.
 */

export interface HtmlExtract {
  text: string;
  title: string | undefined;
  link: string | undefined;
}

const heading =
  (level: number): FormatCallback =>
  (elem, walk, builder) => {
    builder.openBlock({ leadingLineBreaks: 2 });
    builder.addInline(`${'#'.repeat(level)} `);
    walk(elem.children, builder);
    builder.closeBlock({ trailingLineBreaks: 2 });
  };

const headingSelectors = [1, 2, 3, 4, 5, 6].map((n) => ({ selector: `h${n}`, format: `heading${n}` }));

export function htmlToMarkdown(html: string): HtmlExtract {
  const text = convert(html, {
    wordwrap: false,
    formatters: Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`heading${n}`, heading(n)])),
    selectors: [
      ...headingSelectors,
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'head', format: 'skip' },
    ],
  });
  return { text, title: titleOf(html), link: canonicalLinkOf(html) };
}

function titleOf(html: string): string | undefined {
  const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  const title = match ? convert(match[1]!, { wordwrap: false }).trim() : '';
  return title || undefined;
}

function canonicalLinkOf(html: string): string | undefined {
  for (const tag of html.match(/<link\b[^>]*>/gi) ?? []) {
    if (/\brel\s*=\s*["']?canonical\b/i.test(tag)) {
      const href = /\bhref\s*=\s*["']([^"']+)["']/i.exec(tag)?.[1];
      if (href && /^https?:\/\//i.test(href)) return href;
    }
  }
  return undefined;
}
