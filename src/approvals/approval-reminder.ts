import { normalizeGroup } from '../policy/compile-rule.ts';
import type { Approval } from './approval-types.ts';

/**
 * The one reminder an approval gets before it expires, posted in its card's thread: who is still
 * waited on and when time runs out. Pure: the caller resolves user groups beforehand (Slack is
 * never called inside the transaction that claims the reminder).
 */

export interface GroupMembers {
  id: string;
  handle: string;
  users?: readonly string[];
}

/** Mentions shown at most; the rest are counted. */
const MAX_MENTIONS = 30;

/**
 * Approvers who have not voted and may vote: listed users, and the members of listed groups when
 * the groups are known. A group that cannot be expanded is returned as itself, to mention whole.
 */
export function waitingOn(
  approval: Approval,
  groups: readonly GroupMembers[] | undefined,
): { users: string[]; groups: string[] } {
  const voted = new Set(approval.votes.map((v) => v.voter));
  const mayVote = (user: string) =>
    !voted.has(user) && (approval.requesterCanApprove || user !== approval.requester);
  const users = new Set(approval.approvers.users.filter(mayVote));
  const unexpanded: string[] = [];
  for (const group of approval.approvers.groups) {
    const name = normalizeGroup(group);
    const known = groups?.find((g) => g.id === name || normalizeGroup(g.handle) === name);
    if (known?.users) for (const user of known.users.filter(mayVote)) users.add(user);
    else unexpanded.push(group);
  }
  return { users: [...users], groups: unexpanded };
}

export function approvalReminderText(
  approval: Approval,
  waiting: { users: readonly string[]; groups: readonly string[] },
): string {
  const approvals = new Set(approval.votes.filter((v) => v.choice === 'approve').map((v) => v.voter)).size;
  const needed = Math.max(1, approval.quorum - approvals);
  const seconds = Math.floor(approval.expiresAt.getTime() / 1000);
  const fallback = `${approval.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`;
  const mentions = [
    ...waiting.users.map((u) => `<@${u}>`),
    ...waiting.groups.map((g) => (/^S[A-Z0-9]+$/.test(g) ? `<!subteam^${g}>` : `@${normalizeGroup(g)}`)),
  ];
  const shown = mentions.slice(0, MAX_MENTIONS).join(', ');
  const more = mentions.length > MAX_MENTIONS ? ` and ${mentions.length - MAX_MENTIONS} more` : '';
  const who = mentions.length > 0 ? ` Waiting on: ${shown}${more}.` : '';
  return (
    `⏰ Reminder: this request for \`${approval.action}\` expires <!date^${seconds}^{date_short_pretty} {time}|${fallback}> ` +
    `and needs ${needed} more approval${needed === 1 ? '' : 's'} (${approvals} of ${approval.quorum} so far). ` +
    `If nobody decides, it expires and nothing is done.${who}`
  );
}
