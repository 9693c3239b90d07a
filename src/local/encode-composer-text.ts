import type { SlackDirectory } from './slack-directory.ts';

/**
 * What a Slack client does to typed text before sending it: `&`, `<` and `>` are escaped, and
 * `@name`, `@group` and `#channel` chosen from the workspace become Slack's markup
 * (`<@U…>`, `<!subteam^S…|@group>`, `<#C…|name>`, `<!here>`), so the app receives a mention
 * exactly as it would from Slack. Unknown names stay plain text, as in Slack.
 */
export function encodeComposerText(text: string, directory: SlackDirectory): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped
    .replace(/(^|[\s(])@([A-Za-z0-9._-]*[A-Za-z0-9_-])/g, (match, lead: string, name: string) => {
      const markup = mentionMarkup(name, directory);
      return markup ? `${lead}${markup}` : match;
    })
    .replace(/(^|[\s(])#([a-z0-9_-]+)/g, (match, lead: string, name: string) => {
      const channel = directory.channel(name);
      return channel && !channel.isIm ? `${lead}<#${channel.id}|${channel.name}>` : match;
    });
}

function mentionMarkup(name: string, directory: SlackDirectory): string | undefined {
  const wanted = name.toLowerCase();
  if (wanted === 'here' || wanted === 'channel' || wanted === 'everyone') return `<!${wanted}>`;
  const user = directory
    .users()
    .find(
      (u) =>
        !u.deleted &&
        [u.name, u.displayName, u.realName?.split(' ')[0]].some((n) => n?.toLowerCase() === wanted),
    );
  if (user) return `<@${user.id}>`;
  const group = directory.usergroups().find((g) => g.handle.toLowerCase() === wanted && !g.disabled);
  return group ? `<!subteam^${group.id}|@${group.handle}>` : undefined;
}
