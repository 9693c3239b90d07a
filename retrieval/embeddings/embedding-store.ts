import type { Database, Queryable } from '../../src/db/database.ts';
import { SluiceError } from '../../src/errors.ts';
import type { EmbeddingProvider } from './embedding-provider.ts';

/**
 * The vector table, `kb_embeddings`, is created at run time rather than by a migration: its
 * column and HNSW index need the dimension of the configured model, and it can exist only where
 * pgvector is installed. `kb_embedding_space` (a migration) records which model made the
 * vectors, so a changed provider, model or dimension is refused with the fix (`sluice reindex`)
 * instead of silently mixing incomparable vectors.
 */

export interface EmbeddingSpace {
  provider: string;
  model: string;
  dimension: number;
}

export interface HnswBuildOptions {
  /** Links per node; higher gives better recall and slower inserts. */
  m: number;
  efConstruction: number;
}

/** pgvector's own defaults. */
export const DEFAULT_HNSW_BUILD: HnswBuildOptions = { m: 16, efConstruction: 64 };

/** Arbitrary constant naming the advisory lock held while the vector table is created or dropped. */
const EMBEDDING_DDL_LOCK = 7_406_215_902;

export function spaceOf(provider: EmbeddingProvider): EmbeddingSpace {
  return { provider: provider.provider, model: provider.model, dimension: provider.dimension };
}

export async function readEmbeddingSpace(db: Queryable): Promise<EmbeddingSpace | undefined> {
  const { rows } = await db.query<EmbeddingSpace>(
    'SELECT provider, model, dimension FROM kb_embedding_space WHERE id = 1',
  );
  return rows[0];
}

export function describeSpace(s: EmbeddingSpace): string {
  return `${s.provider}/${s.model} (${s.dimension} dimensions)`;
}

export function mismatchError(stored: EmbeddingSpace, configured: EmbeddingSpace): SluiceError {
  return new SluiceError(
    'invalid_input',
    `the stored embeddings were made by ${describeSpace(stored)} but ${describeSpace(configured)} is configured; run \`sluice reindex\` to re-embed every chunk with the configured model, or restore the previous SLUICE_EMBEDDINGS settings`,
    { details: { stored, configured } },
  );
}

/**
 * Makes sure the vector table exists for `space`. Returns false when the stored vectors came from
 * another space (the caller decides: refuse, or reindex).
 */
export async function ensureEmbeddingSpace(
  db: Database,
  space: EmbeddingSpace,
  hnsw: HnswBuildOptions = DEFAULT_HNSW_BUILD,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int8)', [EMBEDDING_DDL_LOCK]);
    const stored = await readEmbeddingSpace(tx);
    if (stored && !sameSpace(stored, space)) return false;
    if (!stored) {
      await tx.query(
        'INSERT INTO kb_embedding_space (id, provider, model, dimension) VALUES (1, $1, $2, $3::int)',
        [space.provider, space.model, space.dimension],
      );
    }
    await createVectorTable(tx, space.dimension, hnsw);
    return true;
  });
}

/** Drops every stored vector and starts a new space (the first half of `sluice reindex`). */
export async function resetEmbeddingSpace(
  db: Database,
  space: EmbeddingSpace,
  hnsw: HnswBuildOptions = DEFAULT_HNSW_BUILD,
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::int8)', [EMBEDDING_DDL_LOCK]);
    await tx.exec('DROP TABLE IF EXISTS kb_embeddings; DELETE FROM kb_embedding_space;');
    await tx.query(
      'INSERT INTO kb_embedding_space (id, provider, model, dimension) VALUES (1, $1, $2, $3::int)',
      [space.provider, space.model, space.dimension],
    );
    await createVectorTable(tx, space.dimension, hnsw);
  });
}

async function createVectorTable(tx: Queryable, dimension: number, hnsw: HnswBuildOptions): Promise<void> {
  const dim = integerOrThrow(dimension);
  await tx.exec(`
    CREATE TABLE IF NOT EXISTS kb_embeddings (
      chunk_id  bigint PRIMARY KEY REFERENCES kb_chunks (id) ON DELETE CASCADE,
      embedding vector(${dim}) NOT NULL
    );
    CREATE INDEX IF NOT EXISTS kb_embeddings_hnsw ON kb_embeddings
      USING hnsw (embedding vector_cosine_ops) WITH (m = ${integerOrThrow(hnsw.m)}, ef_construction = ${integerOrThrow(hnsw.efConstruction)});`);
}

function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.provider === b.provider && a.model === b.model && a.dimension === b.dimension;
}

