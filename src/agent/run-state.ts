/**
 * The states of a run and the moves between them:
 *
 *   received -> retrieving -> thinking -> decided(auto|deny|escalate) -> awaiting_approval ->
 *   executing -> replied -> done
 *
 * An answer goes thinking -> replied; a denial decided -> replied; an automatic action
 * decided -> executing. `replied` means the final reply is committed to the outbox; the run
 * becomes `done` (or `failed`, when the action failed) once Slack has it. `failed`,
 * `dead_lettered`, `cancelled` (paused, expired) and `budget_exceeded` end a run from any
 * unfinished state; a redrive sends a dead-lettered run back to the state it was in.
 */

export const RUN_STATES = [
  'received',
  'retrieving',
  'thinking',
  'decided',
  'awaiting_approval',
  'executing',
  'replied',
  'done',
  'failed',
  'dead_lettered',
  'cancelled',
  'budget_exceeded',
] as const;

export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set([
  'done',
  'failed',
  'dead_lettered',
  'cancelled',
  'budget_exceeded',
]);

/** States a worker moves forward by itself; the others wait for a person or for Slack. */
export const WORKING_STATES: ReadonlySet<RunState> = new Set([
  'received',
  'retrieving',
  'thinking',
  'decided',
  'executing',
]);

const forward: Record<RunState, readonly RunState[]> = {
  received: ['retrieving'],
  retrieving: ['thinking'],
  thinking: ['decided', 'replied'],
  decided: ['executing', 'awaiting_approval', 'replied'],
  awaiting_approval: ['executing', 'replied'],
  executing: ['replied'],
  replied: ['done', 'failed'],
  done: [],
  failed: [],
  dead_lettered: [...WORKING_STATES],
  cancelled: [],
  budget_exceeded: [],
};

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

export function canTransition(from: RunState, to: RunState): boolean {
  if (forward[from].includes(to)) return true;
  // Any unfinished run may end early.
  return (
    !isTerminal(from) &&
    (to === 'failed' || to === 'dead_lettered' || to === 'cancelled' || to === 'budget_exceeded')
  );
}
