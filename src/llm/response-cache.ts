import { createHash } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { storableJson } from './storable-json.ts';

/**
 * Validated results of `triage` and `answer`, reused while fresh (migrations/0012). The key holds
 * everything the result depends on: task, prompt hash, model, the input normalised (case and
 * spacing do not change the question) and the ids of the chunks the answer may cite. `propose`
 * is never cached: a proposal leads to an effect and must be thought afresh.
 */

export type CacheableTask = 'triage' | 'answer';

export interface CacheKeyParts {
  task: CacheableTask;
  promptHash: string;
  model: string;
  input: string;
  chunkIds: readonly string[];
}

export function normaliseInput(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function cacheKey(parts: CacheKeyParts): string {
  const material = JSON.stringify([
    parts.task,
    parts.promptHash,
    parts.model,
    normaliseInput(parts.input),
    [...parts.chunkIds].sort(),
  ]);
  return createHash('sha256').update(material).digest('hex');
}

export interface ResponseCache {
  get(key: string): Promise<unknown | undefined>;
  put(
    key: string,
    entry: { task: CacheableTask; model: string; promptHash: string; value: unknown },
  ): Promise<void>;
  purgeExpired(): Promise<number>;
}

export function createResponseCache(options: {
  db: Database;
  ttlSeconds: number;
  now?: () => Date;
}): ResponseCache {
  const { db, ttlSeconds } = options;
  const now = options.now ?? (() => new Date());
  return {
    async get(key) {
      if (ttlSeconds <= 0) return undefined;
      const result = await db.query<{ value: unknown }>(
        `UPDATE llm_response_cache SET hits = hits + 1 WHERE cache_key = $1 AND expires_at > $2 RETURNING value`,
        [key, now()],
      );
      return result.rows[0]?.value;
    },
    async put(key, entry) {
      if (ttlSeconds <= 0) return;
      const at = now();
      await db.query(
        `INSERT INTO llm_response_cache (cache_key, task, model, prompt_hash, value, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
         ON CONFLICT (cache_key) DO UPDATE
           SET value = EXCLUDED.value, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, hits = 0`,
        [
          key,
          entry.task,
          entry.model,
          entry.promptHash,
          JSON.stringify(storableJson(entry.value)),
          at,
          new Date(at.getTime() + ttlSeconds * 1000),
        ],
      );
    },
    async purgeExpired() {
      const result = await db.query('DELETE FROM llm_response_cache WHERE expires_at <= $1', [now()]);
      return result.rowCount;
    },
  };
}
