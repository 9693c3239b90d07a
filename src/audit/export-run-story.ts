import type { Queryable } from '../db/database.ts';
import type { AuditEntry } from './audit-entry.ts';
import { listRunAudit } from './audit-log.ts';

/**
 * One run's story as a person reads it: every audit entry of the run, oldest first, one line
 * each, with who, what, and the model, policy, approvers and effect involved.
 */
export async function exportRunStory(
  db: Queryable,
  runId: string,
): Promise<{ entries: AuditEntry[]; text: string }> {
  const entries = await listRunAudit(db, runId);
  return { entries, text: formatRunStory(runId, entries) };
}

export function formatRunStory(runId: string, entries: AuditEntry[]): string {
  if (entries.length === 0) return `No audit entries for run ${runId}.\n`;
  const lines = [`Run ${runId} (correlation ${entries[0]!.correlationId ?? '-'})`];
  for (const e of entries) {
    const parts = [`#${e.seq}`, e.at.toISOString(), e.kind, `by ${e.actor}`];
    if (e.decision) parts.push(`decision=${e.decision}`);
    if (e.policyRule)
      parts.push(`rule=${e.policyRule}${e.policyVersion ? `@${e.policyVersion.slice(0, 12)}` : ''}`);
    if (e.model) parts.push(`model=${e.model}${e.promptVersion ? ` prompt=${e.promptVersion}` : ''}`);
    if (e.approvers && e.approvers.length > 0) parts.push(`approvers=${e.approvers.join(',')}`);
    if (e.effect) parts.push(`effect=${e.effect}`);
    if (e.inputDigest) parts.push(`inputs=sha256:${e.inputDigest.slice(0, 16)}`);
    if (e.result !== null && e.result !== undefined)
      parts.push(`result=${truncate(JSON.stringify(e.result), 200)}`);
    if (e.detail !== null && e.detail !== undefined)
      parts.push(`detail=${truncate(JSON.stringify(e.detail), 200)}`);
    lines.push(`  ${parts.join('  ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
