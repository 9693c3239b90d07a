import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { SluiceError, UsageError } from '../errors.ts';
import { type BacktestReport, backtestPolicy } from '../policy/backtest-policy.ts';
import { explainDecision } from '../policy/decide.ts';
import { formatDuration } from '../policy/duration.ts';
import { parseExplicitCommand } from '../policy/parse-explicit-command.ts';
import { checkPolicy } from '../policy/parse-policy.ts';
import type { Policy } from '../policy/policy-types.ts';
import { formatProblem } from '../policy/source-problems.ts';
import { type CliContext, withRuntime } from './context.ts';
import { readAuditDecisions, readAuditDecisionsFile } from './read-audit-decisions.ts';

/**
 * `sluice policy check | explain | backtest`: test a policy file before it goes live. `check`
 * validates it, `explain` decides one proposal and shows each rule tried, `backtest` replays the
 * decisions recorded in the audit log through it and prints what would change.
 */

export function registerPolicyCommands(program: Command, context: CliContext): void {
  const policy = program.command('policy').description('Check, explain and backtest a policy file');

  policy
    .command('check')
    .description('Validate a policy file; exit 1 listing each problem with its line and rule')
    .argument('<file>', 'the policy file (YAML)')
    .action((file: string) => {
      const loaded = load(context, file);
      context.stdout(
        `${loaded.file}: ok, ${loaded.rules.length} rule(s), sha256 ${loaded.hash.slice(0, 12)}\n`,
      );
      for (const w of loaded.warnings) context.stdout(`warning: ${formatProblem(w)}\n`);
    });

  policy
    .command('explain')
    .description('Decide one proposal with a policy file and show why')
    .argument('<file>', 'the policy file (YAML)')
    .requiredOption(
      '--proposal <proposal>',
      'JSON {"action","params","source"} or an explicit command: "do http.request endpoint=x"',
    )
    .option('--context <json>', 'JSON {"requester","requesterGroups","channel","environment","risk"}')
    .option('--at <time>', 'decide as of this ISO time (default now)')
    .action((file: string, options: { proposal: string; context?: string; at?: string }) => {
      const loaded = load(context, file);
      const proposal = parseProposalOption(options.proposal);
      const ctx = { requester: 'cli', channel: 'cli', ...parseJsonOption('--context', options.context) };
      const now = parseTime('--at', options.at) ?? new Date();
      const { decision, trace } = explainDecision(proposal, ctx, loaded, now);
      const out: string[] = [
        `decision: ${decision.decision}`,
        `rule: ${decision.ruleId ?? '(none)'}`,
        `reason: ${decision.reason}`,
      ];
      if (decision.approval) {
        const a = decision.approval;
        const who = [...a.approvers.users, ...a.approvers.groups.map((g) => `@${g}`)].join(', ');
        out.push(
          `approval: ${a.quorum} of ${who} within ${formatDuration(a.expiresInMs)}; requester may ${a.requesterCanApprove ? '' : 'not '}approve`,
        );
      }
      out.push(`policy: sha256 ${decision.policyHash.slice(0, 12)}`, 'rules tried:');
      for (const t of trace) {
        out.push(
          `  ${t.missedBecause === undefined ? 'MATCH' : 'skip '} ${t.ruleId} (line ${t.line})${t.missedBecause ? `: ${t.missedBecause}` : ''}`,
        );
      }
      if (trace.length === 0 || trace.at(-1)?.missedBecause !== undefined) out.push('  (no rule matched)');
      context.stdout(`${out.join('\n')}\n`);
    });

  policy
    .command('backtest')
    .description(
      'Replay recorded decisions from the audit log through a policy file and print what would change',
    )
    .argument('<file>', 'the new policy file (YAML)')
    .option('--audit-file <file>', 'read audit entries from a JSON-lines file instead of the database')
    .option('--since <time>', 'only decisions recorded at or after this ISO time')
    .option('--limit <n>', 'only the most recent n decisions', '10000')
    .option('--fail-on-change', 'exit 1 when any outcome would change (for CI)')
    .action(
      async (
        file: string,
        options: { auditFile?: string; since?: string; limit: string; failOnChange?: boolean },
      ) => {
        const loaded = load(context, file);
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError('--limit must be a whole number above 0');
        const filter = { since: parseTime('--since', options.since), limit };
        const records = options.auditFile
          ? readAuditDecisionsFile(path.resolve(context.cwd, options.auditFile), filter)
          : await withRuntime(context, ({ db }) => readAuditDecisions(db, filter));
        const report = backtestPolicy(records, loaded);
        context.stdout(formatBacktest(report, loaded));
        if (options.failOnChange && Object.keys(report.transitions).length > 0) {
          throw new SluiceError('invalid_input', 'outcomes would change', { details: { quiet: true } });
        }
      },
    );
}

