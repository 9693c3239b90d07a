/**
 * Slack's side of the ack benchmark, in a process of its own: at a steady rate it sends signed
 * `/agent` slash commands and Approve clicks (block_actions) alternately, each one to every
 * target app, staggered evenly within the interval so the targets are not hit at the same
 * instant, in an order that turns with each request. Latency counts from when a request was due to when its response was read, so a late
 * send is charged too. Prints one JSON line: per target, per kind, the latencies and the
 * statuses. `runSlackLoad()` starts it from a benchmark and waits for the figures.
 * Usage (as a process): reads one JSON SlackLoadPlan on stdin.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { APPROVE_ACTION } from '../../handlers/blocks/approval-card.ts';
import type { SlackWorkspaceIdentity } from '../../src/local/slack-workspace-identity.ts';
import { createSlackDriver, type DriverResponse } from '../../test/support/slack-driver.ts';
import type { ApproveButton } from './slack-double-process.ts';

export interface SlackLoadPlan {
  targets: { name: string; url: string }[];
  signingSecret: string;
  workspace: SlackWorkspaceIdentity;
  /** Requests of each kind; they alternate, command first. */
  perKind: number;
  /** Requests per second to each target, both kinds together. */
  ratePerSecond: number;
  command: { userId: string; channelId: string; text: string; responseUrls: string[] };
  /** One per click (a pending approval's card and who clicks it). */
  clicks: (ApproveButton & { userId: string; responseUrl: string })[];
}

export type Kind = 'command' | 'click';
export type SlackLoadResult = Record<string, Record<Kind, { latencies: number[]; statuses: number[] }>>;

export function runSlackLoad(plan: SlackLoadPlan): Promise<SlackLoadResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stdin.end(JSON.stringify(plan));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`the Slack load generator exited ${code}`)),
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const plan = JSON.parse(input) as SlackLoadPlan;
  const result: SlackLoadResult = {};
  const drivers = plan.targets.map((target) => {
    result[target.name] = {
      command: { latencies: [], statuses: [] },
      click: { latencies: [], statuses: [] },
    };
    return createSlackDriver({
      url: target.url,
      signingSecret: plan.signingSecret,
      workspace: plan.workspace,
    });
  });
  const send = (target: number, i: number): Promise<DriverResponse> => {
    const n = Math.floor(i / 2);
    if (i % 2 === 0) {
      return drivers[target]!.command({
        command: '/agent',
        text: `${plan.command.text} (${n})`,
        userId: plan.command.userId,
        channelId: plan.command.channelId,
        responseUrl: plan.command.responseUrls[n]!,
      });
    }
    const click = plan.clicks[n]!;
    return drivers[target]!.blockAction({
      user: { id: click.userId },
      action: { action_id: APPROVE_ACTION, value: click.value },
      message: { channel: click.channel, ts: click.ts },
      responseUrl: click.responseUrl,
    });
  };
  const interval = 1000 / plan.ratePerSecond;
  const stagger = interval / plan.targets.length;
  const started = performance.now() + 100;
  const inFlight: Promise<void>[] = [];
  // The targets' order turns with each request, so none is always the first one sent.
  const n = plan.targets.length;
  const sends = Array.from({ length: plan.perKind * 2 }, (_, i) =>
    plan.targets.map((_target, slot) => ({
      i,
      t: (slot + i) % n,
      due: started + i * interval + slot * stagger,
    })),
  ).flat();
  for (const { i, t, due } of sends) {
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const bucket = result[plan.targets[t]!.name]![i % 2 === 0 ? 'command' : 'click'];
    inFlight.push(
      send(t, i).then(
        (response) => {
          bucket.latencies.push(performance.now() - due);
          bucket.statuses.push(response.status);
        },
        () => {
          bucket.latencies.push(performance.now() - due);
          bucket.statuses.push(0);
        },
      ),
    );
  }
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
