import { closeSync, openSync, writeSync } from 'node:fs';
import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { Exporter } from '../exporter/exporter.js';
import { CATALOGUE } from '../exposition/catalogue.js';
import { writeSnapshot } from '../exposition/write-snapshot.js';
import type { DemoHost } from './demo-host.js';

/**
 * The exporter flags of a history replay: the host's, with a placeholder vLLM target (the replay
 * feeds the one target in process, so the vLLM double need not be started).
 */
export function historyExporterFlags(host: DemoHost): Record<string, string | string[]> {
  return { ...host.exporterFlags(), 'vllm.targets': ['http://simulated-vllm.invalid/metrics'] };
}

/** Labels a Prometheus scrape would attach; backfilled data needs them (the rules join on them). */
export const DEFAULT_HISTORY_LABELS: Readonly<Record<string, string>> = { job: 'llm-cost-exporter', instance: 'demo:9787' };

export interface HistoryOptions {
  /** The simulated host; its warm-up span is the history (it must not have run yet). */
  readonly host: DemoHost;
  /** The exporter's configuration (as `demo` builds it from host.exporterFlags() and the user's flags). */
  readonly config: Config;
  /** One sample of every series per step, ms; a whole number of minutes (the polls' period). */
  readonly stepMs: number;
  /** Target labels added to every series (a series' own label of the same name wins). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Families to keep, by catalogue name (counters with `_total`); default: all. */
  readonly families?: (name: string) => boolean;
}

/** One series of the history: its values at `History.timesMs` (NaN where absent). */
export interface HistorySeries {
  readonly family: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly values: Float64Array;
}

export interface History {
  /** Sample instants, ms, every step from the first step after the first poll to the end. */
  readonly timesMs: readonly number[];
  /** By family (catalogue order), then in order of first appearance. */
  readonly series: readonly HistorySeries[];
  /** Real milliseconds the replay took. */
  readonly realMs: number;
}

const POLL_MS = 60_000;

/**
 * Replays the host's warm-up span at full speed through a real Exporter, exactly as the demo's
 * warm-up does (vLLM's exposition rendered and parsed every simulated minute, one GPU reading per
 * GPU every simulated second), and records what the exporter's /metrics would show every step.
 */
export async function simulateHistory(options: HistoryOptions): Promise<History> {
  const { host, config, stepMs } = options;
  if (!(stepMs >= POLL_MS) || stepMs % POLL_MS !== 0) throw new Error(`history step must be a whole number of minutes, got ${stepMs} ms`);
  if (config.vllm.targets.length !== 1) throw new Error(`a history replay feeds exactly one vLLM target, the config has ${config.vllm.targets.length}`);
  const started = performance.now();
  const clock = host.sim.clock;
  const endMs = Math.floor(host.options.liveStartMs / stepMs) * stepMs;
  const exporter = new Exporter({ config, clock, logger: pino({ level: 'silent' }) });
  const keep = options.families ?? (() => true);
  const target = { ...DEFAULT_HISTORY_LABELS, ...options.labels };

  const timesMs: number[] = [];
  const capacity = Math.floor((endMs - clock.now()) / stepMs) + 1;
  const byKey = new Map<string, { family: string; labels: Record<string, string>; values: Float64Array }>();
  let firstPoll = true;

  // registration order is execution order at equal instants: poll, then GPU rows, then the sample
  const stopFeeding = host.feedInProcess(exporter, POLL_MS);
  const stopSamples = clock.every(stepMs, () => {
    if (firstPoll) {
      // the first poll is only a baseline: start at the next step, when counters have moved
      firstPoll = false;
      return;
    }
    exporter.publishNow();
    const snapshot = exporter.latest()!;
    const i = timesMs.length;
    timesMs.push(clock.now());
    writeSnapshot(snapshot, {
      set: (name, labels, value) => {
        if (value === undefined || !Number.isFinite(value) || !keep(name)) return;
        const all = { ...target, ...labels };
        const key = `${name}${JSON.stringify(all)}`;
        let s = byKey.get(key);
        if (!s) {
          s = { family: name, labels: all, values: new Float64Array(capacity).fill(NaN) };
          byKey.set(key, s);
        }
        // counters as ExporterMetrics renders them: never negative
        s.values[i] = CATALOGUE_TYPE.get(name) === 'counter' ? Math.max(0, value) : value;
      },
    });
  });
  try {
    await clock.run(endMs);
  } finally {
    stopFeeding();
    stopSamples();
    host.sim.enableGpuStateFile();
  }
  const order = new Map(CATALOGUE.map((d, i) => [d.name as string, i]));
  const series = [...byKey.values()]
    .map((s, i) => ({ s, i }))
    .sort((a, b) => (order.get(a.s.family) ?? 0) - (order.get(b.s.family) ?? 0) || a.i - b.i)
    .map(({ s }) => ({ ...s, values: s.values.subarray(0, timesMs.length) }));
  return { timesMs, series, realMs: performance.now() - started };
}

const CATALOGUE_TYPE = new Map<string, 'gauge' | 'counter'>(CATALOGUE.map((d) => [d.name, d.type]));

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * Writes the history as one OpenMetrics file for `promtool tsdb create-blocks-from openmetrics`:
 * one `# HELP`/`# TYPE` per family, each series' samples together and in time order, timestamps in
 * seconds, `# EOF` at the end. Returns the number of samples written.
 */
export function writeOpenMetricsHistory(history: History, file: string): { samples: number; series: number; bytes: number } {
  const fd = openSync(file, 'w');
  let buffer = '';
  let bytes = 0;
  const flush = (force = false) => {
    if (buffer.length < 1 << 20 && !force) return;
    bytes += writeSync(fd, buffer);
    buffer = '';
  };
  const stamps = history.timesMs.map((t) => ` ${t / 1000}\n`);
  let samples = 0;
  let seriesCount = 0;
  try {
    let family: string | undefined;
    for (const s of history.series) {
      if (s.family !== family) {
        family = s.family;
        const def = CATALOGUE.find((d) => d.name === family);
        const type = def?.type ?? 'gauge';
        const base = type === 'counter' ? family.replace(/_total$/, '') : family;
        if (def) buffer += `# HELP ${base} ${escapeHelp(def.help)}\n`;
        buffer += `# TYPE ${base} ${type}\n`;
      }
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      const prefix = `${s.family}{${labels}} `;
      let any = false;
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i]!;
        if (Number.isNaN(v)) continue;
        buffer += prefix + String(v) + stamps[i]!;
        samples++;
        any = true;
        flush();
      }
      if (any) seriesCount++;
    }
    buffer += '# EOF\n';
    flush(true);
  } finally {
    closeSync(fd);
  }
  return { samples, series: seriesCount, bytes };
}

/** Parses `job=a,instance=b` (the `--history-labels` flag). */
export function parseHistoryLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z_][a-zA-Z0-9_]*)=(.*)$/.exec(part);
    if (!m || m[1]!.startsWith('__')) throw new Error(`expected name=value pairs separated by commas, got "${part}"`);
    labels[m[1]!] = m[2]!;
  }
  return labels;
}
