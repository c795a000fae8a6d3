/**
 * Section 2: steady-state overhead of `serve`.
 *
 * The exporter (its own process, product build) watches 8 GPUs through the nvidia-smi double
 * (`-lms 1000`) and 4 vLLM doubles (5 s poll cycle; the doubles run in a separate helper process
 * whose CPU is not counted). After a warm-up it is scraped every 15 s with Prometheus' request
 * headers (OpenMetrics preferred, gzip) for the measurement window, and:
 *  - CPU = change of utime+stime in /proc/PID/stat of the exporter process (all its threads; not
 *    its nvidia-smi child, reported on its own line) over the window, in ms per second;
 *  - memory = VmRSS sampled every second (median, min-max) and VmHWM at the end.
 * A bare Node.js HTTP server with a body of the same size is measured side by side as the floor.
 */
import type { ExporterProc } from './support/processes.js';
import { httpGet, PROMETHEUS_SCRAPE_HEADERS, waitFor200 } from './support/processes.js';
import { childPids, loadAverage1m, readCpu, readMemory } from './support/proc.js';
import { fx, int, mark, median, sleep, table } from './support/stats.js';

export interface ProcessFootprint {
  readonly cpuMsPerSecond: number;
  readonly rssMedianMiB: number;
  readonly rssMinMiB: number;
  readonly rssMaxMiB: number;
  readonly hwmMiB: number;
}

export interface SteadyStateResult {
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly scrapeEverySeconds: number;
  readonly scrapes: number;
  /** Size of /metrics as Prometheus receives it (OpenMetrics, gzip) and uncompressed. */
  readonly scrapeBytesGzip: number;
  readonly scrapeBytesPlain: number;
  readonly samples: number;
  readonly exporter: ProcessFootprint;
  /** CPU of the exporter's nvidia-smi child (the Node.js double, NOT the real binary), ms/s. */
  readonly nvidiaSmiDoubleCpuMsPerSecond: number | undefined;
  readonly bare: ProcessFootprint | undefined;
  /** CPU tick resolution over the window, ms/s (one tick ÷ window). */
  readonly resolutionMsPerSecond: number;
  readonly loadAverage: number;
}

export interface SteadyStateOptions {
  readonly quick: boolean;
  readonly exporter: ExporterProc;
  readonly bare?: ExporterProc;
}

export const STEADY_TARGETS = { cpuMsPerSecond: 5, rssMiB: 80 } as const;

/** Counts the non-comment lines of an exposition. */
const sampleLines = (text: string): number => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;

