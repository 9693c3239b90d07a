import type { Database, Queryable } from '../../src/db/database.ts';
import { type Bm25Params, DEFAULT_BM25_PARAMS, TEXT_SEARCH_CONFIG } from './bm25-sql.ts';
import type { Bm25Score } from './score-chunks-sql.ts';

/**
 * The exact BM25 top k, proposed by the pg_textsearch extension's index where it is installed
 * (migration 0007) and checked against the exact scores; `undefined` when the check cannot
 * prove the ranking exact, and the portable SQL ranks instead.
 *
 * The index ranks by its own scores s', which differ from the exact s in three ways: it quantises
 * a chunk's length down to one of 256 values (Lucene's SmallFloat, never above the true length),
 * it counts a repeated query word again, and its corpus statistics still count chunks deleted
 * since it was built (until it is rebuilt). Each moves s' one way or by a known amount: for every
 * live chunk d, s(d) <= R * s'(d), where
 *   R = (N + D) / N * max over query terms t of idf(df_t, N) / idf(df_t + D, N)
 * with N the live chunks, df_t the exact document frequencies and D a bound on the index's
 * entries for chunks that are gone (R = 1 when nothing was deleted). The first factor covers
 * the average length the index divides by (at least the live total over N + D), the second its
 * IDF (a stale df counts at most D more chunks). So when the index's M-th candidate has
 * R * s'_M below the k-th best exact score among its M candidates, no chunk it did not propose can
 * enter the top k, and the candidates' exact top k is the exact top k (ties by chunk id, as the
 * portable SQL breaks them). One statement reads the M candidates, their exact scores (from each
 * chunk's own term counts, with df from kb_terms: only once the statistics are folded) and R.
 *
 * D: every index entry belongs to a chunk id the kb_chunks sequence issued (rows are never
 * updated, migration 0007), so the entries now are at most the index's document count at a
 * snapshot plus the ids issued since; D is that minus the live chunks. The snapshot is read with
 * `bm25_summarize_index` (about 2 ms) when ids were issued since the last one.
 */

export const BM25_INDEX = 'kb_chunks_bm25';

export interface Bm25Index {
  name: string;
  k1: number;
  b: number;
}

/** The extension's index on kb_chunks, if migration 0007 could build one, with its parameters. */
export async function readBm25Index(db: Queryable): Promise<Bm25Index | undefined> {
  const { rows } = await db.query<{ options: string[] | null }>(
    `SELECT c.reloptions AS options FROM pg_class c JOIN pg_am a ON a.oid = c.relam
      WHERE c.relname = $1 AND a.amname = 'bm25'`,
    [BM25_INDEX],
  );
  if (rows.length === 0) return undefined;
  const options = new Map((rows[0]!.options ?? []).map((o) => o.split('=', 2) as [string, string]));
  if (options.get('text_config') !== TEXT_SEARCH_CONFIG) return undefined;
  const k1 = Number(options.get('k1'));
  const b = Number(options.get('b'));
  if (!Number.isFinite(k1) || !Number.isFinite(b)) return undefined;
  return { name: BM25_INDEX, k1, b };
}

interface EntrySnapshot {
  /** The index's document count (live and deleted), read after `issued`. */
  documents: number;
  /** Chunk ids the sequence had issued when the count was read. */
  issued: number;
}

interface IndexState {
  index: Bm25Index | undefined;
  snapshot?: EntrySnapshot;
}

/** Per database handle: whether the index exists is read once; the snapshot when ids move. */
const states = new WeakMap<object, Promise<IndexState>>();

/** Relative slack for the index's float4 arithmetic (about 1e-7 per operation). */
const FLOAT4_SLACK = 1e-5;

export async function searchBm25Indexed(
  db: Queryable,
  query: string,
  options: { limit: number; params: Bm25Params },
): Promise<Bm25Score[] | undefined> {
  const { limit, params } = options;
  let pending = states.get(db);
  if (!pending) {
    pending = readBm25Index(db).then((index) => ({ index }));
    states.set(db, pending);
  }
  try {
    const state = await pending;
    const index = state.index;
    if (!index || index.k1 !== params.k1 || index.b !== params.b || limit <= 0) return undefined;
    state.snapshot ??= await readSnapshot(db, index);
    const propose = (candidates: number) =>
      proposeAndCheck(db, index, query, { limit, candidates, params, snapshot: state.snapshot! });
    // A few more candidates than asked: the proof usually holds with k + k/5 (at least 2 more).
    const first = limit + Math.max(2, Math.ceil(limit / 5));
    let result = await propose(first);
    if (result.issued !== state.snapshot.issued) {
      state.snapshot = await readSnapshot(db, index);
      result = await propose(first);
    }
    // Near-ties at the k-th place defeat a short list; a longer one (a few ms) still beats the
    // portable SQL at scale.
    if (result.outcome === 'unproved') result = await propose(3 * limit + 10);
    return result.outcome === 'proved' ? result.hits : undefined;
  } catch (error) {
    // Whatever failed is read again next time rather than remembered.
    states.delete(db);
    // The index was dropped since it was looked up (a bulk load in another process on a server,
    // an operator): this query, and the next until it is back, rank with the portable SQL.
    if ((error as { code?: string }).code === UNDEFINED_OBJECT) return undefined;
    throw error;
  }
}

