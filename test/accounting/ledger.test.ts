import { describe, expect, it } from 'vitest';
import { windowFigures } from '../../src/accounting/cost-model.js';
import { Ledger, type TrafficDelta } from '../../src/accounting/ledger.js';
import { emptyLedgerState } from '../../src/accounting/ledger-state.js';
import { WINDOWS } from '../../src/accounting/ring.js';

const rates = { computeUsdPerSecond: 1 / 3600, opsUsdPerSecond: 0.5 / 3600 };
const T0 = Date.UTC(2026, 10, 23, 0, 0, 0); // a Monday
const newLedger = () => new Ledger({ apiPrices: [], maxGpuSampleGapMs: 3000 });
const traffic = (prompt: number, generation: number): TrafficDelta => ({
  promptTokens: prompt,
  generationTokens: generation,
  ttftBuckets: {},
  ttftCount: 0,
  ttftSumSeconds: 0,
  models: {},
});

describe('Ledger windows', () => {
  it('a window never covers more than its duration, and reports the time it covers', () => {
    const ledger = newLedger();
    for (let t = T0; t < T0 + 2 * 3_600_000; t += 5000) ledger.recordTime(t, t + 5000, rates, true);
    const w = ledger.windows(T0 + 2 * 3_600_000);
    expect(w['5m'].coveredSeconds).toBeLessThanOrEqual(300);
    expect(w['5m'].coveredSeconds).toBeGreaterThanOrEqual(290);
    expect(w['1h'].coveredSeconds).toBeGreaterThanOrEqual(3540);
    expect(w['1h'].coveredSeconds).toBeLessThanOrEqual(3600);
    expect(w['24h'].coveredSeconds).toBeCloseTo(7200, 6);
    expect(w['24h'].spendComputeUsd).toBeCloseTo(2, 9);
    expect(w['24h'].spendOpsUsd).toBeCloseTo(1, 9);
  });

  it('tokens and covered time come from the same buckets, so the first polls do not bias $/M', () => {
    // 30 one-second polls at a constant 395 tok/s: every window must read exactly 395 tok/s
    const ledger = newLedger();
    for (let i = 0; i < 30; i++) {
      const t = T0 + 3333 + i * 1000;
      ledger.recordTime(t, t + 1000, rates, true);
      ledger.recordTraffic(t, t + 1000, traffic(300, 95));
    }
    const now = T0 + 3333 + 30_000;
    const w = ledger.windows(now);
    for (const spec of WINDOWS) {
      const f = windowFigures(w[spec.name], { apiPrices: [] });
      expect(f.promptTokensPerSecond! + f.generationTokensPerSecond!).toBeCloseTo(395, 6);
    }
  });

  it('memory stays bounded: eight simulated days leave the ring sizes unchanged', () => {
    const ledger = newLedger();
    const sizes = WINDOWS.map((s) => ledger.state.rings[s.name].slots.length);
    for (let t = T0; t < T0 + 8 * 86_400_000; t += 60_000) {
      ledger.recordTime(t, t + 60_000, rates, true);
      ledger.recordTraffic(t, t + 60_000, traffic(100, 10));
      ledger.recordGpuReading('GPU-a', 0, 'A100', 0.5, t + 60_000);
    }
    expect(WINDOWS.map((s) => ledger.state.rings[s.name].slots.length)).toEqual(sizes);
    expect(WINDOWS.map((s) => ledger.state.rings[s.name].slots.filter(Boolean).length)).toEqual(sizes);
    expect(JSON.stringify(ledger.state).length).toBeLessThan(200_000);
  });

  it('traffic recovered after a gap is spread over the gap: no window exceeds the real rate', () => {
    const ledger = newLedger();
    ledger.recordTime(T0, T0 + 600_000, rates, true);
    // 10 minutes at 100 tok/s arrive in one delta
    ledger.recordTraffic(T0, T0 + 600_000, traffic(60_000, 0));
    const f = windowFigures(ledger.windows(T0 + 600_000)['5m'], { apiPrices: [] });
    expect(f.promptTokensPerSecond).toBeCloseTo(100, 6);
  });

  it('unobserved time is counted apart and never billed', () => {
    const ledger = newLedger();
    ledger.recordTime(T0, T0 + 60_000, rates, true);
    ledger.recordTime(T0 + 60_000, T0 + 120_000, rates, false);
    const w = ledger.windows(T0 + 120_000)['1h'];
    expect(w.coveredSeconds).toBeCloseTo(60, 9);
    expect(w.unobservedSeconds).toBeCloseTo(60, 9);
    expect(w.spendComputeUsd).toBeCloseTo(60 / 3600, 12);
    expect(ledger.state.totals.unobservedSeconds).toBeCloseTo(60, 9);
  });

  it('a backward or empty interval records nothing', () => {
    const ledger = newLedger();
    expect(ledger.recordTime(T0, T0, rates, true)).toBe(false);
    expect(ledger.recordTime(T0 + 5, T0, rates, true)).toBe(false);
    expect(ledger.state.totals.observedSeconds).toBe(0);
  });

  it('a clock stepped back cannot overwrite newer buckets', () => {
    const ledger = newLedger();
    ledger.recordTime(T0 + 300_000, T0 + 305_000, rates, true);
    // 310 s back lands in the same 5m ring slot index as a newer bucket
    ledger.recordTime(T0 - 5_000, T0, rates, true);
    expect(ledger.windows(T0 + 305_000)['5m'].coveredSeconds).toBeCloseTo(5, 9);
  });
});

