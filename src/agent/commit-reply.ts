import type { AuditLog } from '../audit/audit-log.ts';
import type { Database, Queryable } from '../db/database.ts';
import { commitTransition, type RunChange } from './commit-transition.ts';
import { runMessage } from './run-messages.ts';
import type { Run } from './run-record.ts';
import type { ReplyDraft } from './run-steps.ts';

/**
 * Commits a run's final reply: `replied` now, with the reply in the outbox marked as completing
 * the run, so the run becomes done (or failed) when Slack has it. A run with nowhere to reply
 * (no channel) goes straight on to its final state. Pass the database (not a transaction) to
 * commit it on its own: one statement when there is a reply to send, a transaction of two when not.
 */
export async function commitReply(
  tx: Queryable | Database,
  audit: AuditLog,
  run: Run,
  change: RunChange & { finalState: 'done' | 'failed' },
  text: ReplyDraft,
): Promise<Run> {
  const messages = runMessage(run, 'reply', text, true);
  if (messages.length === 0 && 'transaction' in tx) {
    return tx.transaction((inner) => commitReply(inner, audit, run, change, text));
  }
  const replied = await commitTransition(tx, audit, run, 'replied', {
    ...change,
    messages: [...(change.messages ?? []), ...messages],
  });
  if (messages.length > 0) return replied;
  return commitTransition(tx, audit, replied, change.finalState, {
    audit: [{ actor: 'system', kind: `run.${change.finalState}` }],
  });
}
