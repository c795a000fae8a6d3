/**
 * Section 3: the cost of a scrape of `/metrics`, ours beside Debian's prometheus-node-exporter,
 * measured the same way in the same run.
 *
 * The exporter under test watches 8 GPUs and 4 vLLM targets (so its /metrics has its real size).
 * For each concurrency (1, 10, 50) each server gets `wrk -t1 -cC -dDs --latency URL` (plain GET,
 * no Accept-Encoding, as in shared/research/perf-anchors.md), one after the other; server CPU is
 * the change of utime+stime in /proc/PID/stat across the run ÷ requests answered. One more pair
 * of runs at 1 connection sends Prometheus' own headers (OpenMetrics preferred, gzip). The load
 * tool shares the machine's cores with the server, so compare ratios, not absolutes.
 */
import { runBuiltinLoad, runWrk, type LoadResult } from './support/load.js';
import type { ExporterProc } from './support/processes.js';
import { httpGet, PROMETHEUS_SCRAPE_HEADERS } from './support/processes.js';
import { loadAverage1m, readCpu } from './support/proc.js';
import { fx, int, mark, sleep, table } from './support/stats.js';

export type HeaderSet = 'plain' | 'prometheus';

export interface ScrapeRow {
  readonly server: string;
  readonly concurrency: number;
  readonly headers: HeaderSet;
  readonly load: LoadResult;
  /** 2xx responses per second (node_exporter answers 503 past --web.max-requests=40). */
  readonly okPerSecond: number;
  /** Server CPU over the run ÷ 2xx responses (node_exporter's cheap 503s are not counted as scrapes). */
  readonly cpuMsPerRequest: number;
  /** Server CPU over the run ÷ its duration: how much of one core it used. */
  readonly cpuCores: number;
  readonly loadAverage: number;
}

export interface ScrapeServer {
  readonly name: string;
  readonly proc: ExporterProc;
}

export interface ScrapeResult {
  readonly tool: 'wrk' | 'builtin';
  readonly seconds: number;
  readonly rows: readonly ScrapeRow[];
  /** Response size by server name (plain, identity encoding) and with Prometheus' headers. */
  readonly sizes: Record<string, { plain: number; prometheus: number; samples: number }>;
  readonly notes: readonly string[];
}

export interface ScrapeOptions {
  readonly quick: boolean;
  readonly ours: ScrapeServer;
  /** node_exporter; absent = not installed (quick runs only). */
  readonly reference?: ScrapeServer;
  /** A bare Node.js HTTP server with a body of the same size: the control for host noise (1 client, plain). */
  readonly control?: ScrapeServer;
  readonly useWrk: boolean;
}

export const SCRAPE_TARGETS = { throughputRatio: 10, cpuMsPerRequest: 0.3, p99MsAt1: 2 } as const;
export const OURS = 'llm-cost-exporter';
export const NODE_EXPORTER = 'node_exporter';
export const CONTROL = 'bare node:http (control)';

const headerValues = (h: HeaderSet): Record<string, string> => (h === 'prometheus' ? PROMETHEUS_SCRAPE_HEADERS : {});

export async function runScrapeBench(opts: ScrapeOptions): Promise<ScrapeResult> {
  const seconds = opts.quick ? 2 : 10;
  const pause = opts.quick ? 200 : 1000;
  const servers = [opts.ours, ...(opts.reference ? [opts.reference] : [])];
  const notes: string[] = [];
  if (!opts.reference) notes.push('node_exporter not installed: no reference server, no ratios (quick run).');
  if (!opts.useWrk) notes.push('wrk not installed: the built-in Node.js client was used (quick run); its latencies include its own event loop.');

  const load = (url: string, c: number, s: number, h: HeaderSet): Promise<LoadResult> =>
    opts.useWrk ? runWrk(url, c, s, headerValues(h)) : runBuiltinLoad(url, c, s, headerValues(h));

  const sizes: ScrapeResult['sizes'] = {};
  for (const s of servers) {
    const plain = await httpGet(s.proc.url);
    const prom = await httpGet(s.proc.url, PROMETHEUS_SCRAPE_HEADERS);
    const samples = plain.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    sizes[s.name] = { plain: plain.bytes, prometheus: prom.bytes, samples };
  }
  // warm-up: JIT, connection paths, node_exporter's collectors
  for (const s of [...servers, ...(opts.control ? [opts.control] : [])]) await load(s.proc.url, 10, opts.quick ? 1 : 3, 'plain');

  const plan: Array<[number, HeaderSet]> = [
    [1, 'plain'],
    [10, 'plain'],
    [50, 'plain'],
    [1, 'prometheus'],
  ];
  const rows: ScrapeRow[] = [];
  for (const [c, h] of plan) {
    const inRun = c === 1 && h === 'plain' && opts.control ? [...servers, opts.control] : servers;
    for (const s of inRun) {
      await sleep(pause);
      const before = readCpu(s.proc.pid)?.selfMs ?? NaN;
      const t0 = performance.now();
      const result = await load(s.proc.url, c, seconds, h);
      const elapsedS = (performance.now() - t0) / 1000;
      const cpuMs = (readCpu(s.proc.pid)?.selfMs ?? NaN) - before;
      const ok = result.requests - result.non2xx;
      rows.push({
        server: s.name,
        concurrency: c,
        headers: h,
        load: result,
        okPerSecond: ok / result.seconds,
        cpuMsPerRequest: cpuMs / Math.max(1, ok),
        cpuCores: cpuMs / 1000 / elapsedS,
        loadAverage: loadAverage1m(),
      });
    }
  }
  return { tool: opts.useWrk ? 'wrk' : 'builtin', seconds, rows, sizes, notes };
}

