import { appendFileSync, mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowName } from '../../src/accounting/ring.js';
import { serve, type RunningExporter } from '../../src/cli/serve.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { Snapshot } from '../../src/exporter/snapshot.js';
import { DEFAULT_DEMO, DemoHost } from '../../src/simulator/demo-host.js';

// A simulated day against the simulator's ground truth. The first 23 h 55 min are replayed at full
// speed in process (vLLM's exposition rendered and parsed every simulated minute, one GPU reading
// per simulated second); the last 5 minutes run live at 50x through the real paths: HTTP polls of
// the vLLM double every 5 s and the nvidia-smi double as a child process. The 5m window is thus
// filled by the live path alone; 1h and 24h by both. 7d is not filled by a one-day run.
const LIVE_START = Date.UTC(2026, 10, 18, 15, 0, 0); // a Wednesday, both office-hour peaks
const LIVE_MS = 5 * 60_000;
const FILLED: WindowName[] = ['5m', '1h', '24h'];

describe('demo host end to end: exporter windows against the ground truth', () => {
  const host = new DemoHost({ ...DEFAULT_DEMO, liveStartMs: LIVE_START, warmupMs: 86_400_000 - LIVE_MS, speed: 50 });
  let running: RunningExporter;
  let snapshot: Snapshot;

  beforeAll(async () => {
    await host.start();
    const config = loadConfig({ env: {}, flags: { ...host.exporterFlags(), 'web.listen-address': '127.0.0.1:0' } });
    Object.assign(process.env, host.childEnv());
    running = await serve({ config, clock: host.sim.clock, logger: pino({ level: 'silent' }), persist: false, beforeStart: (e) => host.warmUp(e).then(() => undefined) });
    // stop right after the poll at the end of the live span, let the last nvidia-smi rows drain,
    // and take the windows as of that poll
    expect(await host.waitForGpuRows(running.exporter)).toBe(true);
    await host.runLive(LIVE_START + LIVE_MS);
    await new Promise((r) => setTimeout(r, 200));
    running.exporter.publishNow();
    snapshot = running.exporter.latest()!;
  }, 60_000);

  afterAll(async () => {
    await running?.stop();
    await host.stop();
  });

  it('ran the live part through both sources', () => {
    expect(snapshot.atMs).toBeGreaterThanOrEqual(LIVE_START + LIVE_MS - 5000);
    expect(snapshot.health.every((h) => h.up)).toBe(true);
    expect(snapshot.totals.gpus[snapshot.gpus[0]!.uuid]!.sampledSeconds).toBeGreaterThan(86_000);
  });

  it.each(FILLED)('%s: realised $/M within 0.5%%, token and GPU utilisation within 1 pp of the truth', (window) => {
    const f = snapshot.windows[window];
    const truth = host.sim.truth.between(snapshot.atMs - f.coveredSeconds * 1000, snapshot.atMs)!;
    expect(truth).toBeDefined();
    const tokens = truth.promptTokens + truth.generationTokens;
    const usdPerM = ((3.2 * truth.seconds) / 3600 / tokens) * 1e6;
    const tokenUtil = tokens / (1975.3 * truth.seconds);
    const gpuUtil = truth.gpuUtilization[0]!;
    // the figures of the comparison, for the record (test-artifacts/ is not in git)
    mkdirSync('test-artifacts', { recursive: true });
    appendFileSync(
      'test-artifacts/demo-truth.tsv',
      [window, f.coveredSeconds, f.usdPerMillionTokens!.compute, usdPerM, f.tokenUtilization, tokenUtil, f.gpuUtilization, gpuUtil].join('\t') + '\n',
    );
    expect(Math.abs(f.usdPerMillionTokens!.compute / usdPerM - 1)).toBeLessThan(0.005);
    expect(Math.abs(f.tokenUtilization! - tokenUtil)).toBeLessThan(0.01);
    expect(Math.abs(f.gpuUtilization! - gpuUtil)).toBeLessThan(0.01);
    // and the ops share of the seed on top: 0.2 x $150k / 8760 h
    expect(f.usdPerMillionTokens!.fully_loaded / f.usdPerMillionTokens!.compute).toBeCloseTo((3.2 + (0.2 * 150_000) / 8760) / 3.2, 6);
  });

  it('tells the seed\'s story over the day: GPU looks busy, tokens say otherwise, the API is cheaper', () => {
    const day = snapshot.windows['24h'];
    expect(day.gpuUtilization!).toBeGreaterThan(day.tokenUtilization! * 2);
    expect(day.api['claude-3-5-haiku']!.costRatio!.compute).toBeGreaterThan(1);
    expect(day.ttftP95Seconds).toBeDefined();
  });
});
