import { describe, expect, it } from 'vitest';
import { windowFigures } from '../../src/accounting/cost-model.js';
import { Ledger } from '../../src/accounting/ledger.js';
import type { ApiPrice } from '../../src/pricing/api-price.js';

// The seed document's table is the first acceptance test: $3.20/h, 1975.3 tok/s at full load.
const HOURLY = 3.2;
const CAPACITY = 1975.3;
const haikuInputOnly: ApiPrice = { id: 'haiku-input', input_usd_per_mtok: 0.8, output_usd_per_mtok: 0.8 };
const haiku: ApiPrice = { id: 'claude-3-5-haiku', input_usd_per_mtok: 0.8, output_usd_per_mtok: 4.0 };
const rates = { computeUsdPerSecond: HOURLY / 3600, opsUsdPerSecond: 0 };

/** Drives one simulated hour of 5-second polls at `load` through the ledger. */
function simulateHour(load: number, promptShare: number, prices: ApiPrice[]) {
  const ledger = new Ledger({ apiPrices: prices, maxGpuSampleGapMs: 3000 });
  const start = Date.UTC(2026, 10, 24, 9, 0, 0);
  const tokPerTick = CAPACITY * load * 5;
  for (let t = start; t < start + 3_600_000; t += 5000) {
    ledger.recordTime(t, t + 5000, rates, true);
    ledger.recordTraffic(t, t + 5000, {
      promptTokens: tokPerTick * promptShare,
      generationTokens: tokPerTick * (1 - promptShare),
      ttftBuckets: {},
      ttftCount: 0,
      ttftSumSeconds: 0,
      models: {},
    });
  }
  const windows = ledger.windows(start + 3_600_000);
  return windowFigures(windows['1h'], { capacityTokensPerSecond: CAPACITY, apiPrices: prices });
}

describe('seed table: realised $/M and ratio against Claude 3.5 Haiku input price', () => {
  it.each([
    [1.0, 0.45, 0.56],
    [0.6, 0.75, 0.94],
    [0.2, 2.25, 2.8],
    [0.1, 4.5, 5.6],
  ])('at %s load: $%s per M, %sx the API', (load, usdPerM, ratio) => {
    const f = simulateHour(load, 1, [haikuInputOnly]);
    expect(f.usdPerMillionTokens!.compute).toBeCloseTo(usdPerM, 2);
    // the seed rounds 0.5625 to 0.56 and 2.8125 to 2.8: compare at its precision
    expect(Number(f.api['haiku-input']!.costRatio!.compute.toFixed(ratio >= 1 ? 1 : 2))).toBe(ratio);
    expect(f.tokenUtilization).toBeCloseTo(load, 6);
  });

  it('break-even against the input price alone is 56%, whatever the load', () => {
    for (const load of [1, 0.6, 0.2, 0.1]) {
      const f = simulateHour(load, 1, [haikuInputOnly]);
      expect(f.api['haiku-input']!.breakEvenUtilization!.compute).toBeCloseTo(0.5625, 4);
    }
  });

  it('an 80/20 prompt/generation mix against $0.80/$4.00 blends to $1.44/M and breaks even near 31%', () => {
    const f = simulateHour(0.2, 0.8, [haiku]);
    expect(f.api['claude-3-5-haiku']!.usdPerMillionTokens).toBeCloseTo(1.44, 6);
    expect(f.api['claude-3-5-haiku']!.breakEvenUtilization!.compute).toBeCloseTo(0.3125, 4);
    // below break-even: self-hosting costs more than the API for the same traffic
    expect(f.api['claude-3-5-haiku']!.savingsUsd.compute).toBeLessThan(0);
  });
});
