/**
 * Helper process for section 5 (bench/gpu-polling.ts): one GPU polling design, alone in a fresh
 * Node.js process, for a fixed window. Prints one JSON line with the CPU it and its children used.
 *
 *   node gpu-polling-worker.js MODE BINARY SECONDS WARMUP_SECONDS
 *     MODE  stream  NvidiaSmiSource (the product's code) running BINARY -lms 1000, parsed row by row
 *           spawn   every 1000 ms: spawn BINARY once (no loop flag), read its rows, parse each with
 *                   the product's parseGpuRow
 *           idle    a 1 s timer doing nothing (the floor of the worker itself)
 *   The start-up delay imitation comes from the environment (BENCH_NVML_INIT_MS), read by BINARY.
 *
 * CPU: this process from process.cpuUsage() (µs); children reaped during the window from
 * cutime+cstime of /proc/self/stat (10 ms ticks); the living child of `stream` (single-threaded)
 * from /proc/PID/schedstat (ns).
 */
import { spawn } from 'node:child_process';
import { pino } from 'pino';
import { RECOMMENDED_FIELDS } from '../../src/sources/nvidia-smi/gpu-fields.js';
import { NvidiaSmiSource } from '../../src/sources/nvidia-smi/nvidia-smi-source.js';
import { isGpuRowRejection, parseGpuRow } from '../../src/sources/nvidia-smi/parse-gpu-row.js';
import { systemClock } from '../../src/time/clock.js';
import { readCpu, readSchedMs } from './proc.js';

export interface WorkerReport {
  readonly mode: string;
  readonly seconds: number;
  readonly parentCpuMs: number;
  readonly childCpuMs: number;
  readonly polls: number;
  readonly rows: number;
  readonly rejected: number;
}

const [mode = 'idle', binary = '', secondsText = '10', warmupText = '2'] = process.argv.slice(2);
const seconds = Number(secondsText);
const warmup = Number(warmupText);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const selfCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const reapedMs = (): number => readCpu('self')?.reapedChildrenMs ?? 0;

let rows = 0;
let rejected = 0;
let polls = 0;
let stop: () => Promise<void> = async () => {};
let childCpu: () => number = () => 0;

if (mode === 'stream') {
  const source = new NvidiaSmiSource({
    path: binary,
    intervalMs: 1000,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    onReading: () => {
      rows++;
    },
  });
  source.start();
  stop = () => source.stop();
  childCpu = () => {
    const pid = source.childPid();
    return pid === undefined ? 0 : (readSchedMs(pid) ?? readCpu(pid)?.selfMs ?? 0);
  };
} else if (mode === 'spawn') {
  const args = [`--query-gpu=${RECOMMENDED_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
  const pollOnce = (): Promise<void> =>
    new Promise((resolve) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (c: string) => (out += c));
      child.stderr.resume();
      child.on('error', () => resolve());
      child.on('close', () => {
        polls++;
        for (const line of out.split('\n')) {
          if (line === '') continue;
          if (isGpuRowRejection(parseGpuRow(line, RECOMMENDED_FIELDS))) rejected++;
          else rows++;
        }
        resolve();
      });
    });
  let running = true;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (running) inFlight = pollOnce();
  }, 1000);
  void (inFlight = pollOnce());
  stop = async () => {
    running = false;
    clearInterval(timer);
    await inFlight;
  };
} else {
  const timer = setInterval(() => {}, 1000);
  stop = async () => clearInterval(timer);
}

await sleep(warmup * 1000);
const rows0 = rows;
const polls0 = polls;
const self0 = selfCpuMs();
const reaped0 = reapedMs();
const child0 = childCpu();
const t0 = performance.now();
await sleep(seconds * 1000);
const self1 = selfCpuMs();
const reaped1 = reapedMs();
const child1 = childCpu();
const elapsed = (performance.now() - t0) / 1000;
const report: WorkerReport = {
  mode,
  seconds: elapsed,
  parentCpuMs: self1 - self0,
  childCpuMs: reaped1 - reaped0 + (child1 - child0),
  polls: mode === 'stream' ? Math.round((rows - rows0) / Math.max(1, Number(process.env['BENCH_GPUS'] ?? 8))) : polls - polls0,
  rows: rows - rows0,
  rejected,
};
await stop();
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
