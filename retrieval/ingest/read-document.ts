import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type ChunkOptions, chunkText } from './chunk-text.ts';
import { htmlToMarkdown } from './html-to-markdown.ts';
import { pdfToText } from './pdf-to-text.ts';
import type { DocumentFormat, DocumentRecord } from './store-document.ts';

/**
 * Reads one file into a document ready to store, or says why it was skipped. Nothing here
 * throws for a bad file: ingest reports the reason and goes on with the next one.
 */

export const MAX_FILE_BYTES = 20 * 1024 * 1024;

export type SkipReason = 'unreadable' | 'too_large' | 'empty' | 'binary' | 'bad_encoding' | 'unsupported';

export type ReadResult =
  | { ok: true; document: DocumentRecord }
  | { ok: false; reason: SkipReason; detail: string };

const formats: Record<string, DocumentFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdx': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.rst': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

export const SUPPORTED_EXTENSIONS = Object.keys(formats);

export function formatOf(file: string): DocumentFormat | undefined {
  return formats[path.extname(file).toLowerCase()];
}

/** Bytes read and hashed; cheap enough to decide whether a file changed before parsing it. */
export async function readFileBytes(
  file: string,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: SkipReason; detail: string }> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as Error).message };
  }
  if (!stat.isFile()) return { ok: false, reason: 'unreadable', detail: 'not a regular file' };
  if (stat.size > MAX_FILE_BYTES) {
    return {
      ok: false,
      reason: 'too_large',
      detail: `${stat.size} bytes is over the ${MAX_FILE_BYTES}-byte limit`,
    };
  }
  if (stat.size === 0) return { ok: false, reason: 'empty', detail: 'the file is empty' };
  try {
    return { ok: true, bytes: await fs.readFile(file) };
  } catch (error) {
    return { ok: false, reason: 'unreadable', detail: (error as Error).message };
  }
}

export function contentHash(bytes: Buffer, settings: string): string {
  return createHash('sha256').update(bytes).update('\0').update(settings).digest('hex');
}

/** Parses bytes already read into a document with its chunks. */
export async function parseDocument(
  file: string,
  bytes: Buffer,
  hash: string,
  chunking: ChunkOptions,
): Promise<ReadResult> {
  const format = formatOf(file);
  if (!format)
    return {
      ok: false,
      reason: 'unsupported',
      detail: `no reader for "${path.extname(file) || 'no extension'}" files`,
    };
  let title: string | undefined;
  let link: string | undefined;
  let text: string;
  if (format === 'pdf') {
    const pdf = await pdfToText(bytes);
    if (!pdf.ok) return { ok: false, reason: 'unreadable', detail: pdf.detail };
    ({ text, title } = pdf);
  } else {
    const decoded = decode(bytes);
    if (!decoded.ok) return decoded;
    text = decoded.text;
  }
  text = text.replace(/\r\n?/g, '\n');
  let startAt = 0;
  if (format === 'html') {
    ({ text, title, link } = htmlToMarkdown(text));
  } else if (format === 'markdown') {
    const front = frontMatter(text);
    ({ title, link } = front);
    startAt = front.end;
  }
  if (text.slice(startAt).trim() === '')
    return { ok: false, reason: 'empty', detail: 'no text after extraction' };
  const chunks = chunkText(text, { ...chunking, markdown: format !== 'text' && format !== 'pdf', startAt });
  title ??=
    chunks.find((c) => c.headingPath.length > 0)?.headingPath[0] ?? path.basename(file, path.extname(file));
  return {
    ok: true,
    document: { source: file, title, link, format, contentHash: hash, byteSize: bytes.length, chunks },
  };
}

function decode(
  bytes: Buffer,
): { ok: true; text: string } | { ok: false; reason: SkipReason; detail: string } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return tryDecode('utf-16le', bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return tryDecode('utf-16be', bytes.subarray(2));
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  // A NUL byte never appears in text encoded as UTF-8: this is how git and grep spot binaries.
  if (bytes.subarray(start, start + 8192).includes(0)) {
    return { ok: false, reason: 'binary', detail: 'contains NUL bytes' };
  }
  return tryDecode('utf-8', bytes.subarray(start));
}

function tryDecode(
  encoding: string,
  bytes: Buffer,
): { ok: true; text: string } | { ok: false; reason: SkipReason; detail: string } {
  try {
    return { ok: true, text: new TextDecoder(encoding, { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'bad_encoding', detail: `not valid ${encoding.toUpperCase()}` };
  }
}

/** `---` YAML front matter: its title and url/link, and where the body starts. */
function frontMatter(text: string): { title: string | undefined; link: string | undefined; end: number } {
  const match = /^---\n([\s\S]*?)\n---[ \t]*(?:\n|$)/.exec(text);
  if (!match) return { title: undefined, link: undefined, end: 0 };
  let data: unknown;
  try {
    data = parseYaml(match[1]!);
  } catch {
    return { title: undefined, link: undefined, end: 0 };
  }
  const record = (data && typeof data === 'object' ? data : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  const link = str(record.url) ?? str(record.link) ?? str(record.source_url);
  return {
    title: str(record.title),
    link: link && /^https?:\/\//i.test(link) ? link : undefined,
    end: match[0].length,
  };
}
