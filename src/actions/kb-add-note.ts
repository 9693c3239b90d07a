import { z } from 'zod';
import { type ActionDefinition, defineAction, runStepKey } from './define-action.ts';

/**
 * `kb.add_note`: adds a short note to the knowledge base, attributed to the requester. The note
 * is stored under a source derived from the idempotency key, and storing a document replaces
 * any earlier one with the same source, so a repeated call leaves exactly one note.
 */

export interface NoteInput {
  title: string;
  text: string;
  /** Slack user id of the person who asked. */
  author: string;
  /** Stable identity of the note: the same source replaces, never duplicates. */
  source: string;
}

/** Retrieval's ingest of one text, injected (retrieval/ owns chunking and indexing). */
export type AddNote = (note: NoteInput) => Promise<{ documentId: string | number }>;

export function createKbAddNoteAction(deps: { addNote: AddNote }): ActionDefinition {
  return defineAction({
    name: 'kb.add_note',
    description: 'Add a short note to the team knowledge base so later answers can cite it.',
    input: z.strictObject({
      title: z.string().trim().min(1).max(200).describe('A short title'),
      text: z.string().trim().min(1).max(20_000).describe('The note, in Markdown'),
    }),
    risk: 'low',
    idempotencyKey: runStepKey,
    retryUnknownOutcome: true,
    baselineMinutes: 5,
    async execute(input, ctx) {
      const stored = await deps.addNote({
        title: input.title,
        text: input.text,
        author: ctx.requester,
        source: `sluice-note:${ctx.idempotencyKey}`,
      });
      return {
        ok: true,
        summary: `added note "${input.title}"`,
        data: { documentId: String(stored.documentId), title: input.title },
      };
    },
  });
}