export async function runSteadyState(opts: SteadyStateOptions): Promise<SteadyStateResult> {
  const { exporter, bare } = opts;
  const warmupSeconds = opts.quick ? 3 : 20;
  const windowSeconds = opts.quick ? 6 : 60;
  const scrapeEverySeconds = opts.quick ? 3 : 15;

  await waitFor200(`http://127.0.0.1:${exporter.port}/-/ready`, 30_000, exporter);
  // warm-up: first cycles, first scrapes (cold code), nvidia-smi streaming
  await httpGet(exporter.url);
  await httpGet(exporter.url, PROMETHEUS_SCRAPE_HEADERS);
  if (bare) await httpGet(bare.url);
  await sleep(warmupSeconds * 1000);

  const procs = [exporter, ...(bare ? [bare] : [])];
  const nvidiaChild = childPids(exporter.pid)[0];
  const cpu0 = procs.map((p) => readCpu(p.pid)?.selfMs ?? NaN);
  const child0 = nvidiaChild === undefined ? undefined : readCpu(nvidiaChild)?.selfMs;
  const rss: number[][] = procs.map(() => []);
  const started = performance.now();
  let scrapes = 0;
  let gzipBytes = 0;
  let nextScrape = 0;
  for (let second = 0; second < windowSeconds; second++) {
    if (second === nextScrape) {
      const r = await httpGet(exporter.url, PROMETHEUS_SCRAPE_HEADERS);
      if (r.status !== 200) throw new Error(`scrape of the exporter answered ${r.status}`);
      gzipBytes = r.bytes;
      if (bare) await httpGet(bare.url, { 'accept-encoding': 'gzip' });
      scrapes++;
      nextScrape += scrapeEverySeconds;
    }
    procs.forEach((p, i) => {
      const m = readMemory(p.pid);
      if (m) rss[i]!.push(m.rssMiB);
    });
    const due = started + (second + 1) * 1000;
    await sleep(Math.max(0, due - performance.now()));
  }
  const elapsedS = (performance.now() - started) / 1000;
  const cpu1 = procs.map((p) => readCpu(p.pid)?.selfMs ?? NaN);
  const child1 = nvidiaChild === undefined ? undefined : readCpu(nvidiaChild)?.selfMs;
  // the size once the windows hold data (after the window, so this scrape is not counted)
  const plain = await httpGet(exporter.url);
  const footprint = (i: number): ProcessFootprint => {
    const r = rss[i]!;
    return {
      cpuMsPerSecond: (cpu1[i]! - cpu0[i]!) / elapsedS,
      rssMedianMiB: median(r),
      rssMinMiB: Math.min(...r),
      rssMaxMiB: Math.max(...r),
      hwmMiB: readMemory(procs[i]!.pid)?.hwmMiB ?? NaN,
    };
  };
  return {
    warmupSeconds,
    windowSeconds: elapsedS,
    scrapeEverySeconds,
    scrapes,
    scrapeBytesGzip: gzipBytes,
    scrapeBytesPlain: plain.bytes,
    samples: sampleLines(plain.body),
    exporter: footprint(0),
    nvidiaSmiDoubleCpuMsPerSecond: child0 !== undefined && child1 !== undefined ? (child1 - child0) / elapsedS : undefined,
    bare: bare ? footprint(1) : undefined,
    resolutionMsPerSecond: 10 / elapsedS,
    loadAverage: loadAverage1m(),
  };
}

export function steadyStateMeetsTargets(r: SteadyStateResult): { cpu: boolean; rss: boolean } {
  return {
    cpu: r.exporter.cpuMsPerSecond <= STEADY_TARGETS.cpuMsPerSecond,
    rss: r.exporter.rssMaxMiB <= STEADY_TARGETS.rssMiB,
  };
}

export function formatSteadyState(r: SteadyStateResult): string {
  const ok = steadyStateMeetsTargets(r);
  const row = (name: string, f: ProcessFootprint, cpuTarget: string, rssTarget: string): string[] => [
    name,
    `${fx(f.cpuMsPerSecond, 2)}${cpuTarget}`,
    `${fx(f.rssMedianMiB, 1)} (${fx(f.rssMinMiB, 1)}–${fx(f.rssMaxMiB, 1)})${rssTarget}`,
    fx(f.hwmMiB, 1),
  ];
  const rows = [
    row('**llm-cost-exporter serve** (8 GPUs @ 1 s, 4 vLLM targets @ 5 s)', r.exporter, ` ${mark(ok.cpu)} (≤ ${STEADY_TARGETS.cpuMsPerSecond})`, ` ${mark(ok.rss)} (≤ ${STEADY_TARGETS.rssMiB} MiB)`),
  ];
  if (r.nvidiaSmiDoubleCpuMsPerSecond !== undefined) {
    rows.push(['its nvidia-smi child: the Node.js double, not the real binary (not counted)', fx(r.nvidiaSmiDoubleCpuMsPerSecond, 2), '–', '–']);
  }
  if (r.bare) rows.push(row('bare Node.js HTTP server, same body size (floor)', r.bare, '', ''));
  return [
    table(['process', '>CPU ms/s', '>RSS MiB median (min–max)', '>VmHWM MiB'], rows),
    '',
    `Window ${fx(r.windowSeconds, 1)} s after a ${r.warmupSeconds} s warm-up; ${r.scrapes} scrapes (one every ${r.scrapeEverySeconds} s, ` +
      `Prometheus headers: OpenMetrics + gzip, ${int(r.scrapeBytesGzip)} B on the wire; ${int(r.scrapeBytesPlain)} B and ` +
      `${int(r.samples)} samples uncompressed). CPU resolution ±${fx(r.resolutionMsPerSecond, 2)} ms/s (one 10 ms tick). ` +
      `Load average at the end: ${fx(r.loadAverage, 2)}.`,
  ].join('\n');
}
