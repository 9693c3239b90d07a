import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import { storableJson } from './storable-json.ts';
import type { Task } from './types.ts';

/**
 * Model output that failed validation twice lands here (migrations/0013) and a human is told
 * through `notifyOps`, which the outbox provides. A failing notification is logged and leaves
 * `notified_at` empty, so it can be retried; it never hides the dead letter itself.
 */

export type NotifyOps = (text: string) => Promise<void> | void;

export interface DeadLetter {
  runId: string;
  userId: string;
  correlationId: string;
  task: Task;
  model: string;
  promptVersion: string;
  promptHash: string;
  errors: string[];
  lastOutput: unknown;
  request: unknown;
}

export interface DeadLetterStore {
  add(letter: DeadLetter): Promise<number>;
}

export function createDeadLetterStore(options: {
  db: Database;
  notifyOps: NotifyOps;
  logger: Logger;
}): DeadLetterStore {
  const { db, notifyOps, logger } = options;
  return {
    async add(letter) {
      const inserted = await db.query<{ id: number }>(
        `INSERT INTO llm_dead_letters (run_id, user_id, correlation_id, task, model, prompt_version, prompt_hash,
           errors, last_output, request)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb) RETURNING id`,
        [
          letter.runId,
          letter.userId,
          letter.correlationId,
          letter.task,
          letter.model,
          letter.promptVersion,
          letter.promptHash,
          JSON.stringify(storableJson(letter.errors, 4000)),
          JSON.stringify(storableJson(letter.lastOutput ?? null)),
          JSON.stringify(storableJson(letter.request)),
        ],
      );
      const id = inserted.rows[0]!.id;
      // Only our own words and validation paths go to Slack, never the model's output itself; angle
      // brackets and ampersands go too, so a quoted tool name can never become a Slack mention.
      const lastError = (letter.errors.at(-1) ?? 'no error text')
        .split('\n')
        .slice(0, 3)
        .join(' ')
        .replace(/[<>&]/g, '')
        .slice(0, 300);
      const text =
        `:rotating_light: Model output dead-lettered (#${id}): ${letter.task} by ${letter.model} ` +
        `(prompt ${letter.promptVersion}) failed validation twice for run ${letter.runId}. ` +
        `Last error: ${lastError}. Correlation id ${letter.correlationId}.`;
      try {
        await notifyOps(text);
        await db.query('UPDATE llm_dead_letters SET notified_at = now() WHERE id = $1', [id]);
      } catch (error) {
        logger.error({ err: error, deadLetterId: id }, 'could not tell the ops channel about a dead letter');
      }
      return id;
    },
  };
}
