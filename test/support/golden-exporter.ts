import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { Exporter } from '../../src/exporter/exporter.js';
import type { Snapshot } from '../../src/exporter/snapshot.js';
import { ExporterMetrics } from '../../src/exposition/exporter-metrics.js';
import { parseExposition } from '../../src/sources/exposition/parse.js';
import { RECOMMENDED_FIELDS } from '../../src/sources/nvidia-smi/gpu-fields.js';
import { parseGpuRow } from '../../src/sources/nvidia-smi/parse-gpu-row.js';
import { readVllm } from '../../src/sources/vllm/vllm-reading.js';
import { emptyHistogram, E2E_BUCKETS, observe, renderVllmMetrics, TTFT_BUCKETS } from '../../src/simulator/vllm-exposition.js';
import { manualClock } from './manual-clock.js';

export const GOLDEN_T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

/**
 * A fully deterministic exporter: the H100x8 nvidia-smi capture every second and a vLLM double
 * whose counters rise by a fixed amount per 5 s cycle, for one simulated hour. Its /metrics is the
 * golden file.
 */
export async function renderGoldenMetrics(): Promise<{ text: string; openMetrics: string }> {
  const metrics = new ExporterMetrics('0.0.0-golden');
  metrics.publish(await renderGoldenSnapshot());
  const normalise = (body: string) => body.replace(/node_version="[^"]*"/, 'node_version="vX"');
  return { text: normalise((await metrics.current(false))!.body), openMetrics: normalise((await metrics.current(true))!.body) };
}

/** The golden exporter's snapshot after its simulated hour. */
export async function renderGoldenSnapshot(): Promise<Snapshot> {
  const clock = manualClock(GOLDEN_T0);
  const config = loadConfig({
    env: {},
    flags: {
      'vllm.targets': ['http://127.0.0.1:8000/metrics'],
      'gpu.hourly-cost-usd': '3.2',
      'capacity.tokens-per-second': '15000',
      'ops.fte': '0.2',
    },
  });
  const exporter = new Exporter({ config, clock, logger: pino({ level: 'silent' }) });
  const rows = readFileSync(new URL('../fixtures/nvidia-smi/h100x8-csv-noheader-nounits.txt', import.meta.url), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => parseGpuRow(line, RECOMMENDED_FIELDS));
  const state = {
    processStartSeconds: GOLDEN_T0 / 1000 - 86_400,
    models: [
      {
        name: 'meta-llama/Llama-3.1-8B-Instruct',
        promptTokens: 2_000_000,
        generationTokens: 500_000,
        requests: { stop: 4000, length: 100, abort: 0, error: 0, repetition: 0 } as Record<string, number>,
        preemptions: 3,
        running: 7,
        waiting: 2,
        kvCacheUsage: 0.31,
        ttft: emptyHistogram(TTFT_BUCKETS),
        e2e: emptyHistogram(E2E_BUCKETS),
      },
    ],
  };
  for (let t = GOLDEN_T0; t <= GOLDEN_T0 + 3_600_000; t += 5000) {
    for (let s = 0; s < 5; s++) {
      for (const row of rows) if (!('rejected' in row)) exporter.onGpuReading(row, t + s * 1000);
    }
    const m = state.models[0]!;
    m.promptTokens += 12_000;
    m.generationTokens += 3_000;
    m.requests['stop'] = (m.requests['stop'] ?? 0) + 9;
    m.requests['length'] = (m.requests['length'] ?? 0) + 1;
    for (let i = 0; i < 10; i++) observe(m.ttft, TTFT_BUCKETS, 0.05 + i * 0.03);
    const reading = readVllm(parseExposition(renderVllmMetrics(state)));
    clock.set(t);
    exporter.completeCycle([{ ok: true, atMs: t, reading }], t);
  }
  return exporter.latest()!;
}