/** Postgres's `undefined_object`: what to_bm25query reports for an index that is gone. */
const UNDEFINED_OBJECT = '42704';

/**
 * Bulk loads drop the index and build it again at the end, like the HNSW index: a build costs
 * about 0.37 ms per chunk against 0.64 for inserting into it (5,000 SciFact-sized chunks). Returns
 * whether there was one to drop. If the load dies in between, searches rank with the portable
 * SQL until `restoreBm25Index` runs (every ingest ends with it).
 */
export async function dropBm25Index(db: Database): Promise<boolean> {
  const index = await readBm25Index(db);
  if (!index) return false;
  await db.exec(`DROP INDEX IF EXISTS ${index.name}`);
  states.delete(db);
  return true;
}

/** Builds the index migration 0007 builds, if pg_textsearch is installed and it is missing. */
export async function restoreBm25Index(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ installed: boolean; present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_textsearch') AS installed,
            EXISTS (SELECT 1 FROM pg_class WHERE relname = $1) AS present`,
    [BM25_INDEX],
  );
  if (!rows[0]?.installed || rows[0].present) return false;
  await db.exec(
    `CREATE INDEX IF NOT EXISTS ${BM25_INDEX} ON kb_chunks USING bm25 (search_text)
       WITH (text_config = '${TEXT_SEARCH_CONFIG}', k1 = ${DEFAULT_BM25_PARAMS.k1}, b = ${DEFAULT_BM25_PARAMS.b})`,
  );
  states.delete(db);
  return true;
}

/** Rebuild once deleted chunks' entries are more than this share of the live ones. */
const STALE_SHARE = 0.1;

/**
 * Rebuilds the extension's index when the entries of deleted chunks it still counts pass a tenth
 * of the live chunks (the proof above fails more often the more there are, and the portable SQL
 * then ranks). Embedded only, like the postings vacuum: REINDEX blocks writes to kb_chunks while
 * it runs (about 43 s at 100,000 chunks); on a server run `REINDEX INDEX CONCURRENTLY
 * kb_chunks_bm25` when convenient. Returns whether it rebuilt.
 */
export async function rebuildBm25IndexIfStale(db: Database): Promise<boolean> {
  if (db.kind !== 'embedded') return false;
  const index = await readBm25Index(db);
  if (!index) return false;
  const snapshot = await readSnapshot(db, index);
  const { rows } = await db.query<{ n: number }>('SELECT chunk_count AS n FROM kb_corpus WHERE id = 1');
  const live = Number(rows[0]?.n ?? 0);
  if (!(snapshot.documents - live > STALE_SHARE * Math.max(live, 1))) return false;
  await db.exec(`REINDEX INDEX ${index.name}`);
  states.delete(db);
  return true;
}

async function readSnapshot(db: Queryable, index: Bm25Index): Promise<EntrySnapshot> {
  // Ids first, then the count: entries added in between make the count larger, never wrong.
  const issued = await issuedIds(db);
  const { rows } = await db.query<{ summary: string }>('SELECT bm25_summarize_index($1) AS summary', [
    index.name,
  ]);
  const match = /total_docs:\s*(\d+)/.exec(rows[0]?.summary ?? '');
  // Unreadable: no snapshot can bound the entries, so every check fails and the SQL ranks.
  return { documents: match ? Number(match[1]) : Number.POSITIVE_INFINITY, issued };
}

async function issuedIds(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ issued: number }>(
    'SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS issued FROM kb_chunks_id_seq',
  );
  return Number(rows[0]!.issued);
}

interface Candidate {
  id: number;
  /** The index's score. */
  proposed: number;
  /** The exact BM25 score. */
  score: number;
  /** [R, ids issued, 1 if the statistics are folded, 1 if the proposal query has every term]. */
  stats: [number | null, number, number, number];
}

type Proposal =
  /** The candidates' exact top k is the exact top k. */
  | { outcome: 'proved'; hits: Bm25Score[]; issued: number }
  /** The bound did not clear: more candidates may prove it. */
  | { outcome: 'unproved'; issued: number }
  /** Nothing to prove with: too few candidates, unfolded statistics, a changed query. */
  | { outcome: 'unusable'; issued: number };

async function proposeAndCheck(
  db: Queryable,
  index: Bm25Index,
  query: string,
  o: { limit: number; candidates: number; params: Bm25Params; snapshot: EntrySnapshot },
): Promise<Proposal> {
  const { limit, candidates, params, snapshot } = o;
  // Unreadable index statistics: nothing bounds its entries, so nothing can be proved.
  if (!Number.isFinite(snapshot.documents)) return { outcome: 'unusable', issued: snapshot.issued };
  const proposalQuery = withoutRepeatedWords(query);
  // Planned each time: a generic plan would hide the LIMIT that pg_textsearch ranks to.
  const { rows } = await db.query<Candidate>(
    proposalSql(index.name, candidates, proposalQuery !== query),
    [query, params.k1, params.b, proposalQuery, snapshot.documents, snapshot.issued],
    { planEachTime: true },
  );
  const issued = rows.length > 0 ? Number(rows[0]!.stats[1]) : snapshot.issued;
  // Fewer rows than asked proves nothing (the index may have skipped deleted chunks among them);
  // with few matching chunks the portable SQL scores them all quickly anyway.
  if (rows.length < candidates) return { outcome: 'unusable', issued };
  const [bound, , folded, covered] = rows[0]!.stats;
  if (folded !== 1 || covered !== 1 || bound === null || !Number.isFinite(Number(bound))) {
    return { outcome: 'unusable', issued };
  }
  const exact = rows
    .map((r) => ({ chunkId: Number(r.id), score: Number(r.score) }))
    .sort((a, b) => b.score - a.score || a.chunkId - b.chunkId);
  const kth = exact[limit - 1]!.score;
  const lowestProposed = Math.min(...rows.map((r) => Number(r.proposed)));
  const outsideAtMost = Number(bound) * lowestProposed * (1 + FLOAT4_SLACK);
  if (!(outsideAtMost < kth)) return { outcome: 'unproved', issued };
  return { outcome: 'proved', hits: exact.slice(0, limit), issued };
}

/**
 * $1 the query, $2 k1, $3 b, $4 the query without repeated words, $5 and $6 the entry snapshot.
 * Returns the index's candidates with their proposed and exact scores, and on every row `stats`:
 * the bound R, the ids issued now, whether the term statistics are folded (kb_terms alone then
 * holds every df) and, when `checkCovered`, whether $4 still has every term of $1 the corpus has.
 * Exact scores come from each candidate's own term counts (kb_chunks.terms and term_counts, the
 * numbers its postings hold), df from kb_terms. The statistics and scores are computed by the
 * functions of migration 0008, whose plans PL/pgSQL keeps: this statement is planned for every
 * query, and it plans in about a third of the time of the same arithmetic in CTEs.
 */
export function proposalSql(index: string, candidates: number, checkCovered: boolean): string {
  return `WITH q AS MATERIALIZED (
       SELECT * FROM kb_bm25_query_terms($1::text, $4::text, ${checkCovered}, $2::float8, $3::float8, $5::float8, $6::float8)
     )
     SELECT k.id, -bm25_get_current_score() AS proposed,
            kb_bm25_chunk_score(k.terms, k.term_counts,
                                (SELECT len_fixed FROM q) + (SELECT len_per_word FROM q) * k.lexical_length,
                                (SELECT terms FROM q), (SELECT idf FROM q))
              * ($2::float8 + 1::float8) AS score,
            (SELECT stats FROM q) AS stats
       FROM kb_chunks k
      ORDER BY k.search_text <@> to_bm25query($4::text, '${index}')
      LIMIT ${candidates}`;
}

/**
 * The query with words it already contains dropped (compared without case and surrounding
 * punctuation), so that the index does not weigh a repeated word twice and its candidates follow
 * the exact ranking more closely. Only the proposal uses it; if dropping a word changed which
 * terms the query has, the statement reports `covered` false and the check fails.
 */
export function withoutRepeatedWords(query: string): string {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const word of query.split(/\s+/)) {
    const key = word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    if (key !== '' && seen.has(key)) continue;
    seen.add(key);
    kept.push(word);
  }
  return kept.join(' ');
}
