/**
 * Child processes the benchmarks measure or lean on: the exporter under test (`serve` from the
 * product build), the vLLM doubles, a bare Node.js HTTP server and Debian's node_exporter.
 * Each is its own process, so /proc/PID gives exactly its CPU and memory.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ExporterState } from '../../src/exporter/exporter.js';
import { StateFile } from '../../src/storage/state-file.js';
import { benchDistFile, distFile, nvidiaSmiDouble } from './paths.js';
import { sleep } from './stats.js';

export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines it printed on stderr (for error reports). */
  readonly stderrTail: string[];
  stop(): Promise<void>;
}

function track(name: string, child: ChildProcess, cleanup?: () => void): Proc {
  const stderrTail: string[] = [];
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      stderrTail.push(line);
      if (stderrTail.length > 40) stderrTail.shift();
    });
  }
  let exited = child.exitCode !== null;
  const exitedPromise = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  return {
    name,
    pid: child.pid!,
    child,
    stderrTail,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5000);
        await exitedPromise;
        clearTimeout(timer);
      }
      cleanup?.();
    },
  };
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpResult {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One GET on a fresh connection (no keep-alive), body read fully. */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { headers: { connection: 'close', ...headers }, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: buf.length, ms: performance.now() - started, headers: res.headers, body: buf.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200 (or throws after `timeoutMs`). */
export async function waitFor200(url: string, timeoutMs: number, proc?: Proc): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    if (proc && proc.child.exitCode !== null) break;
    try {
      const r = await httpGet(url, {}, 2000);
      if (r.status === 200) return;
      last = `status ${r.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(200);
  }
  const tail = proc ? `\n${proc.name} stderr:\n${proc.stderrTail.join('\n')}` : '';
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})${tail}`);
}

/** What Prometheus sends when it scrapes (v2.x/3.x: OpenMetrics preferred, gzip). */
export const PROMETHEUS_SCRAPE_HEADERS: Record<string, string> = {
  accept:
    'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1',
  'accept-encoding': 'gzip',
};

// ---------------------------------------------------------------------------------------------

export interface VllmDoubles extends Proc {
  readonly urls: readonly string[];
}

/** N vLLM doubles with advancing counters, in one helper process of their own. */
export async function startVllmDoubles(n: number): Promise<VllmDoubles> {
  const child = spawn(process.execPath, [benchDistFile('support/vllm-doubles.js'), String(n)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = track('vllm-doubles', child);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`vllm-doubles exited (${code}): ${proc.stderrTail.join('\n')}`)));
  });
  const { urls } = JSON.parse(line) as { urls: string[] };
  return { ...proc, urls };
}

export interface ExporterOptions {
  readonly targets: readonly string[];
  readonly gpus: number;
  /** Extra arguments for node itself (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** The nvidia-smi binary; default: the double in src/simulator. */
  readonly nvidiaSmiPath?: string;
  /** Written to storage.path before the start, so `serve` restores it (a week-old exporter). */
  readonly seedState?: ExporterState;
  /** The CLI to run; default dist/cli/main.js (another path: to measure a prototype build). */
  readonly mainJs?: string;
  /** False: `--no-nvidia-smi.enabled --gpu.indices 0..gpus-1` (no child; the GPUs billed by index). */
  readonly nvidiaSmi?: boolean;
}

export interface ExporterProc extends Proc {
  readonly port: number;
  readonly url: string;
}

/**
 * `llm-cost-exporter serve` from the product build (dist/cli/main.js), exactly as a user runs it:
 * 8 GPUs from the nvidia-smi double (1 s), the given vLLM targets (5 s), port chosen by the OS.
 */
export async function startExporter(opts: ExporterOptions): Promise<ExporterProc> {
  const storage = mkdtempSync(join(tmpdir(), 'llm-cost-bench-'));
  if (opts.seedState) new StateFile(storage).save(opts.seedState);
  const utilisation = Array.from({ length: opts.gpus }, (_, i) => String((i * 37 + 20) % 101)).join(',');
  const args = [
    ...(opts.nodeArgs ?? []),
    opts.mainJs ?? distFile('cli/main.js'),
    'serve',
    '--vllm.targets',
    opts.targets.join(','),
    ...(opts.nvidiaSmi === false
      ? ['--no-nvidia-smi.enabled', '--gpu.indices', Array.from({ length: opts.gpus }, (_, i) => String(i)).join(',')]
      : ['--nvidia-smi.path', opts.nvidiaSmiPath ?? nvidiaSmiDouble(), '--nvidia-smi.interval', '1s']),
    '--poll-interval',
    '5s',
    '--gpu.hourly-cost-usd',
    '3.2',
    '--capacity.tokens-per-second',
    '1975.3',
    '--web.listen-address',
    '127.0.0.1:0',
    '--storage.path',
    storage,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      FAKE_NVIDIA_SMI_GPUS: String(opts.gpus),
      FAKE_NVIDIA_SMI_UTIL: utilisation,
      FAKE_NVIDIA_SMI_NAME: 'NVIDIA H100 80GB HBM3',
    },
  });
  const proc = track('exporter', child, () => rmSync(storage, { recursive: true, force: true }));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stderr! });
    const timer = setTimeout(() => reject(new Error(`exporter did not log "listening" in 30 s:\n${proc.stderrTail.join('\n')}`)), 30_000);
    rl.on('line', (line) => {
      if (!line.includes('"listening"')) return;
      try {
        const port = (JSON.parse(line) as { port?: number }).port;
        if (typeof port === 'number') {
          clearTimeout(timer);
          resolve(port);
        }
      } catch {
        // not JSON: keep waiting
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exporter exited (${code}) before listening:\n${proc.stderrTail.join('\n')}`));
    });
  });
  return { ...proc, port, url: `http://127.0.0.1:${port}/metrics` };
}

/** A bare Node.js HTTP server sending a fixed body of `bytes` bytes (the floor of any Node exporter). */
export async function startBareServer(bytes: number): Promise<ExporterProc> {
  const child = spawn(process.execPath, [benchDistFile('support/bare-server.js'), String(bytes)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc = track('bare-node-http', child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bare server exited (${code}): ${proc.stderrTail.join('\n')}`)));
  });
  const port = Number(line.trim());
  return { ...proc, port, url: `http://127.0.0.1:${port}/metrics` };
}

export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

export function haveExecutable(path: string, versionArgs: readonly string[] = ['--version']): boolean {
  const r = spawnSync(path, versionArgs, { stdio: 'ignore' });
  return r.error === undefined;
}

/** Debian's prometheus-node-exporter with its default collectors, as a reference scrape target. */
export async function startNodeExporter(): Promise<ExporterProc> {
  const port = await freePort();
  const child = spawn(NODE_EXPORTER_BIN, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const proc = track('node_exporter', child);
  const url = `http://127.0.0.1:${port}/metrics`;
  await waitFor200(url, 15_000, proc);
  return { ...proc, port, url };
}
