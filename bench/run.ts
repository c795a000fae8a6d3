/**
 * `npm run bench` (= `tsc -p tsconfig.bench.json && node .bench-dist/bench/run.js`): the five
 * benchmarks of the exporter, one table per section on stdout, and the same figures with the
 * method and the machine in docs/benchmarks.md.
 *
 *   node .bench-dist/bench/run.js [--quick] [--only=parser,replay,gpu,steady,scrape] [--no-build]
 *                                 [--out=FILE] [--profile]
 *
 *   --quick     every section shortened to a few seconds (the CI smoke, .ci/bench-smoke); wrk and
 *               node_exporter are optional then. Writes .tmp/bench/benchmarks-quick.md unless --out.
 *   --only      run some sections (the document then holds only those).
 *   --no-build  do not rebuild dist/ first (serve and the vLLM doubles run from the product build).
 *   --profile   instead of the sections: run serve under `node --cpu-prof` in the steady-state
 *               setup and print where its CPU goes (self and inclusive time, start-up skipped),
 *               then the steady-state CPU and RSS of four exporters side by side watching nothing,
 *               only the GPUs, only the vLLM targets, both (~4 minutes).
 *
 * Exit status: 0 when every section ran (missed targets included: they are findings, marked ✗),
 * 1 when a section crashed, 2 for bad usage or (full run) missing wrk / node_exporter.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ExporterState } from '../src/exporter/exporter.js';
import { formatReplay, REPLAY_TARGET_SECONDS, replayMeetsTarget, runAccountingReplay, weekOfHistory, type ReplayResult } from './accounting-replay.js';
import { formatGpuPolling, runGpuPollingBench, type PollingResult } from './gpu-polling.js';
import { formatParserBenchTable, runParserBench, type ParserBenchRow } from './parser.js';
import { CONTROL, formatScrape, NODE_EXPORTER, OURS, runScrapeBench, SCRAPE_TARGETS, scrapeVerdict, type ScrapeResult } from './scrape.js';
import { formatSteadyState, runSteadyState, STEADY_TARGETS, steadyStateMeetsTargets, type SteadyStateResult } from './steady-state.js';
import { WRK } from './support/load.js';
import { debianVersion, describeMachine, type Machine } from './support/machine.js';
import { doubleGpuUuid, HOST_GPUS, HOST_TARGETS } from './support/host.js';
import { repoRoot } from './support/paths.js';
import {
  haveExecutable,
  httpGet,
  NODE_EXPORTER_BIN,
  PROMETHEUS_SCRAPE_HEADERS,
  startBareServer,
  startExporter,
  startNodeExporter,
  startVllmDoubles,
  type ExporterProc,
  type Proc,
  type VllmDoubles,
  waitFor200,
} from './support/processes.js';
import { loadAverage1m, readCpu, readMemory } from './support/proc.js';
import { summariseProfile } from './support/profile.js';
import { fx, mark, median, sleep, table } from './support/stats.js';

/** In the order (the document's); they run parser, replay, gpu, steady, scrape. */
const SECTIONS = ['parser', 'steady', 'scrape', 'replay', 'gpu'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  readonly quick: boolean;
  readonly only: ReadonlySet<Section>;
  readonly build: boolean;
  readonly out: string;
  readonly profile: boolean;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: node .bench-dist/bench/run.js [--quick] [--only=${SECTIONS.join(',')}] [--no-build] [--out=FILE] [--profile]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let build = true;
  let profile = false;
  let out: string | undefined;
  let only = new Set<Section>(SECTIONS);
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--no-build') build = false;
    else if (arg === '--profile') profile = true;
    else if (arg.startsWith('--out=')) out = arg.slice(6);
    else if (arg.startsWith('--only=')) {
      const names = arg.slice(7).split(',').filter((s) => s !== '');
      for (const n of names) if (!(SECTIONS as readonly string[]).includes(n)) usage(`unknown section "${n}"`);
      only = new Set(names as Section[]);
    } else usage(`unknown argument "${arg}"`);
  }
  const root = repoRoot();
  return {
    quick,
    only,
    build,
    profile,
    out: out ?? join(root, quick ? '.tmp/bench/benchmarks-quick.md' : 'docs/benchmarks.md'),
  };
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Rebuilds dist/ (tsc -p tsconfig.build.json): serve and the vLLM doubles run from it. */
function buildProduct(): void {
  const root = repoRoot();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${r.stdout}${r.stderr}`);
  log(`built dist/ (tsc -p tsconfig.build.json) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// ---------------------------------------------------------------------------------------------

interface Results {
  parser?: ParserBenchRow[];
  replay?: ReplayResult;
  gpu?: PollingResult;
  steady?: SteadyStateResult;
  scrape?: ScrapeResult;
  errors: Array<{ section: Section; message: string }>;
  seconds: Partial<Record<Section, number>>;
}

/** The exporter under test with the data it watches: 4 vLLM doubles + 8 GPUs; and the bare floor. */
interface Rig {
  readonly doubles: VllmDoubles;
  readonly exporter: ExporterProc;
  readonly bare?: ExporterProc;
  stop(): Promise<void>;
}

async function startRig(withBare: boolean, nodeArgs: readonly string[] = []): Promise<Rig> {
  const started: Proc[] = [];
  try {
    const doubles = await startVllmDoubles(HOST_TARGETS);
    started.push(doubles);
    // a week-old exporter: its windows full, as after 7 days of service (bench/accounting-replay.ts)
    const history = weekOfHistory(Date.now(), Array.from({ length: HOST_GPUS }, (_, i) => doubleGpuUuid(i)));
    const seedState: ExporterState = { ledger: history.state, trackers: {} };
    const exporter = await startExporter({ targets: doubles.urls, gpus: HOST_GPUS, nodeArgs, seedState });
    started.push(exporter);
    let bare: ExporterProc | undefined;
    if (withBare) {
      // the bare server sends a body as large as the exporter's uncompressed /metrics
      await waitFor200(`http://127.0.0.1:${exporter.port}/-/ready`, 30_000, exporter);
      const size = (await httpGet(exporter.url)).bytes;
      bare = await startBareServer(size);
      started.push(bare);
    }
    return {
      doubles,
      exporter,
      ...(bare && { bare }),
      async stop() {
        for (const p of started.reverse()) await p.stop();
      },
    };
  } catch (error) {
    for (const p of started.reverse()) await p.stop();
    throw error;
  }
}

const parserMinRatio = (rows: readonly ParserBenchRow[]): number => Math.min(...rows.map((r) => r.peerOverOurs));
export const PARSER_TARGET_RATIO = 3;

async function runSections(args: Args, useWrk: boolean, haveNodeExporter: boolean): Promise<Results> {
  const results: Results = { errors: [], seconds: {} };
  const timed = async (section: Section, fn: () => Promise<void>): Promise<void> => {
    if (!args.only.has(section)) return;
    const t0 = Date.now();
    log(`\n## ${TITLES[section]}${args.quick ? ' (quick)' : ''}  [load average ${fx(loadAverage1m(), 2)}]`);
    try {
      await fn();
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      results.errors.push({ section, message });
      log(`FAILED: ${message}`);
    }
    results.seconds[section] = (Date.now() - t0) / 1000;
  };

  await timed('parser', async () => {
    results.parser = await runParserBench({ quick: args.quick });
    log(formatParserBenchTable(results.parser));
  });
  await timed('replay', async () => {
    results.replay = await runAccountingReplay({ quick: args.quick });
    log(formatReplay(results.replay));
  });
  await timed('gpu', async () => {
    results.gpu = await runGpuPollingBench({ quick: args.quick });
    log(formatGpuPolling(results.gpu));
  });

  if (args.only.has('steady') || args.only.has('scrape')) {
    let rig: Rig | undefined;
    try {
      rig = await startRig(true);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      for (const s of ['steady', 'scrape'] as const) if (args.only.has(s)) results.errors.push({ section: s, message });
      log(`FAILED to start the exporter under test: ${message}`);
    }
    if (rig) {
      const r = rig;
      try {
        await timed('steady', async () => {
          results.steady = await runSteadyState({ quick: args.quick, exporter: r.exporter, ...(r.bare && { bare: r.bare }) });
          log(formatSteadyState(results.steady));
        });
        await timed('scrape', async () => {
          let nodeExporter: ExporterProc | undefined;
          try {
            if (haveNodeExporter) nodeExporter = await startNodeExporter();
            // make sure the exporter has published (steady may have been skipped)
                  await waitFor200(`http://127.0.0.1:${r.exporter.port}/-/ready`, 30_000, r.exporter);
            results.scrape = await runScrapeBench({
              quick: args.quick,
              ours: { name: OURS, proc: r.exporter },
              ...(nodeExporter && { reference: { name: NODE_EXPORTER, proc: nodeExporter } }),
              ...(r.bare && { control: { name: CONTROL, proc: r.bare } }),
              useWrk,
            });
            log(formatScrape(results.scrape));
          } finally {
            await nodeExporter?.stop();
          }
        });
      } finally {
        await r.stop();
      }
    }
  }
  return results;
}

const TITLES: Record<Section, string> = {
  parser: '1. Parser: ours vs parse-prometheus-text-format',
  steady: '2. Steady-state overhead of serve',
  scrape: '3. Scrape cost of /metrics vs node_exporter',
  replay: '4. Accounting replay: a year of per-minute samples',
  gpu: '5. GPU polling design: long-lived nvidia-smi -lms vs one process per poll',
};

// ---------------------------------------------------------------------------------------------

interface SummaryRow {
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  readonly ok: boolean | undefined;
}

function summary(r: Results): SummaryRow[] {
  const rows: SummaryRow[] = [];
  if (r.parser) {
    const min = parserMinRatio(r.parser);
    const worst = r.parser.find((x) => x.peerOverOurs === min)!;
    rows.push({ what: 'Parser speed vs parse-prometheus-text-format (every input, full decode)', target: `≥ ${PARSER_TARGET_RATIO}×`, measured: `${fx(min, 1)}× at worst (${worst.input})`, ok: min >= PARSER_TARGET_RATIO });
  }
  if (r.steady) {
    const ok = steadyStateMeetsTargets(r.steady);
    rows.push({ what: 'serve steady-state CPU (8 GPUs @ 1 s, 4 targets @ 5 s, scraped every 15 s)', target: `≤ ${STEADY_TARGETS.cpuMsPerSecond} ms/s`, measured: `${fx(r.steady.exporter.cpuMsPerSecond, 2)} ms/s`, ok: ok.cpu });
    const bareNote = r.steady.bare ? `, ${fx(r.steady.bare.rssMedianMiB, 1)} MiB here` : '';
    rows.push({ what: `serve resident memory (max of 1 s VmRSS samples; the issue's "80 MB" read as MiB, like its "44 MB" for a bare Node.js server${bareNote})`, target: `≤ ${STEADY_TARGETS.rssMiB} MiB`, measured: `${fx(r.steady.exporter.rssMaxMiB, 1)} MiB (median ${fx(r.steady.exporter.rssMedianMiB, 1)})`, ok: ok.rss });
  }
  if (r.scrape) {
    const v = scrapeVerdict(r.scrape);
    rows.push({ what: 'Scrape throughput vs node_exporter (lowest of 1/10/50 clients)', target: `≥ ${SCRAPE_TARGETS.throughputRatio}×`, measured: v.minRatio === undefined ? 'not measured' : `${fx(v.minRatio, 1)}×`, ok: v.throughput });
    rows.push({ what: 'Server CPU per scrape (highest of 1/10/50 clients)', target: `≤ ${SCRAPE_TARGETS.cpuMsPerRequest} ms`, measured: `${fx(v.maxCpuMsPerRequest, 3)} ms`, ok: v.cpu });
    rows.push({ what: 'Scrape p99 latency at 1 client', target: `< ${SCRAPE_TARGETS.p99MsAt1} ms`, measured: `${fx(v.p99At1, 2)} ms`, ok: v.p99 });
  }
  if (r.replay) {
    const ok = replayMeetsTarget(r.replay);
    const hourly = r.replay.passes.find((p) => p.name === 'hourly')!;
    const strict = r.replay.passes.find((p) => p.name === 'strict')!;
    rows.push({ what: 'Accounting replay, a year; windows + cost model every simulated minute (strict)', target: `≤ ${REPLAY_TARGET_SECONDS} s`, measured: `${fx(strict.cpuSeconds, 1)} s CPU${strict.extrapolated ? ' (extrapolated)' : ''}`, ok: ok.strict });
    rows.push({ what: 'Accounting replay, a year; windows + cost model every simulated hour', target: `≤ ${REPLAY_TARGET_SECONDS} s`, measured: `${fx(hourly.cpuSeconds, 1)} s CPU${hourly.extrapolated ? ' (extrapolated)' : ''}`, ok: ok.hourly });
  }
  if (r.gpu && !r.gpu.skipped) {
    const stream = r.gpu.rows.find((x) => x.mode === 'stream');
    const spawn7 = r.gpu.rows.find((x) => x.mode === 'spawn' && x.initMs === 7);
    if (stream && spawn7) {
      rows.push({
        what: 'GPU polling: long-lived -lms child vs spawn per poll (7 ms init)',
        target: 'a number behind the design',
        measured: `${fx(stream.totalMsPerS, 2)} vs ${fx(spawn7.totalMsPerS, 2)} ms/s (${fx(spawn7.totalMsPerS / stream.totalMsPerS, 0)}× less)`,
        ok: stream.totalMsPerS < spawn7.totalMsPerS,
      });
    }
  }
  return rows;
}

function formatSummary(rows: readonly SummaryRow[]): string {
  return table(['what', 'target', '>measured', 'met'], rows.map((r) => [r.what, r.target, r.measured, mark(r.ok)]));
}

function machineTable(m: Machine, extra: Record<string, string>): string {
  const rows: string[][] = [
    ['CPU', `${m.cpuModel}, ${m.cores} logical cores (${m.virtualization})`],
    ['Memory', `${fx(m.memoryGiB, 1)} GiB`],
    ['Kernel', m.kernel],
    ['Node.js', m.node],
    ['Date (UTC)', m.date],
    ['Load average (1 min) at the start', fx(m.loadAverageAtStart, 2)],
    ...Object.entries(extra).map(([k, v]) => [k, v]),
  ];
  return table(['', ''], rows);
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '?';
  } catch {
    return 'not installed';
  }
}

