import type { SlackWebApiClient } from './web-api-client.ts';

/**
 * Which Slack user groups a person is in, by id and by handle (policies may name either), read
 * with one `usergroups.list` call and kept for a minute: approvals and policy checks ask often,
 * and group membership changes rarely. On failure the last known answer is used, or none.
 */
export function createGroupResolver(
  client: Pick<SlackWebApiClient, 'usergroupsList'>,
  ttlMs = 60_000,
  now = Date.now,
) {
  let cached: { at: number; groups: { id: string; handle: string; users: string[] }[] } | undefined;
  let loading: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    const groups = await client.usergroupsList();
    cached = { at: now(), groups: groups.map((g) => ({ id: g.id, handle: g.handle, users: g.users ?? [] })) };
  }

  return async function groupsOf(userId: string): Promise<string[]> {
    if (!cached || now() - cached.at > ttlMs) {
      loading ??= refresh().finally(() => {
        loading = undefined;
      });
      await loading.catch(() => {});
    }
    return (cached?.groups ?? []).filter((g) => g.users.includes(userId)).flatMap((g) => [g.id, g.handle]);
  };
}
