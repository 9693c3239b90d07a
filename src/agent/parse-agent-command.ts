/**
 * `/agent …` routed by code, never by the model: the first word picks the subcommand. Text that
 * starts with no known subcommand is a request in plain words, for the model to triage (or, in
 * no-model mode, answered with help).
 */

export type PauseScope =
  | { kind: 'global' }
  | { kind: 'channel'; channelId: string }
  | { kind: 'action'; action: string };

export type AgentCommand =
  | { kind: 'ask'; question: string }
  | { kind: 'do'; text: string }
  | { kind: 'pause'; scope: PauseScope; reason: string }
  | { kind: 'resume'; scope: PauseScope }
  | { kind: 'status' }
  | { kind: 'digest'; now: boolean; toChannel: boolean }
  | { kind: 'help'; note?: string }
  | { kind: 'request'; text: string };

const MAX_TEXT = 4000;

export function parseAgentCommand(raw: string, context: { channelId: string }): AgentCommand {
  const text = raw.trim();
  if (text.length === 0) return { kind: 'help' };
  if (text.length > MAX_TEXT) {
    return {
      kind: 'help',
      note: `That is ${text.length} characters; please keep requests under ${MAX_TEXT}.`,
    };
  }
  const [head = '', ...restWords] = text.split(/\s+/);
  const rest = text.slice(head.length).trim();
  switch (head.toLowerCase()) {
    case 'ask':
      return rest
        ? { kind: 'ask', question: rest }
        : { kind: 'help', note: 'Ask what? `/agent ask <question>`' };
    case 'do':
      return rest
        ? { kind: 'do', text: rest }
        : { kind: 'help', note: 'Do what? `/agent do <action> key=value …`' };
    case 'pause': {
      const { scope, remainder } = parseScope(restWords, context.channelId);
      return { kind: 'pause', scope, reason: unquote(remainder) || 'no reason given' };
    }
    case 'resume':
      return { kind: 'resume', scope: parseScope(restWords, context.channelId).scope };
    case 'status':
      return { kind: 'status' };
    case 'digest': {
      const words = restWords.map((w) => w.toLowerCase());
      return { kind: 'digest', now: true, toChannel: words.includes('channel') || words.includes('here') };
    }
    case 'help':
    case '?':
      return { kind: 'help' };
    default:
      return { kind: 'request', text };
  }
}

function parseScope(words: string[], channelId: string): { scope: PauseScope; remainder: string } {
  const first = words[0] ?? '';
  const remainder = words.slice(1).join(' ');
  if (first.toLowerCase() === 'global' || first.toLowerCase() === 'all')
    return { scope: { kind: 'global' }, remainder };
  if (first.toLowerCase() === 'channel' || first.toLowerCase() === 'here') {
    return { scope: { kind: 'channel', channelId }, remainder };
  }
  // Slack renders a channel reference as <#C123|name>.
  const channelRef = /^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(first);
  if (channelRef) return { scope: { kind: 'channel', channelId: channelRef[1]! }, remainder };
  const action = /^action:([a-z][a-z0-9_.-]{0,99})$/i.exec(first);
  if (action) return { scope: { kind: 'action', action: action[1]! }, remainder };
  return { scope: { kind: 'global' }, remainder: words.join(' ') };
}

function unquote(text: string): string {
  const t = text.trim();
  const quoted = /^["“'](.*)["”']$/s.exec(t);
  return (quoted ? quoted[1]! : t).trim().slice(0, 500);
}