function load(context: CliContext, file: string): Policy {
  const full = path.resolve(context.cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (error) {
    throw new SluiceError('not_found', `cannot read policy file ${file}: ${(error as Error).message}`);
  }
  const checked = checkPolicy(text, file);
  if (!checked.ok) {
    for (const p of checked.problems) context.stderr(`${formatProblem(p)}\n`);
    context.stderr(`${file}: ${checked.problems.length} problem(s); the policy was not loaded\n`);
    throw new SluiceError('invalid_input', 'policy file is invalid', { details: { quiet: true } });
  }
  return checked.policy;
}

function parseProposalOption(text: string): unknown {
  if (text.trim().startsWith('{')) {
    const value = parseJsonOption('--proposal', text) as Record<string, unknown>;
    return { source: 'explicit', ...value };
  }
  const parsed = parseExplicitCommand(text);
  if (!parsed.ok) throw new UsageError(`--proposal: ${parsed.reason}`);
  return parsed.proposal;
}

function parseJsonOption(name: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`${name} must be a JSON object (${(error as Error).message})`);
  }
}

function parseTime(name: string, text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new UsageError(`${name} must be an ISO time such as 2025-03-01T09:00:00Z`);
  return at;
}

export function formatBacktest(report: BacktestReport, policy: Policy): string {
  const lines = [
    `Backtest of ${policy.file} (sha256 ${policy.hash.slice(0, 12)}) over ${report.total} recorded decision(s)`,
    `  unchanged: ${report.unchanged}`,
  ];
  for (const [transition, count] of Object.entries(report.transitions).sort())
    lines.push(`  ${transition}: ${count}`);
  const ruleOnly = report.changes.filter((c) => c.kind === 'rule').length;
  if (ruleOnly > 0) lines.push(`  same outcome, another rule: ${ruleOnly}`);
  if (report.changes.length > 0) lines.push('', 'Changes:');
  for (const change of report.changes) {
    const r = change.record;
    lines.push(
      `  ${r.ref} ${r.at.toISOString()} run ${r.runId ?? '-'}: ${summarise(r.proposal)}`,
      `      ${r.decision} (${r.ruleId ?? 'no rule'}) -> ${change.after.decision} (${change.after.ruleId ?? 'no rule'}): ${change.after.reason}`,
    );
  }
  if (report.changes.length === 0)
    lines.push('', 'No changes: the new policy decides every recorded proposal the same way.');
  return `${lines.join('\n')}\n`;
}

function summarise(proposal: unknown): string {
  const p = proposal as { action?: unknown; params?: unknown } | null;
  const pairs: string[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      // Sorted: the database hands jsonb keys back in its own order.
      for (const k of Object.keys(value).sort())
        walk((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k);
    } else pairs.push(`${prefix}=${JSON.stringify(value)}`);
  };
  walk(p?.params, '');
  const text = `${String(p?.action ?? '?')} ${pairs.join(' ')}`;
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
