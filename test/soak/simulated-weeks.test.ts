import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { Exporter } from '../../src/exporter/exporter.js';
import { DEFAULT_DEMO, DemoHost } from '../../src/simulator/demo-host.js';

// Soak: the exporter fed a simulated host for days at full speed, its memory sampled once per
// simulated day. Once the 7-day ring is full nothing may grow with uptime: the saved state keeps
// its size and the heap stays flat. Default: 9 days; LLM_COST_LONG_TESTS=1: 35 days.
const DAYS = process.env['LLM_COST_LONG_TESTS'] === '1' ? 35 : 9;
const DAY = 86_400_000;

describe(`soak: ${DAYS} simulated days through the exporter`, () => {
  it('memory and state size stay flat once the windows are full', async () => {
    const start = Date.UTC(2026, 10, 2, 0, 0, 0);
    const host = new DemoHost({ ...DEFAULT_DEMO, liveStartMs: start + DAYS * DAY, warmupMs: DAYS * DAY });
    const config = loadConfig({ env: {}, flags: { ...host.exporterFlags(), 'vllm.targets': ['http://127.0.0.1:9/metrics'] } });
    const exporter = new Exporter({ config, clock: host.sim.clock, logger: pino({ level: 'silent' }) });
    const samples: { day: number; stateBytes: number; heapMiB: number }[] = [];
    host.sim.clock.every(DAY, () => {
      exporter.publishNow();
      samples.push({
        day: Math.round((host.sim.clock.now() - start) / DAY),
        stateBytes: JSON.stringify(exporter.state()).length,
        heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      });
    });
    await host.warmUp(exporter);
    await host.stop();
    const full = samples.filter((s) => s.day >= 8);
    expect(full.length).toBeGreaterThanOrEqual(2);
    const sizes = full.map((s) => s.stateBytes);
    // the rings are full from day 8: the state is the same size within a few per cent (values vary)
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.05);
    const heaps = full.map((s) => s.heapMiB);
    expect(Math.max(...heaps) - Math.min(...heaps)).toBeLessThan(64);
    expect(exporter.latest()!.windows['7d'].coveredSeconds).toBeGreaterThan(6.9 * 86_400);
  }, 300_000);
});
