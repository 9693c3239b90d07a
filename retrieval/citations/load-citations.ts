import type { Queryable } from '../../src/db/database.ts';
import { TEXT_SEARCH_CONFIG, TSQUERY_TERM_SQL } from '../lexical/bm25-sql.ts';

/** Where a hit comes from, ready to show as a numbered citation. */
export interface Citation {
  source: string;
  title: string;
  headingPath: string[];
  /** A short passage of the chunk around the query's terms. */
  snippet: string;
  /** [start, end) ranges in `snippet` of words matching the query (after stemming). */
  highlights: [number, number][];
  /** The document's URL (from front matter or the HTML canonical link), with a heading anchor. */
  link: string | undefined;
  startLine: number;
  startOffset: number;
  endOffset: number;
}

export interface ChunkWithCitation {
  chunkId: number;
  documentId: number;
  content: string;
  citation: Citation;
}

// Private-use characters mark the matches in ts_headline's output; they never occur in text.
const OPEN = '\uE000';
const CLOSE = '\uE001';

/**
 * Loads chunks with their document and a snippet from Postgres's ts_headline, which stems the
 * same way the index does, so "rotating" in the query highlights "rotate" in the text.
 */
export async function loadCitations(
  db: Queryable,
  chunkIds: readonly number[],
  query: string,
): Promise<Map<number, ChunkWithCitation>> {
  if (chunkIds.length === 0) return new Map();
  const { rows } = await db.query<{
    id: number;
    document_id: number;
    content: string;
    heading_path: string[];
    start_offset: number;
    end_offset: number;
    start_line: number;
    source: string;
    title: string;
    link: string | null;
    headline: string | null;
  }>(
    `WITH q AS (
       SELECT nullif(array_to_string(array(
                SELECT ${TSQUERY_TERM_SQL} FROM unnest(tsvector_to_array(to_tsvector('${TEXT_SEARCH_CONFIG}', $2::text))) AS t
              ), ' | '), '')::tsquery AS tsq
     )
     SELECT c.id, c.document_id, c.content, c.heading_path, c.start_offset, c.end_offset, c.start_line,
            d.source, d.title, d.link,
            CASE WHEN q.tsq IS NULL THEN NULL ELSE ts_headline('${TEXT_SEARCH_CONFIG}', c.content, q.tsq,
              'StartSel=${OPEN}, StopSel=${CLOSE}, MaxWords=45, MinWords=20, MaxFragments=2, FragmentDelimiter=" … "') END AS headline
       FROM kb_chunks c JOIN kb_documents d ON d.id = c.document_id CROSS JOIN q
      WHERE c.id = ANY($1::int8[])`,
    [chunkIds, query],
  );
  const out = new Map<number, ChunkWithCitation>();
  for (const r of rows) {
    const { snippet, highlights } = parseHeadline(r.headline ?? firstWords(r.content, 45));
    out.set(Number(r.id), {
      chunkId: Number(r.id),
      documentId: Number(r.document_id),
      content: r.content,
      citation: {
        source: r.source,
        title: r.title,
        headingPath: r.heading_path,
        snippet,
        highlights,
        link: r.link ? withAnchor(r.link, r.heading_path) : undefined,
        startLine: r.start_line,
        startOffset: r.start_offset,
        endOffset: r.end_offset,
      },
    });
  }
  return out;
}

export function parseHeadline(headline: string): { snippet: string; highlights: [number, number][] } {
  let snippet = '';
  const highlights: [number, number][] = [];
  let open = -1;
  for (const ch of headline.replace(/\s+/g, ' ').trim()) {
    if (ch === OPEN) open = snippet.length;
    else if (ch === CLOSE) {
      if (open >= 0) highlights.push([open, snippet.length]);
      open = -1;
    } else snippet += ch;
  }
  return { snippet, highlights };
}

/** The snippet with each highlight wrapped, e.g. `*term*` for Slack or `**term**` for Markdown. */
export function formatSnippet(
  citation: Pick<Citation, 'snippet' | 'highlights'>,
  open: string,
  close: string,
): string {
  let out = '';
  let at = 0;
  for (const [start, end] of citation.highlights) {
    out += citation.snippet.slice(at, start) + open + citation.snippet.slice(start, end) + close;
    at = end;
  }
  return out + citation.snippet.slice(at);
}

function firstWords(text: string, n: number): string {
  const words = text.split(/\s+/).filter(Boolean);
  return words.slice(0, n).join(' ') + (words.length > n ? ' …' : '');
}

/** GitHub-style heading anchor for the innermost heading, when the link has none. */
function withAnchor(link: string, headingPath: string[]): string {
  const heading = headingPath[headingPath.length - 1];
  if (!heading || link.includes('#')) return link;
  const slug = heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .trim()
    .replace(/\s+/g, '-');
  return slug ? `${link}#${slug}` : link;
}
