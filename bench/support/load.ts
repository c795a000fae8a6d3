/**
 * HTTP load for the scrape benchmark: wrk (Debian's, a C client, µs latency resolution) when it
 * is installed, else a small built-in keep-alive client (quick/smoke runs only).
 */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { quantile } from './stats.js';

export interface LoadResult {
  readonly tool: 'wrk' | 'builtin';
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  /** Responses with a status outside 2xx/3xx. */
  readonly non2xx: number;
  /** Connect/read/write errors and timeouts. */
  readonly errors: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly bytesRead: number;
}

export const WRK = '/usr/bin/wrk';

function toMs(value: string, unit: string): number {
  const v = Number(value);
  switch (unit) {
    case 'us':
      return v / 1000;
    case 'ms':
      return v;
    case 's':
      return v * 1000;
    case 'm':
      return v * 60_000;
    default:
      return NaN;
  }
}

function toBytes(value: string, unit: string): number {
  const scale: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };
  return Number(value) * (scale[unit] ?? NaN);
}

/** Parses `wrk --latency` output. Exported for a unit check of the parser. */
export function parseWrk(out: string, connections: number, seconds: number): LoadResult {
  const pct = (p: string): number => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : NaN;
  };
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m), ([\d.]+)(B|KB|MB|GB) read/.exec(out);
  if (!total) throw new Error(`cannot read wrk output:\n${out}`);
  const requests = Number(total[1]);
  const elapsedS = toMs(total[2]!, total[3]!) / 1000;
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = sock ? sock.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    tool: 'wrk',
    connections,
    seconds: elapsedS || seconds,
    requests,
    non2xx,
    errors,
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? requests / (elapsedS || seconds)),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    bytesRead: toBytes(total[4]!, total[5]!),
  };
}

export function runWrk(url: string, connections: number, seconds: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s'];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(WRK, args, { timeout: (seconds + 30) * 1000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`wrk failed: ${error.message}\n${stderr}`));
      else {
        try {
          resolve(parseWrk(stdout, connections, seconds));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      }
    });
  });
}

/**
 * The fallback: `connections` keep-alive loops, each sending the next GET as soon as the previous
 * body has arrived, for `seconds`. It runs in this (the orchestrator's) process.
 */
export async function runBuiltinLoad(
  url: string,
  connections: number,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let bytesRead = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(url, { agent, headers }, (res) => {
        res.on('data', (c: Buffer) => (bytesRead += c.length));
        res.on('end', () => {
          latencies.push(performance.now() - t0);
          if ((res.statusCode ?? 0) >= 400) non2xx++;
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return {
    tool: 'builtin',
    connections,
    seconds: elapsed,
    requests: latencies.length,
    non2xx,
    errors,
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    bytesRead,
  };
}
