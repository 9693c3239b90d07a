/**
 * Splits a document's text into chunks for retrieval. Chunks never cross a heading; within a
 * section they end on paragraph boundaries (a paragraph longer than the limit is split at
 * sentence ends, then at spaces). Each chunk after the first in a section starts a little before
 * the previous one ended (the overlap), at a sentence or word boundary, so a passage cut in two
 * is still found whole in one of them. Every chunk is an exact slice of the input:
 * `text.slice(startOffset, endOffset) === content`.
 */

export interface TextChunk {
  /** Enclosing headings, outermost first (without the `#` marks). */
  headingPath: string[];
  content: string;
  startOffset: number;
  endOffset: number;
  /** 1-based line of `startOffset`. */
  startLine: number;
}

export interface ChunkOptions {
  /** Longest chunk in characters (a single word longer than this is cut). */
  maxChars: number;
  /** Characters repeated from the end of the previous chunk of the same section. */
  overlapChars: number;
  /** Recognise `#` headings and code fences. */
  markdown: boolean;
  /** Offset where chunking starts (after front matter). */
  startAt?: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxChars: 1500, overlapChars: 200, markdown: true };

interface Span {
  start: number;
  end: number;
}

interface Section {
  headingPath: string[];
  /** The heading line itself, when the section has one. */
  heading: Span | undefined;
  blocks: Span[];
}

export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): TextChunk[] {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const chunks: TextChunk[] = [];
  for (const section of splitSections(text, options)) {
    for (const span of packSection(text, section, options)) {
      chunks.push({
        headingPath: section.headingPath,
        content: text.slice(span.start, span.end),
        startOffset: span.start,
        endOffset: span.end,
        startLine: lineOf(lineStarts, span.start),
      });
    }
  }
  return chunks;
}

const headingPattern = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const fencePattern = /^ {0,3}(```|~~~)/;

/** Walks the lines once: headings open sections, blank lines end paragraphs, fences stay whole. */
function splitSections(text: string, options: ChunkOptions): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { headingPath: [], heading: undefined, blocks: [] };
  let block: Span | undefined;
  let fence: string | undefined;
  let pos = options.startAt ?? 0;
  const closeBlock = () => {
    if (block) current.blocks.push(trimSpan(text, block));
    block = undefined;
  };
  while (pos < text.length) {
    const newline = text.indexOf('\n', pos);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(pos, lineEnd);
    const next = newline === -1 ? text.length : newline + 1;
    if (options.markdown && fence === undefined && headingPattern.test(line)) {
      const [, marks, title] = headingPattern.exec(line)!;
      closeBlock();
      sections.push(current);
      const level = marks!.length;
      while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title: title!.trim() });
      current = {
        headingPath: stack.map((h) => h.title),
        heading: trimSpan(text, { start: pos, end: lineEnd }),
        blocks: [],
      };
    } else if (options.markdown && fencePattern.test(line)) {
      const marker = fencePattern.exec(line)![1]!;
      if (fence === undefined) {
        fence = marker;
        block ??= { start: pos, end: lineEnd };
      } else if (marker === fence) fence = undefined;
      block!.end = lineEnd;
    } else if (fence === undefined && line.trim() === '') {
      closeBlock();
    } else {
      block ??= { start: pos, end: lineEnd };
      block.end = lineEnd;
    }
    pos = next;
  }
  closeBlock();
  sections.push(current);
  // A heading with no text of its own lives on in its subsections' heading paths.
  return sections.filter((s) => s.blocks.some((b) => b.end > b.start));
}

function packSection(text: string, section: Section, options: ChunkOptions): Span[] {
  const units: Span[] = [];
  const blocks = section.heading ? [section.heading, ...section.blocks] : section.blocks;
  // Pieces of a long paragraph leave room for the overlap, so consecutive pieces can share it.
  const pieceMax = Math.max(1, options.maxChars - options.overlapChars);
  for (const [index, b] of blocks.entries()) {
    if (b.end <= b.start) continue;
    if (b.end - b.start <= options.maxChars) {
      units.push(b);
      continue;
    }
    // The first piece after a heading leaves room for the heading, so the two stay together.
    const previous = units[units.length - 1];
    const headingRoom = index === 1 && section.heading && previous ? b.start - previous.start : 0;
    units.push(...splitLong(text, b, pieceMax, Math.max(1, options.maxChars - headingRoom)));
  }
  const spans: Span[] = [];
  let i = 0;
  let start = units[0]!.start;
  while (i < units.length) {
    let end = units[i]!.end;
    let j = i + 1;
    while (j < units.length && units[j]!.end - start <= options.maxChars) end = units[j++]!.end;
    spans.push({ start, end });
    if (j >= units.length) break;
    i = j;
    const overlapStart = overlapFrom(text, end, options.overlapChars, start);
    // Keep the overlap only if the next unit still fits after it.
    const keepOverlap = overlapStart < end && units[i]!.end - overlapStart <= options.maxChars;
    start = keepOverlap ? overlapStart : units[i]!.start;
  }
  return spans;
}

/** Where the overlap before `end` begins: the first sentence start in the window, else a word start. */
function overlapFrom(text: string, end: number, overlapChars: number, floor: number): number {
  if (overlapChars <= 0) return end;
  const from = Math.max(floor, end - overlapChars);
  if (from === floor) return floor;
  const window = text.slice(from, end);
  const sentence = /[.!?]["')\]]?\s+(?=\S)/.exec(window);
  if (sentence) return from + sentence.index + sentence[0].length;
  const space = /\s+(?=\S)/.exec(window);
  if (space) return from + space.index + space[0].length;
  return end;
}

/** Pieces of at most `max` characters, cut after sentence ends, then at spaces, then anywhere. */
function splitLong(text: string, span: Span, pieceMax: number, firstMax: number): Span[] {
  const pieces: Span[] = [];
  let start = span.start;
  let max = Math.min(firstMax, pieceMax);
  while (span.end - start > max) {
    const window = text.slice(start, start + max);
    let cut = lastMatchEnd(window, /[.!?]["')\]]?\s+/g);
    if (cut <= 0) cut = lastMatchEnd(window, /\s+/g);
    if (cut <= 0) cut = max;
    pieces.push(trimSpan(text, { start, end: start + cut }));
    start += cut;
    max = pieceMax;
    while (start < span.end && /\s/.test(text[start]!)) start++;
  }
  if (start < span.end) pieces.push(trimSpan(text, { start, end: span.end }));
  return pieces.filter((p) => p.end > p.start);
}

function lastMatchEnd(s: string, pattern: RegExp): number {
  let last = -1;
  for (const m of s.matchAll(pattern)) if (m.index > 0) last = m.index + m[0].length;
  return last;
}

function trimSpan(text: string, span: Span): Span {
  let { start, end } = span;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

function lineOf(lineStarts: number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