const METHODS: Record<Section, string> = {
  parser:
    'bench/parser.ts. Each input is parsed in this process by our parser (`parseExposition`, everything decoded), by ours with the ' +
    "vLLM reader's `keep` filter, and by the npm peer `parse-prometheus-text-format`; ~0.5 s warm-up, then single parses timed with " +
    '`process.hrtime.bigint()` for ~1.5 s; the median is reported. MB/s = bytes ÷ median µs. The synthetic input is built from ' +
    '`latest.prom` (16 models, model m1 with 4 data-parallel engines, ~520 KB; bench/parser/synth.ts). The peer loses the labels of ' +
    'histogram `_sum`/`_count` lines (shared/research/perf-anchors.md §1), so it does less work than ours.',
  replay:
    'bench/accounting-replay.ts, in this process. A sample = one minute of the benchmark host: 1 × `Ledger.recordTime` + 4 × ' +
    '`recordTraffic` (one per vLLM target, with a 23-bucket TTFT increase and one model\'s totals) + 8 × `recordGpuReading`; a year = ' +
    '525,600 samples, on a weekday/weekend daily traffic curve. An evaluation = what `Exporter.publish` asks of the accounting each ' +
    'cycle: `windows(now)`, `windowFigures` for 5m/1h/24h/7d, `peakToTroughRatio` and the 1 h and 24 h `ringHistory`. CPU time of ' +
    'the process (`process.cpuUsage`). A pass that would exceed its CPU budget (12 s full, 0.5 s quick) stops and is extrapolated ' +
    'linearly from the minutes replayed after the 7-day rings filled; the strict pass is the record pass + 525,600 × the mean ' +
    'evaluation measured on full rings unless it fits the budget.',
  gpu:
    'bench/gpu-polling.ts. Both designs run the same native stand-in for nvidia-smi (bench/support/fake-nvidia-smi.c, `cc -O2`): ' +
    '8 GPUs, the 25 RECOMMENDED fields, rows in the shape of the H100 fixture; each process start burns `BENCH_NVML_INIT_MS` of CPU ' +
    'to imitate NVML initialisation: 7 ms (netdata/netdata#10362: `--query-gpu` with 7 fields on 1 GPU took 0.007 s) and 50 ms ' +
    "(nvidia_gpu_exporter's example collection: 0.0557 s), both from shared/research/gpu-exporters.md §1.6. `stream` = the product's " +
    '`NvidiaSmiSource` with `-lms 1000`; `spawn` = `child_process.spawn` once a second, rows parsed with the product\'s `parseGpuRow`. ' +
    'Each design runs in its own fresh Node.js worker, side by side, over the same window after a warm-up.',
  steady:
    'bench/steady-state.ts. `node dist/cli/main.js serve` (the product build) with `--nvidia-smi.interval 1s --poll-interval 5s`, ' +
    '8 GPUs from the nvidia-smi double (src/simulator/nvidia-smi-double, a Node.js script the exporter spawns with `-lms 1000`) and 4 ' +
    'vLLM doubles (src/simulator/vllm-http-double.ts, newest layout, ~62 KB each, counters advancing every second) in a separate ' +
    'helper process. Its storage directory is seeded with a week of per-minute history (the replay\'s traffic, written with the ' +
    'product\'s StateFile), so it restores full 5m/1h/24h/7d windows and works, renders and persists as a week-old exporter does. ' +
    'After a 20 s warm-up it is scraped every 15 s with Prometheus\' headers. CPU = change of utime+stime in ' +
    '/proc/PID/stat of the exporter process (all its threads, not its children) ÷ the window; memory = VmRSS every second and ' +
    'VmHWM. A bare `node:http` server sending a body of the same size, scraped alike, runs side by side as the floor.',
  scrape:
    'bench/scrape.ts. The same exporter (still watching 8 GPUs and 4 targets) and Debian\'s `prometheus-node-exporter` (default ' +
    'collectors) on 127.0.0.1. For 1, 10 and 50 connections each server in turn gets `wrk -t1 -cC -d10s --latency URL` (plain GET, ' +
    'no compression, as in shared/research/perf-anchors.md §2), then one more pair at 1 connection with Prometheus\' request ' +
    'headers (OpenMetrics preferred, gzip). At 1 client the bare `node:http` server of section 2 runs too, as a control for host ' +
    'noise. Server CPU = change of utime+stime of its process across the run ÷ 2xx responses. wrk shares ' +
    'the machine\'s cores with the server: compare ratios, not absolutes.',
};

