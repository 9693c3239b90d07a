/** Slack's own markup for people, groups and times, which every client renders in the reader's locale. */

export function userMention(userId: string): string {
  return /^[UW][A-Z0-9]+$/.test(userId) ? `<@${userId}>` : `\`${userId.replace(/[`<>&]/g, '')}\``;
}

export function groupMention(groupId: string): string {
  return /^S[A-Z0-9]+$/.test(groupId) ? `<!subteam^${groupId}>` : `\`${groupId.replace(/[`<>&]/g, '')}\``;
}

/** `<!date^…>` with an ISO fallback for clients that cannot format it. */
export function slackDate(date: Date, format = '{date_short_pretty} {time}'): string {
  const seconds = Math.floor(date.getTime() / 1000);
  return `<!date^${seconds}^${format}|${date.toISOString().replace('T', ' ').slice(0, 16)} UTC>`;
}
