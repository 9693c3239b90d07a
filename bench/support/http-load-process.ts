/**
 * A load generator in a process of its own, as Slack is: POSTs form bodies to a URL at a steady
 * rate and prints the latencies (milliseconds, measured from when each request was due) as one
 * JSON line. `runHttpLoad()` starts it from a benchmark and waits for the figures.
 * Usage (as a process): node --import tsx bench/support/http-load-process.ts <url> <count> <ratePerSecond>
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function runHttpLoad(url: string, count: number, rate: number): Promise<number[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), url, String(count), String(rate)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`load generator exited ${code}`)),
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, countText, rateText] = process.argv.slice(2);
  const count = Number(countText);
  const interval = 1000 / Number(rateText);
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      fetch(url!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `command=%2Fagent&text=restart&channel_id=C0DURA000${(i % 5) + 1}&trigger_id=${i}.${Date.now()}`,
      })
        .then((res) => res.text())
        .then(() => void latencies.push(performance.now() - due)),
    );
  }
  await Promise.all(inFlight);
  process.stdout.write(`${JSON.stringify(latencies)}\n`);
}