const find = (r: ScrapeResult, server: string, c: number, h: HeaderSet): ScrapeRow | undefined =>
  r.rows.find((x) => x.server === server && x.concurrency === c && x.headers === h);

/** Our 2xx throughput ÷ node_exporter's, per run. */
export function throughputRatio(r: ScrapeResult, c: number, h: HeaderSet): number | undefined {
  const ours = find(r, OURS, c, h);
  const ref = find(r, NODE_EXPORTER, c, h);
  return ours && ref ? ours.okPerSecond / ref.okPerSecond : undefined;
}

export interface ScrapeVerdict {
  readonly throughput: boolean | undefined;
  readonly cpu: boolean;
  readonly p99: boolean;
  readonly minRatio: number | undefined;
  readonly maxCpuMsPerRequest: number;
  readonly p99At1: number;
}

export function scrapeVerdict(r: ScrapeResult): ScrapeVerdict {
  const ratios = [1, 10, 50].map((c) => throughputRatio(r, c, 'plain')).filter((x): x is number => x !== undefined);
  const ours = r.rows.filter((x) => x.server === OURS && x.headers === 'plain');
  const maxCpu = Math.max(...ours.map((x) => x.cpuMsPerRequest));
  const p99At1 = find(r, OURS, 1, 'plain')?.load.p99Ms ?? NaN;
  const minRatio = ratios.length > 0 ? Math.min(...ratios) : undefined;
  return {
    throughput: minRatio === undefined ? undefined : minRatio >= SCRAPE_TARGETS.throughputRatio,
    cpu: maxCpu <= SCRAPE_TARGETS.cpuMsPerRequest,
    p99: p99At1 < SCRAPE_TARGETS.p99MsAt1,
    minRatio,
    maxCpuMsPerRequest: maxCpu,
    p99At1,
  };
}

export function formatScrape(r: ScrapeResult): string {
  const lines: string[] = [];
  const headerText = (h: HeaderSet): string => (h === 'plain' ? 'plain' : 'Prometheus (OM + gzip)');
  lines.push(
    table(
      ['server', '>clients', 'request', '>p50 ms', '>p99 ms', '>req/s (2xx)', '>non-2xx', '>server CPU ms per 2xx', '>server cores', '>load avg'],
      r.rows.map((x) => [
        x.server === OURS ? `**${x.server}**` : x.server,
        String(x.concurrency),
        headerText(x.headers),
        fx(x.load.p50Ms, 2),
        fx(x.load.p99Ms, 2),
        `${fx(x.load.requestsPerSecond, 0)} (${fx(x.okPerSecond, 0)})`,
        int(x.load.non2xx + x.load.errors),
        fx(x.cpuMsPerRequest, 3),
        fx(x.cpuCores, 2),
        fx(x.loadAverage, 1),
      ]),
    ),
  );
  const pairs = r.rows.filter((x) => x.server === OURS);
  if (r.rows.some((x) => x.server === NODE_EXPORTER)) {
    lines.push('');
    lines.push(
      table(
        ['clients', 'request', '>req/s ratio (ours ÷ node_exporter, 2xx)', '>p50 ratio (node_exporter ÷ ours)', '>CPU/req ratio (node_exporter ÷ ours)'],
        pairs.map((o) => {
          const ref = find(r, NODE_EXPORTER, o.concurrency, o.headers);
          return [
            String(o.concurrency),
            headerText(o.headers),
            ref ? `${fx(o.okPerSecond / ref.okPerSecond, 1)}×` : 'n/a',
            ref ? `${fx(ref.load.p50Ms / o.load.p50Ms, 1)}×` : 'n/a',
            ref ? `${fx(ref.cpuMsPerRequest / o.cpuMsPerRequest, 1)}×` : 'n/a',
          ];
        }),
      ),
    );
  }
  lines.push('');
  const sizeText = Object.entries(r.sizes)
    .map(([name, s]) => `${name} ${int(s.plain)} B plain / ${int(s.prometheus)} B as Prometheus asks, ${int(s.samples)} samples`)
    .join('; ');
  lines.push(`Load tool: ${r.tool === 'wrk' ? 'wrk -t1 (Debian)' : 'built-in Node.js client'}, ${r.seconds} s per run. Response sizes: ${sizeText}.`);
  const control = r.rows.find((x) => x.server === CONTROL);
  const ours1 = find(r, OURS, 1, 'plain');
  if (control && ours1) {
    lines.push(
      `Control for host noise: a bare Node.js HTTP server sending a body of the same size had p50 ${fx(control.load.p50Ms, 2)} ms and p99 ` +
        `${fx(control.load.p99Ms, 2)} ms at 1 client in the same run (ours: ${fx(ours1.load.p50Ms, 2)} / ${fx(ours1.load.p99Ms, 2)} ms).`,
    );
  }
  const v = scrapeVerdict(r);
  lines.push(
    `Targets: throughput ≥ ${SCRAPE_TARGETS.throughputRatio}× node_exporter at every concurrency ${mark(v.throughput)} (lowest ${v.minRatio === undefined ? 'n/a' : fx(v.minRatio, 1) + '×'}); ` +
      `server CPU ≤ ${SCRAPE_TARGETS.cpuMsPerRequest} ms/scrape ${mark(v.cpu)} (highest ${fx(v.maxCpuMsPerRequest, 3)}); ` +
      `p99 at 1 client < ${SCRAPE_TARGETS.p99MsAt1} ms ${mark(v.p99)} (${fx(v.p99At1, 2)} ms).`,
  );
  for (const n of r.notes) lines.push(`Note: ${n}`);
  return lines.join('\n');
}
