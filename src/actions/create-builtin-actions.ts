import type { ActionDefinition } from './define-action.ts';
import { createHttpRequestAction, type HttpRequestDeps } from './http-request.ts';
import { type AddNote, createKbAddNoteAction } from './kb-add-note.ts';
import { createSlackPostMessageAction, type SlackPostMessageDeps } from './slack-post-message.ts';

/** The three built-in actions, wired to what they write through. */
export function createBuiltinActions(deps: {
  slack: SlackPostMessageDeps;
  http: HttpRequestDeps;
  /** Omit when the knowledge base cannot take notes; `kb.add_note` is then not offered. */
  addNote?: AddNote;
}): ActionDefinition[] {
  const actions = [createSlackPostMessageAction(deps.slack), createHttpRequestAction(deps.http)];
  if (deps.addNote) actions.push(createKbAddNoteAction({ addNote: deps.addNote }));
  return actions;
}
