/**
 * Text of a PDF, with Mozilla's PDF.js (pdfjs-dist, the reader inside Firefox): each page's text
 * items in content order, a line break where PDF.js reports the end of a line, a blank line
 * between pages. PDFs carry no reliable headings, so the text is chunked by paragraphs only. A
 * scanned PDF (images, no text layer) yields no text: ingest skips it as empty.
 */

export type PdfText = { ok: true; text: string; title: string | undefined } | { ok: false; detail: string };

/**
 * Loaded on the first PDF, not with this module: PDF.js's legacy build replaces the global
 * `JSON.stringify` and `JSON.parse` with slower JavaScript polyfills (stringify about 5x slower),
 * which every process that imports retrieval (the Slack server among them) would otherwise pay.
 */
let pdfjs: Promise<typeof import('pdfjs-dist/legacy/build/pdf.mjs')> | undefined;

export async function pdfToText(bytes: Uint8Array): Promise<PdfText> {
  pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  const { getDocument } = await pdfjs;
  // PDF.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
  const task = getDocument({
    data: new Uint8Array(bytes),
    verbosity: 0,
    isEvalSupported: false,
    useSystemFonts: false,
  });
  try {
    const pdf = await task.promise;
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str + (item.hasEOL ? '\n' : '');
      }
      pages.push(text.replace(/[ \t]+\n/g, '\n').trim());
      page.cleanup();
    }
    const info = (await pdf.getMetadata()).info as { Title?: unknown } | undefined;
    const title = typeof info?.Title === 'string' && info.Title.trim() ? info.Title.trim() : undefined;
    return { ok: true, text: pages.filter((p) => p.length > 0).join('\n\n'), title };
  } catch (error) {
    return { ok: false, detail: `not a readable PDF: ${(error as Error).message}` };
  } finally {
    await task.destroy();
  }
}
