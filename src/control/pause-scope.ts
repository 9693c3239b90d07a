import { UsageError } from '../errors.ts';

/** What a pause covers: everything, one Slack channel, or one action type. */
export type PauseScope =
  | { kind: 'global' }
  | { kind: 'channel'; value: string }
  | { kind: 'action'; value: string };

export const GLOBAL_SCOPE: PauseScope = { kind: 'global' };

/** Parses `global`, `channel:<id>` or `action:<name>` (as typed on the command line or in Slack). */
export function parsePauseScope(text: string | undefined): PauseScope {
  const raw = (text ?? 'global').trim();
  if (raw === '' || raw === 'global') return GLOBAL_SCOPE;
  const match = /^(channel|action):(\S+)$/.exec(raw);
  if (!match) {
    throw new UsageError(
      `unknown pause scope "${raw}"; use global, channel:<channel id> (e.g. channel:C0123) or action:<action name> (e.g. action:http.request)`,
    );
  }
  return { kind: match[1] as 'channel' | 'action', value: match[2]! };
}

export function formatPauseScope(scope: { kind: string; value?: string }): string {
  return scope.kind === 'global' ? 'global' : `${scope.kind}:${scope.value}`;
}

export function scopeValue(scope: PauseScope): string {
  return scope.kind === 'global' ? '' : scope.value;
}