function renderDoc(args: Args, machine: Machine, results: Results, extra: Record<string, string>, totalSeconds: number, endLoad: number): string {
  const parts: string[] = [];
  parts.push('# Benchmarks');
  parts.push('');
  parts.push(
    `Generated by \`${args.quick ? 'node .bench-dist/bench/run.js --quick' : 'npm run bench'}\` (bench/run.ts) in ${fx(totalSeconds, 0)} s. ` +
      'Do not edit the figures by hand: run the command again. Targets are those of the benchmark issue; ✓ met, ✗ missed, – not measured.' +
      (args.quick ? ' **Quick run: every section shortened to a few seconds; the figures are a smoke test, not measurements.**' : ''),
  );
  parts.push('');
  parts.push('## Machine');
  parts.push('');
  parts.push(machineTable(machine, { ...extra, 'Load average (1 min) at the end': fx(endLoad, 2) }));
  parts.push('');
  parts.push(
    'The load average is printed because this machine is shared: other work running at the same time inflates wall-clock figures ' +
      '(latencies, µs per parse) far more than CPU-time figures (ms/s, ms per scrape, CPU s per year).',
  );
  parts.push('');
  parts.push('## Summary');
  parts.push('');
  parts.push(formatSummary(summary(results)));
  if (results.errors.length > 0) {
    parts.push('');
    for (const e of results.errors) parts.push(`**Section ${e.section} failed:** \`${e.message.split('\n')[0]}\``);
  }
  const body: Record<Section, () => string | undefined> = {
    parser: () => results.parser && formatParserBenchTable(results.parser),
    replay: () => results.replay && formatReplay(results.replay),
    gpu: () => results.gpu && formatGpuPolling(results.gpu),
    steady: () => results.steady && formatSteadyState(results.steady),
    scrape: () => results.scrape && formatScrape(results.scrape),
  };
  for (const s of SECTIONS) {
    if (!args.only.has(s)) continue;
    parts.push('');
    parts.push(`## ${TITLES[s]}`);
    parts.push('');
    parts.push(`Method: ${METHODS[s]}`);
    parts.push('');
    parts.push(body[s]() ?? '_Not measured (the section failed)._');
    if (results.seconds[s] !== undefined) parts.push('', `_Section time: ${fx(results.seconds[s], 0)} s._`);
  }
  const analysis = join(repoRoot(), 'bench', 'support', 'analysis.md');
  if (existsSync(analysis)) {
    parts.push('');
    parts.push(readFileSync(analysis, 'utf8').trimEnd());
  }
  parts.push('');
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function runProfile(args: Args): Promise<void> {
  const dir = join(repoRoot(), '.tmp', 'bench', 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const seconds = args.quick ? 10 : 60;
  const startedAt = Date.now();
  const rig = await startRig(false, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let skipMs = 0;
  let cpuMsPerS = NaN;
  try {
    await waitFor200(`http://127.0.0.1:${rig.exporter.port}/-/ready`, 30_000, rig.exporter);
    await httpGet(rig.exporter.url, PROMETHEUS_SCRAPE_HEADERS);
    await sleep(args.quick ? 3000 : 15_000);
    skipMs = Date.now() - startedAt;
    const c0 = readCpu(rig.exporter.pid)?.selfMs ?? NaN;
    for (let t = 0; t < seconds; t += 15) {
      await httpGet(rig.exporter.url, PROMETHEUS_SCRAPE_HEADERS);
      await sleep(Math.min(15, seconds - t) * 1000);
    }
    cpuMsPerS = ((readCpu(rig.exporter.pid)?.selfMs ?? NaN) - c0) / seconds;
  } finally {
    await rig.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const s = summariseProfile(join(dir, file), skipMs, 30);
  log(`serve under --cpu-prof for ${seconds} s after warm-up: ${fx(cpuMsPerS, 2)} ms/s by /proc (the profiler adds its own cost);`);
  log(`sampled main-thread busy time ${fx(s.busyMs, 0)} ms over ${fx(s.spanMs / 1000, 1)} s = ${fx(s.busyMs / (s.spanMs / 1000), 2)} ms/s.`);
  const fmt = (entries: typeof s.self): string =>
    table(['>ms', '>share of busy', 'function'], entries.map((e) => [fx(e.ms, 1), `${fx(100 * e.share, 1)}%`, `\`${e.name}\``]));
  log('\nSelf time:\n' + fmt(s.self));
  log('\nInclusive time:\n' + fmt(s.inclusive));
  log(`\nprofile: ${relative(process.cwd(), join(dir, file))} (open in Chrome DevTools → Performance)`);
  await decompose(args);
}

/**
 * The steady-state CPU and RSS of serve by what it watches, four exporters side by side (no
 * profiler): nothing (nvidia-smi off, one vLLM target on a closed port), only the 8 GPUs, only the
 * 4 vLLM targets, both. Each is seeded with the same week of history and scraped every 15 s.
 */
async function decompose(args: Args): Promise<void> {
  const warmupS = args.quick ? 5 : 60;
  const windowS = args.quick ? 10 : 90;
  const doubles = await startVllmDoubles(HOST_TARGETS);
  const closed = 'http://127.0.0.1:9/metrics';
  const configs: Array<[string, readonly string[], boolean]> = [
    ['nothing (nvidia-smi off, 1 target refusing connections)', [closed], false],
    ['8 GPUs @ 1 s only (1 target refusing connections)', [closed], true],
    ['4 vLLM targets @ 5 s only (nvidia-smi off)', doubles.urls, false],
    ['8 GPUs + 4 vLLM targets (the benchmark setup)', doubles.urls, true],
  ];
  const history = weekOfHistory(Date.now(), Array.from({ length: HOST_GPUS }, (_, i) => doubleGpuUuid(i)));
  const procs: ExporterProc[] = [];
  try {
    for (const [, targets, nvidiaSmi] of configs) {
      procs.push(await startExporter({ targets, gpus: HOST_GPUS, nvidiaSmi, seedState: { ledger: history.state, trackers: {} } }));
    }
    for (const p of procs) await waitFor200(`http://127.0.0.1:${p.port}/-/ready`, 30_000, p);
    log(`\nDecomposition: four exporters side by side, ${warmupS} s warm-up, then ${windowS} s (scraped every 15 s)...`);
    await sleep(warmupS * 1000);
    const c0 = procs.map((p) => readCpu(p.pid)?.selfMs ?? NaN);
    const rss: number[][] = procs.map(() => []);
    const t0 = performance.now();
    for (let t = 0; t < windowS; t++) {
      if (t % 15 === 0) for (const p of procs) await httpGet(p.url, PROMETHEUS_SCRAPE_HEADERS);
      procs.forEach((p, i) => rss[i]!.push(readMemory(p.pid)?.rssMiB ?? NaN));
      await sleep(Math.max(0, t0 + (t + 1) * 1000 - performance.now()));
    }
    const elapsed = (performance.now() - t0) / 1000;
    const rows = configs.map(([name], i) => [
      name,
      fx(((readCpu(procs[i]!.pid)?.selfMs ?? NaN) - c0[i]!) / elapsed, 2),
      fx(median(rss[i]!), 1),
      fx(Math.max(...rss[i]!), 1),
    ]);
    log(table(['serve watching', '>CPU ms/s', '>RSS MiB median', '>RSS MiB max'], rows));
    log(`(±${fx(10 / elapsed, 2)} ms/s: one 10 ms tick over the window; load average ${fx(loadAverage1m(), 2)})`);
  } finally {
    for (const p of procs) await p.stop();
    await doubles.stop();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const useWrk = haveExecutable(WRK, ['--version']);
  const haveNodeExporter = haveExecutable(NODE_EXPORTER_BIN, ['--version']);
  const needsTools = args.only.has('scrape') && !args.profile;
  if (!args.quick && needsTools && (!useWrk || !haveNodeExporter)) {
    usage(
      `the full scrape benchmark needs ${[!useWrk && 'wrk', !haveNodeExporter && 'prometheus-node-exporter'].filter(Boolean).join(' and ')} ` +
        '(Debian: apt-get install -y wrk prometheus-node-exporter), or run with --quick, or --only=parser,replay,gpu,steady',
    );
  }
  if (args.build && (args.profile || args.only.has('steady') || args.only.has('scrape'))) buildProduct();
  if (args.profile) {
    await runProfile(args);
    return;
  }
  const machine = describeMachine();
  log(`bench: ${args.quick ? 'quick' : 'full'} run of ${[...args.only].join(', ')} on ${machine.cpuModel} (${machine.cores} cores), Node ${machine.node}`);
  if (args.quick && needsTools) {
    if (!useWrk) log('note: wrk not found; the scrape section uses the built-in Node.js client (quick run only).');
    if (!haveNodeExporter) log('note: prometheus-node-exporter not found; the scrape section has no reference server (quick run only).');
  }
  const results = await runSections(args, useWrk, haveNodeExporter);
  const totalSeconds = (Date.now() - started) / 1000;
  const extra: Record<string, string> = {
    'parse-prometheus-text-format': packageVersion('parse-prometheus-text-format'),
    'prom-client (in the exporter)': packageVersion('prom-client'),
    wrk: debianVersion('wrk') ?? (useWrk ? 'installed' : 'not installed'),
    'prometheus-node-exporter': debianVersion('prometheus-node-exporter') ?? (haveNodeExporter ? 'installed' : 'not installed'),
  };
  const doc = renderDoc(args, machine, results, extra, totalSeconds, loadAverage1m());
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(args.out, doc);
  log(`\n## Summary\n\n${formatSummary(summary(results))}`);
  log(`\nwrote ${relative(process.cwd(), args.out)} in ${fx(totalSeconds, 0)} s total`);
  if (results.errors.length > 0) {
    log(`${results.errors.length} section(s) failed: ${results.errors.map((e) => e.section).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
