/**
 * Benchmark of the exposition parser against the npm peer `parse-prometheus-text-format`.
 *
 *   npx tsc -p tsconfig.bench.json && node .bench-dist/bench/parser.js [--quick]
 *
 * For each input (the three vLLM fixtures, tgi.prom and a synthetic large vLLM exposition built
 * in-process, see bench/parser/synth.ts) and each parser (ours with everything decoded, ours with the
 * vLLM reader's `keep` filter, the peer) it warms up ~0.5 s, then times single parses with
 * `process.hrtime.bigint()` for ~1.5 s and reports the median. MB/s = bytes / median µs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { parseExposition } from '../src/sources/exposition/parse.js';
import { peerParse } from './parser/peer.js';
import { synthesizeVllmExposition } from './parser/synth.js';

export interface ParserBenchRow {
  readonly input: string;
  readonly bytes: number;
  /** Samples our full parse returns. */
  readonly samples: number;
  /** Samples kept by the vLLM `keep` filter. */
  readonly keptSamples: number;
  readonly oursUs: number;
  readonly keepUs: number;
  readonly peerUs: number;
  readonly oursMBps: number;
  readonly keepMBps: number;
  readonly peerMBps: number;
  /** peer µs / ours µs. */
  readonly peerOverOurs: number;
  /** peer µs / keep-filtered µs. */
  readonly peerOverKeep: number;
  /** Timed iterations per parser (ours, keep, peer). */
  readonly iterations: readonly [number, number, number];
}

export interface ParserBenchOptions {
  /** Far fewer iterations (a CI smoke run, ~3 s): ~50 ms warm-up and ~100 ms timing per case. */
  readonly quick?: boolean;
}

/** The families the vLLM reader needs (the `keep` filter the benchmark exercises). */
const VLLM_KEEP = new Set([
  'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total',
  'vllm:request_success_total',
  'vllm:num_preemptions_total',
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
  'vllm:gpu_cache_usage_perc',
  'process_start_time_seconds',
]);

export function vllmKeep(name: string): boolean {
  return VLLM_KEEP.has(name) || name.startsWith('vllm:time_to_first_token_seconds_') || name.endsWith('_created');
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'test', 'fixtures', 'vllm', 'latest.prom'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find test/fixtures from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

interface Timing {
  readonly medianUs: number;
  readonly iterations: number;
}

let sink = 0;

function time(fn: () => number, warmupMs: number, measureMs: number, minIterations: number): Timing {
  const warmEnd = process.hrtime.bigint() + BigInt(Math.round(warmupMs * 1e6));
  // At least 50 warm-up calls, so even a quick run times optimized code.
  for (let n = 0; n < 50 || process.hrtime.bigint() < warmEnd; n++) sink += fn();
  const samples: number[] = [];
  const measureEnd = process.hrtime.bigint() + BigInt(Math.round(measureMs * 1e6));
  for (;;) {
    const t0 = process.hrtime.bigint();
    sink += fn();
    const t1 = process.hrtime.bigint();
    samples.push(Number(t1 - t0) / 1000);
    if (t1 >= measureEnd && samples.length >= minIterations) break;
  }
  samples.sort((a, b) => a - b);
  const mid = samples.length >> 1;
  const medianUs = samples.length % 2 === 1 ? samples[mid]! : (samples[mid - 1]! + samples[mid]!) / 2;
  return { medianUs, iterations: samples.length };
}

export async function runParserBench(opts: ParserBenchOptions = {}): Promise<ParserBenchRow[]> {
  const quick = opts.quick === true;
  const warmupMs = quick ? 50 : 500;
  const measureMs = quick ? 100 : 1500;
  const minIterations = quick ? 5 : 30;

  const root = repoRoot();
  const fixture = (p: string): string => readFileSync(resolve(root, 'test', 'fixtures', p), 'utf8');
  const latest = fixture('vllm/latest.prom');
  const inputs: Array<[string, string]> = [
    ['vllm/latest.prom', latest],
    ['vllm/v0.10-v1-engine.prom', fixture('vllm/v0.10-v1-engine.prom')],
    ['vllm/v0.6-v0-engine.prom', fixture('vllm/v0.6-v0-engine.prom')],
    ['tgi.prom', fixture('tgi.prom')],
    ['synthetic (latest.prom x16 models, DP=4 for m1)', synthesizeVllmExposition(latest)],
  ];

  const rows: ParserBenchRow[] = [];
  for (const [input, text] of inputs) {
    const bytes = Buffer.byteLength(text, 'utf8');
    const full = parseExposition(text);
    const kept = parseExposition(text, { keep: vllmKeep });
    peerParse(text); // must not throw

    const ours = time(() => parseExposition(text).samples.length, warmupMs, measureMs, minIterations);
    const keep = time(() => parseExposition(text, { keep: vllmKeep }).samples.length, warmupMs, measureMs, minIterations);
    const peer = time(() => peerParse(text).length, warmupMs, measureMs, minIterations);
    // Yield between inputs so a caller's timers/logging are not starved.
    await new Promise<void>((r) => setImmediate(r));

    rows.push({
      input,
      bytes,
      samples: full.samples.length,
      keptSamples: kept.samples.length,
      oursUs: ours.medianUs,
      keepUs: keep.medianUs,
      peerUs: peer.medianUs,
      oursMBps: bytes / ours.medianUs,
      keepMBps: bytes / keep.medianUs,
      peerMBps: bytes / peer.medianUs,
      peerOverOurs: peer.medianUs / ours.medianUs,
      peerOverKeep: peer.medianUs / keep.medianUs,
      iterations: [ours.iterations, keep.iterations, peer.iterations],
    });
  }
  if (sink === -1) console.log(sink); // keep results observable
  return rows;
}

const f0 = (n: number): string => n.toFixed(0);
const us = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

export function formatParserBenchTable(rows: readonly ParserBenchRow[]): string {
  const lines = [
    '| input | bytes | samples (kept) | ours µs (MB/s) | ours+keep µs (MB/s) | peer µs (MB/s) | peer/ours | peer/keep | iterations (ours/keep/peer) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.input} | ${r.bytes.toLocaleString('en-US')} | ${r.samples} (${r.keptSamples}) | ${us(r.oursUs)} (${f0(r.oursMBps)}) | ` +
        `${us(r.keepUs)} (${f0(r.keepMBps)}) | ${us(r.peerUs)} (${f0(r.peerMBps)}) | ${r.peerOverOurs.toFixed(1)}× | ` +
        `${r.peerOverKeep.toFixed(1)}× | ${r.iterations.join(' / ')} |`,
    );
  }
  return lines.join('\n');
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  const quick = process.argv.includes('--quick');
  const started = Date.now();
  const rows = await runParserBench({ quick });
  console.log(`Node ${process.version}, ${quick ? 'quick' : 'full'} run, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(formatParserBenchTable(rows));
}
