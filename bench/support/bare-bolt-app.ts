/**
 * The baseline for Slack ack latency: a bare Bolt app (HTTPReceiver, the signing secret it is
 * given, listeners that only ack) on its own loopback HTTP server. `startBareBoltApp()` runs it
 * in the calling process; `startBareBoltProcess()` in a process of its own, which prints its
 * URL as one line.
 * Usage (as a process): node --import tsx bench/support/bare-bolt-app.ts <signingSecret>
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

export interface BareBoltApp {
  /** The request URL, as Slack would be configured with it. */
  url: string;
  stop(): Promise<void>;
}

export async function startBareBoltApp(signingSecret: string): Promise<BareBoltApp> {
  // The receiver settings Sluice uses (handlers/create-slack-app.ts), so only the listeners differ.
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: '/slack/events',
    processBeforeResponse: true,
    unhandledRequestTimeoutMillis: 2_500,
    logLevel: LogLevel.ERROR,
  });
  const app = new App({
    receiver,
    token: 'xoxb-bare-bolt-baseline',
    botId: 'B0BAREBOLT',
    botUserId: 'U0BAREBOLT',
    tokenVerificationEnabled: false,
    logLevel: LogLevel.ERROR,
  });
  app.command(/.*/, async ({ ack }) => {
    await ack();
  });
  app.action(/.*/, async ({ ack }) => {
    await ack();
  });
  app.event(/.*/, async () => {});
  const server = http.createServer(receiver.requestListener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startBareBoltProcess(signingSecret: string): Promise<BareBoltApp> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), signingSecret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the bare Bolt app exited ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const app = await startBareBoltApp(process.argv[2]!);
  process.stdout.write(`${app.url}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
