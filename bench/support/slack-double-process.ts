/**
 * The Slack Web API double in a process of its own, so a benchmark's numbers are not charged
 * with Slack's side of the work. Prints one JSON line ({url, token}) when it is listening;
 * `startSlackDoubleProcess()` starts it from a benchmark and stops it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seedChannels } from '../../test/durable/support/durable-harness.ts';

export interface SlackDoubleProcess {
  url: string;
  token: string;
  /** Makes every call answer `status` (e.g. 503) until `heal()`. */
  outage(status: number): Promise<void>;
  heal(): Promise<void>;
  /** Web API calls answered so far. */
  calls(): Promise<number>;
  /** Posts the double has stored with Sluice's outbox metadata: [channel, key, ts]. */
  posts(): Promise<Array<[string, string, string]>>;
  stop(): Promise<void>;
}

export async function startSlackDoubleProcess(): Promise<SlackDoubleProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'],
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
  const { url, token } = JSON.parse(await next()) as { url: string; token: string };
  return {
    url,
    token,
    outage: async (status) => void (await ask(`outage ${status}`)),
    heal: async () => void (await ask('heal')),
    posts: async () => JSON.parse(await ask('posts')),
    calls: async () => Number(await ask('calls')),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.argv.includes('--serve')) {
  const { startSlackWebApiDouble } = await import('../../src/local/slack-web-api-double.ts');
  const double = await startSlackWebApiDouble({ seed: seedChannels() });
  let outage: { clear(): void } | undefined;
  process.stdout.write(`${JSON.stringify({ url: double.url, token: double.token })}\n`);
  let buffered = '';
  process.stdin.on('data', (d: Buffer) => {
    buffered += d.toString();
    let i = buffered.indexOf('\n');
    while (i >= 0) {
      const [command, arg] = buffered.slice(0, i).split(' ');
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
      }
      i = buffered.indexOf('\n');
    }
  });
  process.on('SIGTERM', async () => {
    await double.close();
    process.exit(0);
  });
}
