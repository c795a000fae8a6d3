import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { Exporter } from '../../src/exporter/exporter.js';
import { parseExposition } from '../../src/sources/exposition/parse.js';
import { readVllm } from '../../src/sources/vllm/vllm-reading.js';
import { renderVllmMetrics } from '../../src/simulator/vllm-exposition.js';
import { ManualVllm } from '../doubles/manual-vllm.js';
import { manualClock } from '../support/manual-clock.js';

const URL_ = 'http://127.0.0.1:8000/metrics';
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
const config = loadConfig({ env: {}, flags: { 'vllm.targets': [URL_], 'gpu.hourly-cost-usd': '3.6', 'gpu.indices': ['0'] } });

function poll(vllm: ManualVllm, atMs: number) {
  return { ok: true as const, atMs, reading: readVllm(parseExposition(renderVllmMetrics(vllm.state))) };
}

function exporterAt(clock: ReturnType<typeof manualClock>, restored?: ReturnType<Exporter['state']>) {
  return new Exporter({ config, clock, logger: pino({ level: 'silent' }), ...(restored && { restored: JSON.parse(JSON.stringify(restored)) }) });
}

describe('Exporter after a restart of its own', () => {
  it('counts the downtime and its tokens when vLLM proves it did not restart', () => {
    const vllm = new ManualVllm();
    const clock = manualClock(T0);
    const a = exporterAt(clock);
    vllm.set(1000, 100);
    a.completeCycle([poll(vllm, T0)], T0);
    vllm.set(1500, 150);
    a.completeCycle([poll(vllm, T0 + 5000)], T0 + 5000);
    const saved = a.state();
    // down for 60 s; vLLM keeps serving
    vllm.set(2500, 250);
    const b = exporterAt(clock, saved);
    b.completeCycle([poll(vllm, T0 + 65_000)], T0 + 65_000);
    const s = b.latest()!;
    expect(s.totals.promptTokens).toBe(1500);
    expect(s.totals.observedSeconds).toBeCloseTo(65, 6);
    expect(s.totals.unobservedSeconds).toBe(0);
    expect(s.windows['5m'].promptTokensPerSecond).toBeCloseTo(1500 / 65, 6);
  });

  it('records the downtime as unobserved and drops its tokens when vLLM restarted', () => {
    const vllm = new ManualVllm();
    const clock = manualClock(T0);
    const a = exporterAt(clock);
    vllm.set(1000, 100);
    a.completeCycle([poll(vllm, T0)], T0);
    vllm.set(1500, 150);
    a.completeCycle([poll(vllm, T0 + 5000)], T0 + 5000);
    vllm.restart();
    vllm.set(300, 30);
    const b = exporterAt(clock, a.state());
    b.completeCycle([poll(vllm, T0 + 65_000)], T0 + 65_000);
    vllm.set(400, 40);
    b.completeCycle([poll(vllm, T0 + 70_000)], T0 + 70_000);
    const s = b.latest()!;
    expect(s.totals.promptTokens).toBe(600);
    expect(s.totals.unobservedSeconds).toBeCloseTo(60, 6);
    expect(s.totals.observedSeconds).toBeCloseTo(10, 6);
  });

  it('waits for a vLLM slow to answer after the restart before deciding', () => {
    const vllm = new ManualVllm();
    const clock = manualClock(T0);
    const a = exporterAt(clock);
    vllm.set(1000, 100);
    a.completeCycle([poll(vllm, T0)], T0);
    clock.set(T0 + 30_000);
    const b = exporterAt(clock, a.state());
    b.completeCycle([{ ok: false, atMs: T0 + 30_000, error: 'timeout after 4000 ms' }], T0 + 30_000);
    vllm.set(5000, 100);
    b.completeCycle([poll(vllm, T0 + 35_000)], T0 + 35_000);
    expect(b.latest()!.totals.promptTokens).toBe(4000);
    expect(b.latest()!.totals.observedSeconds).toBeCloseTo(35, 6);
    expect(b.latest()!.totals.unobservedSeconds).toBe(0);
  });

  it('records the downtime as unobserved when vLLM stays unreachable past the deadline, then baselines afresh', () => {
    const vllm = new ManualVllm();
    const clock = manualClock(T0);
    const a = exporterAt(clock);
    vllm.set(1000, 100);
    a.completeCycle([poll(vllm, T0)], T0);
    clock.set(T0 + 30_000);
    const b = exporterAt(clock, a.state());
    for (let t = T0 + 30_000; t <= T0 + 90_000; t += 5000) b.completeCycle([{ ok: false, atMs: t, error: 'connection failed: ECONNREFUSED' }], t);
    vllm.set(5000, 100);
    b.completeCycle([poll(vllm, T0 + 95_000)], T0 + 95_000);
    vllm.set(5100, 100);
    b.completeCycle([poll(vllm, T0 + 100_000)], T0 + 100_000);
    expect(b.latest()!.totals.promptTokens).toBe(100);
    expect(b.latest()!.totals.unobservedSeconds).toBeCloseTo(90, 6);
    expect(b.latest()!.totals.observedSeconds).toBeCloseTo(10, 6);
  });
});
