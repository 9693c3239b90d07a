/**
 * What Slack itself (Slackbot) tells one person, as opposed to what the app posts: "/foo is not
 * a valid command", "/agent failed with the error "operation_timeout"", "you mentioned @sluice
 * but it is not in this channel". They are shown only to that person and never reach the app,
 * so they are kept here rather than in the Slack double's message store.
 */

export interface LocalNotice {
  channel: string;
  user: string;
  ts: string;
  text: string;
  threadTs?: string;
}

export interface LocalNotices {
  add(notice: Omit<LocalNotice, 'ts'>): LocalNotice;
  list(filter: { channel: string; user: string }): LocalNotice[];
}

export function createLocalNotices(onChange: () => void, now: () => number = Date.now): LocalNotices {
  const notices: LocalNotice[] = [];
  let last = 0;
  return {
    add(input) {
      // Slack-shaped ts (seconds.micros), strictly increasing so notices sort with messages.
      last = Math.max(last + 1, Math.floor(now() * 1000));
      const notice = { ...input, ts: `${Math.floor(last / 1e6)}.${String(last % 1e6).padStart(6, '0')}` };
      notices.push(notice);
      onChange();
      return notice;
    },
    list: ({ channel, user }) => notices.filter((n) => n.channel === channel && n.user === user),
  };
}
