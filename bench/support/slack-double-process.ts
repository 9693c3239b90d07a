/**
 * The Slack Web API double in a process of its own, so a benchmark's numbers are not charged
 * with Slack's side of the work. Prints one JSON line ({url, token, identity}) when it is
 * listening; `startSlackDoubleProcess()` starts it from a benchmark and stops it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SlackDirectorySeed } from '../../src/local/slack-directory.ts';
import type { ResponseUrlTarget } from '../../src/local/slack-response-urls.ts';
import type { SlackWorkspaceIdentity } from '../../src/local/slack-workspace-identity.ts';
import { seedChannels } from '../../test/durable/support/durable-harness.ts';

/** An Approve button on a card the double holds: where the card is and the button's value. */
export interface ApproveButton {
  channel: string;
  ts: string;
  value: string;
}

export interface SlackDoubleProcess {
  url: string;
  token: string;
  identity: SlackWorkspaceIdentity;
  /** Makes every call answer `status` (e.g. 503) until `heal()`. */
  outage(status: number): Promise<void>;
  heal(): Promise<void>;
  /** Web API calls answered so far. */
  calls(): Promise<number>;
  /** Posts the double has stored with Sluice's outbox metadata: [channel, key, ts]. */
  posts(): Promise<Array<[string, string, string]>>;
  /** The Approve buttons on the messages the double holds (approval cards still open). */
  approveButtons(): Promise<ApproveButton[]>;
  /** A new response URL, as Slack sends with a command or an interaction. */
  responseUrl(target: ResponseUrlTarget): Promise<string>;
  stop(): Promise<void>;
}

/** `seed`: the workspace's people, channels and groups (default: the durable tests' channels). */
export async function startSlackDoubleProcess(
  options: { seed?: SlackDirectorySeed } = {},
): Promise<SlackDoubleProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--serve',
      JSON.stringify(options.seed ?? seedChannels()),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i = buffered.indexOf('\n');
    while (i >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
      i = buffered.indexOf('\n');
    }
  });
  const next = () =>
    new Promise<string>((resolve) => (lines.length ? resolve(lines.shift()!) : waiters.push(resolve)));
  const ask = async (command: string) => {
    child.stdin!.write(`${command}\n`);
    return next();
  };
  const { url, token, identity } = JSON.parse(await next()) as {
    url: string;
    token: string;
    identity: SlackWorkspaceIdentity;
  };
  return {
    url,
    token,
    identity,
    outage: async (status) => void (await ask(`outage ${status}`)),
    heal: async () => void (await ask('heal')),
    posts: async () => JSON.parse(await ask('posts')),
    calls: async () => Number(await ask('calls')),
    approveButtons: async () => JSON.parse(await ask('approve-buttons')),
    responseUrl: async (target) => ask(`response-url ${JSON.stringify(target)}`),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.argv[2] === '--serve') {
  const { startSlackWebApiDouble } = await import('../../src/local/slack-web-api-double.ts');
  const { APPROVE_ACTION } = await import('../../handlers/blocks/approval-card.ts');
  const double = await startSlackWebApiDouble({ seed: JSON.parse(process.argv[3]!) as SlackDirectorySeed });
  let outage: { clear(): void } | undefined;
  process.stdout.write(
    `${JSON.stringify({ url: double.url, token: double.token, identity: double.identity })}\n`,
  );
  let buffered = '';
  process.stdin.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i = buffered.indexOf('\n');
    while (i >= 0) {
      const line = buffered.slice(0, i);
      const space = line.indexOf(' ');
      const [command, arg] = space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
      buffered = buffered.slice(i + 1);
      if (command === 'outage') {
        outage = double.fail('*', { status: Number(arg) });
        process.stdout.write('ok\n');
      } else if (command === 'heal') {
        outage?.clear();
        process.stdout.write('ok\n');
      } else if (command === 'calls') {
        process.stdout.write(`${double.calls.length}\n`);
      } else if (command === 'posts') {
        const posts = double.messages
          .all()
          .filter(({ message }) => message.metadata?.event_type === 'sluice_outbox')
          .map(({ channel, message }) => [channel, String(message.metadata!.event_payload.key), message.ts]);
        process.stdout.write(`${JSON.stringify(posts)}\n`);
      } else if (command === 'approve-buttons') {
        const buttons = double.messages
          .all()
          .flatMap(({ channel, message }) =>
            (message.blocks ?? []).flatMap((block) =>
              ((block as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
                .filter((e) => e.action_id === APPROVE_ACTION && e.value)
                .map((e) => ({ channel, ts: message.ts, value: e.value! })),
            ),
          );
        process.stdout.write(`${JSON.stringify(buttons)}\n`);
      } else if (command === 'response-url') {
        process.stdout.write(`${double.responseUrl(JSON.parse(arg!) as ResponseUrlTarget)}\n`);
      }
      i = buffered.indexOf('\n');
    }
  });
  process.on('SIGTERM', async () => {
    await double.close();
    process.exit(0);
  });
}