describe('Ledger GPU readings', () => {
  it('integrates utilisation over time, each GPU weighted equally, N/A never counted as zero', () => {
    const ledger = newLedger();
    for (let i = 1; i <= 60; i++) {
      const t = T0 + i * 1000;
      ledger.recordGpuReading('GPU-a', 0, 'A100', 0.2, t);
      ledger.recordGpuReading('GPU-b', 1, 'A100', 0.6, t);
      ledger.recordGpuReading('GPU-mig', 2, 'A100', undefined, t);
    }
    const f = windowFigures(ledger.windows(T0 + 60_000)['5m'], { apiPrices: [] });
    expect(f.gpus['GPU-a']).toBeCloseTo(0.2, 9);
    expect(f.gpus['GPU-b']).toBeCloseTo(0.6, 9);
    expect(f.gpus['GPU-mig']).toBeUndefined();
    expect(f.gpuUtilization).toBeCloseTo(0.4, 9);
    expect(ledger.state.totals.gpus['GPU-a']!.busySeconds).toBeCloseTo(59 * 0.2, 9);
    expect(ledger.state.totals.gpus['GPU-mig']!.sampledSeconds).toBe(0);
  });

  it('caps the time one reading stands for after a gap in the stream', () => {
    const ledger = newLedger();
    ledger.recordGpuReading('GPU-a', 0, undefined, 1, T0);
    ledger.recordGpuReading('GPU-a', 0, undefined, 1, T0 + 60_000);
    expect(ledger.state.totals.gpus['GPU-a']!.sampledSeconds).toBeCloseTo(3, 9);
  });
});

describe('Ledger state', () => {
  it('is plain data that survives a JSON round trip and continues counting', () => {
    const a = newLedger();
    a.recordTime(T0, T0 + 5000, rates, true);
    a.recordTraffic(T0, T0 + 5000, traffic(500, 50));
    const b = new Ledger({ apiPrices: [], maxGpuSampleGapMs: 3000 }, JSON.parse(JSON.stringify(a.state)));
    b.recordTime(T0 + 5000, T0 + 10_000, rates, true);
    b.recordTraffic(T0 + 5000, T0 + 10_000, traffic(500, 50));
    expect(b.state.totals.promptTokens).toBe(1000);
    expect(b.windows(T0 + 10_000)['5m'].coveredSeconds).toBeCloseTo(10, 9);
    expect(emptyLedgerState().version).toBe(1);
  });
});
