import fs from 'node:fs';
import { DECISION_AUDIT_KIND, recordedDecisionFromAudit } from '../actions/decision-audit-entry.ts';
import { type AuditRow, entryFromRow } from '../audit/audit-log.ts';
import type { Queryable } from '../db/database.ts';
import { SluiceError } from '../errors.ts';
import type { RecordedDecision } from '../policy/backtest-policy.ts';

/** Recorded policy decisions for `sluice policy backtest`: from the audit log, or from a file. */

export interface DecisionFilter {
  since?: Date;
  limit?: number;
}

export async function readAuditDecisions(
  db: Queryable,
  filter: DecisionFilter = {},
): Promise<RecordedDecision[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT * FROM audit_log
      WHERE kind = $1 AND ($2::timestamptz IS NULL OR at >= $2::timestamptz)
      ORDER BY seq DESC
      LIMIT $3`,
    [DECISION_AUDIT_KIND, filter.since ?? null, filter.limit ?? 10_000],
  );
  return rows
    .reverse()
    .map((row) => recordedDecisionFromAudit(entryFromRow(row)))
    .filter((r): r is RecordedDecision => r !== undefined);
}

/**
 * Audit entries as JSON lines (the shape `AuditEntry` has: seq, at, runId, kind, decision,
 * policyRule, detail), e.g. an export kept from another installation or a test fixture.
 */
export function readAuditDecisionsFile(file: string, filter: DecisionFilter = {}): RecordedDecision[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SluiceError('not_found', `cannot read audit file ${file}: ${(error as Error).message}`);
  }
  const records: RecordedDecision[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new SluiceError('invalid_input', `${file}:${index + 1}: not JSON (${(error as Error).message})`);
    }
    const e = entry as Parameters<typeof recordedDecisionFromAudit>[0];
    if (typeof e?.seq !== 'number' || typeof e.at !== 'string') {
      throw new SluiceError(
        'invalid_input',
        `${file}:${index + 1}: an audit entry needs seq (number) and at (ISO time)`,
      );
    }
    const record = recordedDecisionFromAudit(e);
    if (record && (!filter.since || record.at >= filter.since)) records.push(record);
  }
  return filter.limit === undefined ? records : records.slice(-filter.limit);
}
