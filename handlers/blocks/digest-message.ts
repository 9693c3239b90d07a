import type { DigestDraft, DigestToRender } from '../../src/digest/digest-to-render.ts';
import { escapeMrkdwn, link, mrkdwn, plain, truncate } from './mrkdwn.ts';
import { type Block, LIMITS } from './types.ts';

/**
 * The digest as Block Kit. However busy the day, the message stays inside Slack's limits: counts
 * are always complete, but lists are capped (failures, actions, gaps, skipped slots) and end
 * with how many more there are and where to see them. Pure: the core passes figures in.
 */

export interface DigestMessageOptions {
  /** A URL for one run (the operator console, a trace viewer); without it run ids are shown as code. */
  runLink?: (runId: string) => string | undefined;
}

const LIST_CAP = 10;
const ACTION_CAP = 15;

export function digestMessage(digest: DigestToRender, options: DigestMessageOptions = {}): DigestDraft {
  const { figures: f, timeZone } = digest;
  const when = (d: Date) => formatInZone(d, timeZone);
  const period = `${when(f.period.from)} – ${when(f.period.to)} (${timeZone})`;
  const runRef = (runId: string) => {
    const url = options.runLink?.(runId);
    return url ? link(url, runId.slice(0, 8)) : `\`${runId}\``;
  };

  const blocks: Block[] = [
    {
      type: 'header',
      text: plain(
        digest.trigger === 'scheduled' ? 'Sluice digest' : 'Sluice digest (on demand)',
        LIMITS.headerText,
      ),
    },
    {
      type: 'context',
      elements: [
        mrkdwn(
          `${escapeMrkdwn(period)}${digest.late ? ' · _posted late: the scheduler was down at its slot_' : ''}`,
        ),
      ],
    },
  ];
  if (digest.pausedReason !== null) {
    blocks.push(section(`:double_vertical_bar: *Sluice is paused:* ${escapeMrkdwn(digest.pausedReason)}`));
  }
  if (digest.unposted.length > 0) {
    const lines = digest.unposted
      .slice(-LIST_CAP)
      .map(
        (s) =>
          `• ${when(s.slotAt)}: ${s.status === 'skipped_paused' ? 'skipped' : 'missed'}${s.reason ? ` (${escapeMrkdwn(truncate(s.reason, 200))})` : ''}`,
      );
    const more = digest.unposted.length - LIST_CAP;
    blocks.push(
      section(
        `:warning: *${digest.unposted.length} digest slot(s) since the last digest were not posted*; this one covers them.\n${lines.join('\n')}${more > 0 ? `\n…and ${more} earlier` : ''}`,
      ),
    );
  }

  const r = f.runs;
  const a = f.approvals;
  const s = f.spend;
  blocks.push({
    type: 'section',
    fields: [
      mrkdwn(`*Runs*\n${r.total} (${r.succeeded} succeeded, ${r.failed} failed)`),
      mrkdwn(`*Success rate*\n${r.successRate === null ? 'n/a' : percent(r.successRate)}`),
      mrkdwn(
        `*Decisions*\n${f.decisions.auto} auto · ${f.decisions.escalate} escalated · ${f.decisions.deny} denied`,
      ),
      mrkdwn(
        `*Approvals*\n${a.requested} requested · median ${a.medianDecisionSeconds === null ? 'n/a' : duration(a.medianDecisionSeconds)} to decide · ${a.expired} expired`,
      ),
      mrkdwn(
        `*Spend*\n${usd(s.spendUsd)} of ${usd(s.budgetUsd)} budget (${s.budgetDays} day${s.budgetDays === 1 ? '' : 's'})`,
      ),
      mrkdwn(
        `*Cost per successful outcome*\n${s.costPerSuccessUsd === null ? 'n/a' : usd(s.costPerSuccessUsd)}`,
      ),
      mrkdwn(`*Hours saved*\n${hoursText(f.hoursSaved.totalHours)}`),
      mrkdwn(`*Knowledge gaps*\n${f.gaps.count} question(s) not answered well`),
    ],
  });

  if (r.failed > 0) {
    const lines = r.failures
      .slice(0, LIST_CAP)
      .map(
        (x) =>
          `• ${runRef(x.runId)} ${x.state}${x.errorCode ? ` \`${escapeMrkdwn(x.errorCode)}\`` : ''}${x.errorMessage ? `: ${escapeMrkdwn(truncate(x.errorMessage, 120))}` : ''}`,
      );
    const more = r.failed - lines.length;
    blocks.push({ type: 'divider' });
    blocks.push(
      section(
        `*Failures*\n${lines.join('\n')}${more > 0 ? `\n…and ${more} more: \`sluice runs show <run id>\`, or the App Home console` : ''}`,
      ),
    );
  }

  if (f.hoursSaved.lines.length > 0) {
    const shown = f.hoursSaved.lines.slice(0, ACTION_CAP).map((l) => {
      const method =
        l.minutesPerRun === null
          ? 'no baseline declared, counts 0'
          : `${l.minutesPerRun} min × ${l.successfulRuns}`;
      return `• \`${escapeMrkdwn(l.action)}\`: ${l.successfulRuns} successful run(s) → ${hoursText(l.hours)} (${method})`;
    });
    const more = f.hoursSaved.lines.length - shown.length;
    blocks.push(
      section(
        `*Hours saved by action*\n${shown.join('\n')}${more > 0 ? `\n…and ${more} more action(s)` : ''}`,
      ),
    );
  }

  if (f.gaps.count > 0) {
    const lines = f.gaps.items
      .slice(0, LIST_CAP)
      .map(
        (g) =>
          `• ${escapeMrkdwn(truncate(g.question.replace(/\s+/g, ' '), 150))} ${runRef(g.runId)}${g.why === 'not_helpful' ? ' _(marked not helpful)_' : ''}`,
      );
    const more = f.gaps.count - lines.length;
    blocks.push(
      section(
        `*Questions the knowledge base could not answer*\n${lines.join('\n')}${more > 0 ? `\n…and ${more} more` : ''}`,
      ),
    );
  }

  const baselines = Object.entries(f.hoursSaved.baselines).sort(([x], [y]) => x.localeCompare(y));
  const table = baselines.length
    ? baselines.map(([action, minutes]) => `\`${escapeMrkdwn(action)}\` ${minutes} min`).join(' · ')
    : 'none declared (set SLUICE_DIGEST_BASELINES)';
  blocks.push({ type: 'divider' });
  blocks.push({
    type: 'context',
    elements: [
      mrkdwn(
        truncate(
          `*Method.* Hours saved = for each action, its declared minutes per successful run × its successful runs (effect executed, run done). Baselines: ${table}. Cost per successful outcome = model spend ÷ runs that ended done. Each figure's SQL is in docs/digest.md.`,
          2000,
        ),
      ),
    ],
  });

  const text = truncate(
    `Sluice digest ${period}: ${r.total} runs, ${r.successRate === null ? 'no' : percent(r.successRate)} success, ${usd(s.spendUsd)} spent, ${hoursText(f.hoursSaved.totalHours)} saved.`,
    LIMITS.fallbackText,
  );
  return { text, blocks };
}

function section(text: string): Block {
  return { type: 'section', text: mrkdwn(truncate(text, LIMITS.sectionText)) };
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function usd(value: number): string {
  return `$${value.toFixed(value !== 0 && Math.abs(value) < 1 ? 4 : 2)}`;
}

function hoursText(hours: number): string {
  return hours < 10 ? `${hours.toFixed(2)} h` : `${hours.toFixed(1)} h`;
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function formatInZone(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}
