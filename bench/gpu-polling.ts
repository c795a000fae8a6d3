/**
 * Section 5: GPU polling design. CPU of one long-lived `nvidia-smi -lms 1000` child streaming
 * 8 GPUs into the product's NvidiaSmiSource, against spawning one nvidia-smi per 1 s poll.
 *
 * Both designs run the same native stand-in, bench/support/fake-nvidia-smi.c (compiled here with
 * `cc -O2`), so they differ only in how often a process starts. Each start burns
 * BENCH_NVML_INIT_MS of CPU, imitating NVML initialisation. Figures for it, from
 * shared/research/gpu-exporters.md §1.6: `nvidia-smi --query-gpu=<7 fields> --format=csv` took
 * 0.007 s on 1 GPU (netdata/netdata#10362) and nvidia_gpu_exporter's example collection takes
 * 0.0557 s (its docs/METRICS.md); without persistence mode NVML re-initialises idle GPUs on
 * every call and a call can take seconds (flashcatcloud/categraf#759). We run 7 ms (the lower
 * bound) and 50 ms. Each design runs in its own fresh Node.js worker (bench/support/
 * gpu-polling-worker.ts); the workers run side by side for the same window.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { WorkerReport } from './support/gpu-polling-worker.js';
import { benchDistFile, repoRoot } from './support/paths.js';
import { fx, table } from './support/stats.js';

export interface PollingRow {
  readonly design: string;
  readonly mode: 'idle' | 'stream' | 'spawn';
  readonly initMs: number;
  readonly report: WorkerReport;
  /** Parent (Node.js) CPU above the idle worker's, ms/s. */
  readonly parentMsPerS: number;
  readonly childMsPerS: number;
  readonly totalMsPerS: number;
  readonly totalMsPerPoll: number;
}

export interface PollingResult {
  readonly rows: readonly PollingRow[];
  readonly seconds: number;
  readonly skipped?: string;
  readonly gpus: number;
}

function compileDouble(): string | undefined {
  const source = join(repoRoot(), 'bench', 'support', 'fake-nvidia-smi.c');
  const out = benchDistFile('support/fake-nvidia-smi');
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) return out;
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync('cc', ['-O2', '-o', out, source], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}

function worker(mode: string, binary: string, seconds: number, warmup: number, initMs: number, gpus: number): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [benchDistFile('support/gpu-polling-worker.js'), mode, binary, String(seconds), String(warmup)],
      { env: { ...process.env, BENCH_NVML_INIT_MS: String(initMs), BENCH_GPUS: String(gpus) }, timeout: (seconds + warmup + 30) * 1000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`gpu polling worker ${mode} failed: ${error.message}\n${stderr}`));
        try {
          resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as WorkerReport);
        } catch {
          reject(new Error(`gpu polling worker ${mode}: unreadable output: ${stdout}\n${stderr}`));
        }
      },
    );
  });
}

export async function runGpuPollingBench(opts: { quick: boolean }): Promise<PollingResult> {
  const gpus = 8;
  const seconds = opts.quick ? 4 : 30;
  const warmup = opts.quick ? 1 : 5;
  const binary = compileDouble();
  if (!binary) return { rows: [], seconds, gpus, skipped: 'no C compiler (cc) to build bench/support/fake-nvidia-smi.c: section skipped.' };
  const plan: Array<[string, PollingRow['mode'], number]> = [
    ['Node.js worker, 1 s timer only (floor)', 'idle', 0],
    ['long-lived `-lms 1000` child → NvidiaSmiSource (init 50 ms, paid once)', 'stream', 50],
    ['spawn per poll, init 7 ms', 'spawn', 7],
    ['spawn per poll, init 50 ms', 'spawn', 50],
  ];
  const reports = await Promise.all(plan.map(([, mode, init]) => worker(mode, binary, seconds, warmup, init, gpus)));
  const idle = reports[0]!;
  const idleMsPerS = idle.parentCpuMs / idle.seconds;
  const rows = plan.map(([design, mode, initMs], i): PollingRow => {
    const r = reports[i]!;
    const parent = r.parentCpuMs / r.seconds - (mode === 'idle' ? 0 : idleMsPerS);
    const child = r.childCpuMs / r.seconds;
    return {
      design,
      mode,
      initMs,
      report: r,
      parentMsPerS: parent,
      childMsPerS: child,
      totalMsPerS: parent + child,
      totalMsPerPoll: r.polls > 0 ? ((parent + child) * r.seconds) / r.polls : NaN,
    };
  });
  return { rows, seconds, gpus };
}

export function formatGpuPolling(r: PollingResult): string {
  if (r.skipped) return `Skipped: ${r.skipped}`;
  const stream = r.rows.find((x) => x.mode === 'stream');
  const lines = [
    table(
      ['design (8 GPUs, 25 fields, 1 poll/s)', '>polls', '>rows parsed', '>Node.js parent ms/s (above floor)', '>nvidia-smi ms/s', '>total ms/s', '>ms per poll', '>× stream'],
      r.rows.map((x) => [
        x.design,
        String(x.report.polls),
        String(x.report.rows),
        x.mode === 'idle' ? `${fx(x.parentMsPerS, 3)} (the floor)` : fx(x.parentMsPerS, 3),
        fx(x.childMsPerS, 3),
        fx(x.totalMsPerS, 3),
        x.mode === 'idle' ? '–' : fx(x.totalMsPerPoll, 2),
        x.mode === 'spawn' && stream ? `${fx(x.totalMsPerS / stream.totalMsPerS, 0)}×` : '–',
      ]),
    ),
    '',
    `Window ${r.seconds} s per design (all four workers side by side). nvidia-smi ms/s of the long-lived child from /proc/PID/schedstat (ns); ` +
      `of the per-poll children from cutime+cstime of the worker (10 ms ticks, summed over the window).`,
  ];
  return lines.join('\n');
}
