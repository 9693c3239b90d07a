import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRetrieval, type Retrieval } from '../../retrieval/create-retrieval.ts';
import { parseDocument } from '../../retrieval/ingest/read-document.ts';
import { loadConfig } from '../../src/config.ts';
import { detectCapabilities } from '../../src/db/capabilities.ts';
import type { Database } from '../../src/db/database.ts';
import { createEmbeddedTestDatabase } from '../support/test-database.ts';

/**
 * A minimal, valid PDF written by hand: one page per entry of `pages`, each line of text drawn
 * with a standard font, byte offsets in the cross-reference table computed as it is built.
 */
function makePdf(pages: string[][], title?: string): Buffer {
  const quote = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const objects: string[] = ['<< /Type /Catalog /Pages 2 0 R >>', ''];
  const kids: string[] = [];
  const font = 3 + pages.length * 2;
  pages.forEach((lines, i) => {
    const page = 3 + i * 2;
    kids.push(`${page} 0 R`);
    const content = `BT /F1 12 Tf 72 720 Td 14 TL ${lines.map((l) => `(${quote(l)}) '`).join(' ')} ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${page + 1} 0 R >>`,
      `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    );
  });
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages.length} >>`;
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  const info = title ? ` /Info << /Title (${quote(title)}) >>` : '';
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${info} >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

const chunking = { maxChars: 1500, overlapChars: 200, markdown: false };

describe('PDF ingest', () => {
  // PDF.js's legacy build swaps in slower JavaScript JSON.stringify/parse: only a PDF may load it.
  it('leaves JSON native until the first PDF is read', () => {
    assert.match(Function.prototype.toString.call(JSON.stringify), /\[native code\]/);
    assert.match(Function.prototype.toString.call(JSON.parse), /\[native code\]/);
  });

  it('extracts the text of every page, in order, with the title from the metadata', async () => {
    const bytes = makePdf(
      [
        ['Restarting the payments worker', 'Open the console and press restart.'],
        ['Page two: check the queue depth (it should fall).'],
      ],
      'Payments restart guide',
    );
    const result = await parseDocument('/kb/guide.pdf', bytes, 'h', chunking);
    assert.ok(result.ok, JSON.stringify(result));
    const doc = result.document;
    assert.equal(doc.format, 'pdf');
    assert.equal(doc.title, 'Payments restart guide');
    const text = doc.chunks.map((c) => c.content).join('\n');
    assert.match(text, /Restarting the payments worker\nOpen the console and press restart\./);
    assert.ok(
      text.indexOf('press restart') < text.indexOf('Page two: check the queue depth (it should fall).'),
    );
  });

  it('falls back to the file name without a title, and skips broken or text-less PDFs with a reason', async () => {
    const untitled = await parseDocument(
      '/kb/on-call.pdf',
      makePdf([['Page the on-call engineer.']]),
      'h',
      chunking,
    );
    assert.ok(untitled.ok);
    assert.equal(untitled.document.title, 'on-call');

    const broken = await parseDocument(
      '/kb/broken.pdf',
      Buffer.from('%PDF-1.4\nnot really a pdf'),
      'h',
      chunking,
    );
    assert.equal(broken.ok, false);
    assert.equal(!broken.ok && broken.reason, 'unreadable');

    const blank = await parseDocument('/kb/scan.pdf', makePdf([[]]), 'h', chunking);
    assert.equal(blank.ok, false);
    assert.equal(!blank.ok && blank.reason, 'empty', 'a PDF without a text layer (a scan) has no text');
  });

  describe('through sluice ingest', () => {
    let db: Database;
    let retrieval: Retrieval;
    let dir: string;
    before(async () => {
      db = await createEmbeddedTestDatabase();
      retrieval = await createRetrieval({
        db,
        config: loadConfig({}).retrieval,
        capabilities: await detectCapabilities(db),
      });
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pdf-'));
    });
    after(async () => {
      await db?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('makes a PDF searchable with a citation, and reports a broken one', async () => {
      fs.writeFileSync(
        path.join(dir, 'vault.pdf'),
        makePdf([['Rotating secrets', 'Rotate the staging vault token every month.']], 'Vault runbook'),
      );
      fs.writeFileSync(path.join(dir, 'broken.pdf'), Buffer.from('%PDF-1.7\n%\xff\xff garbage', 'latin1'));
      const summary = await retrieval.ingest({ paths: ['.'], cwd: dir, prune: false });
      assert.equal(summary.added, 1);
      assert.deepEqual(
        summary.skipped.map((s) => [path.basename(s.path), s.reason]),
        [['broken.pdf', 'unreadable']],
      );
      const found = await retrieval.search({ query: 'rotate staging vault token', mode: 'bm25', limit: 1 });
      assert.equal(found.hits[0]?.citation.title, 'Vault runbook');
      assert.match(found.hits[0]!.content, /Rotate the staging vault token every month\./);
    });
  });
});