function integerOrThrow(n: number): number {
  if (!Number.isInteger(n) || n <= 0)
    throw new SluiceError('invalid_input', `expected a positive integer, got ${n}`);
  return n;
}

/** pgvector's text form; float32 precision is all a vector column keeps anyway. */
export function vectorLiteral(v: Float32Array): string {
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i === 0 ? '' : ',') + v[i]!.toPrecision(7);
  return `${s}]`;
}

/**
 * A vector as integers scaled by a power of two, or as text when that cannot be exact. Parsing
 * vector text costs about 0.2 ms per 256-dimension vector on PGlite (strtof for every element,
 * slow in WebAssembly), most of what storing a vector costs there, while integers parse four times
 * faster. Every float32 is an integer times a power of two, and those of one vector share a scale
 * whenever their magnitudes are within 2^7 of each other (none of 2,000 SciFact vectors from the
 * local embedder needed text). The values are the float32 that Postgres reads from
 * `vectorLiteral`'s text (7 significant digits, rounded once, to nearest), so the stored vector
 * is the same, bit for bit, whichever way it travels. Back in SQL: `decodeVectorSql`.
 */
export type EncodedVector =
  | { ints: string; shift: number; literal: null }
  | { ints: null; shift: null; literal: string };

export function encodeVector(v: Float32Array): EncodedVector {
  const values = new Float64Array(v.length);
  // A vector holds few distinct values (the local embedder's are a handful of counts, damped and
  // scaled), so each is rounded once.
  const rounded = new Map<number, number>();
  let max = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    let value = x === 0 ? 0 : rounded.get(x);
    if (value === undefined) {
      const decimal = Number(x.toPrecision(7));
      value = Math.fround(decimal);
      // Rounding the decimal to float64 and then to float32 is the same as rounding it to float32
      // once unless the float64 lands exactly half-way between two float32: then it may not be.
      const off = decimal - value;
      if (off !== 0 && Math.fround(value + 2 * off) === value + 2 * off) return asText(v);
      rounded.set(x, value);
    }
    values[i] = value;
    max = Math.max(max, Math.abs(value));
  }
  if (max === 0) return { ints: `{${values.join(',')}}`, shift: 0, literal: null };
  // The largest magnitude scaled into [2^30, 2^31): the int4 range.
  let shift = 30 - Math.floor(Math.log2(max));
  while (max * 2 ** shift >= 2 ** 31) shift--;
  while (max * 2 ** shift < 2 ** 30) shift++;
  const ints = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const scaled = values[i]! * 2 ** shift;
    if (!Number.isInteger(scaled)) return asText(v);
    ints[i] = scaled;
  }
  return { ints: `{${ints.join(',')}}`, shift, literal: null };
}

function asText(v: Float32Array): EncodedVector {
  return { ints: null, shift: null, literal: vectorLiteral(v) };
}

/**
 * An `EncodedVector` back to a vector, from its integers already cast to int4[]: int4 to float4
 * is exact for at most 24 significant bits (a float32 has no more), and so is multiplying by a
 * power of two.
 */
export function decodeVectorSql(ints: string, shift: string, literal: string): string {
  return `CASE WHEN ${ints} IS NULL THEN ${literal}::vector
     ELSE ${ints}::vector * array_fill(power(2::float8, -${shift})::real, ARRAY[cardinality(${ints})])::vector END`;
}

/** Bulk loads drop the HNSW index and rebuild it once at the end (see ingest-files.ts). */
export async function dropVectorIndex(db: Database): Promise<void> {
  await db.exec('DROP INDEX IF EXISTS kb_embeddings_hnsw');
}

export async function restoreVectorIndex(
  db: Database,
  hnsw: HnswBuildOptions = DEFAULT_HNSW_BUILD,
): Promise<void> {
  await db.transaction(async (tx) => {
    // pgvector builds the graph in memory when it fits in maintenance_work_mem and falls back to
    // a much slower on-disk build otherwise; 64 MB (the default) is too small past ~50k vectors.
    await tx.query("SELECT set_config('maintenance_work_mem', $1, true)", [BUILD_MEMORY]);
    await tx.exec(
      `CREATE INDEX IF NOT EXISTS kb_embeddings_hnsw ON kb_embeddings
         USING hnsw (embedding vector_cosine_ops) WITH (m = ${integerOrThrow(hnsw.m)}, ef_construction = ${integerOrThrow(hnsw.efConstruction)})`,
    );
  });
}

const BUILD_MEMORY = '256MB';
