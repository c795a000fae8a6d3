import { Random } from './random.js';

export interface TrafficModelOptions {
  /** Prompt+generation tokens per second demanded at the busiest weekday hour. */
  readonly peakTokensPerSecond: number;
  /** Busiest weekday hour over the quietest hour (the seed: 10-20x). */
  readonly peakToTrough: number;
  /** Mean prompt tokens per request; the mix is promptTokens : generationTokens. */
  readonly meanPromptTokens: number;
  readonly meanGenerationTokens: number;
  readonly seed: number;
}

/**
 * The seed's story: the busiest weekday hour asks for ~70% of one A100's 1975 tok/s (minute
 * bursts reach past it, so the queue and TTFT climb at peak), nights and weekends are 16x
 * quieter, and the week averages about 12% load.
 */
export const DEFAULT_TRAFFIC: TrafficModelOptions = {
  peakTokensPerSecond: 1400,
  peakToTrough: 16,
  meanPromptTokens: 800,
  meanGenerationTokens: 200,
  seed: 42,
};

/** Smooth bump: 1 at the centre of [start, end) hours, 0 outside, narrow shoulders. */
function officeHours(hourUtc: number, start: number, end: number): number {
  if (hourUtc < start || hourUtc >= end) return 0;
  return Math.sin((Math.PI * (hourUtc - start)) / (end - start)) ** 6;
}

/** Europe 08-17 UTC and North America 14-22 UTC, overlapping in the afternoon. */
const activity = (hour: number) => officeHours(hour, 8, 17) + 0.8 * officeHours(hour, 14, 22);
const PEAK_ACTIVITY = (() => {
  let max = 0;
  for (let m = 0; m < 1440; m++) max = Math.max(max, activity(m / 60));
  return max;
})();

/**
 * The seed's traffic: office hours in Europe (08-17 UTC) and North America (14-22 UTC), weekday
 * peaks, quiet nights, near-zero weekends. `demandFactor(t)` is 1 at the busiest weekday hour and
 * 1/peakToTrough at the quietest, with seeded minute-to-minute noise on top.
 */
export class TrafficModel {
  private readonly random: Random;
  private noiseMinute = Number.NaN;
  private noise = 1;

  constructor(readonly options: TrafficModelOptions = DEFAULT_TRAFFIC) {
    this.random = new Random(options.seed);
  }

  /** Deterministic shape in [1/peakToTrough, 1] at time t (ms, UTC). */
  shape(tMs: number): number {
    const d = new Date(tMs);
    const hour = d.getUTCHours() + d.getUTCMinutes() / 60;
    const day = d.getUTCDay();
    const weekend = day === 0 || day === 6 ? 0.04 : 1;
    const floor = 1 / this.options.peakToTrough;
    return floor + ((1 - floor) * activity(hour) * weekend) / PEAK_ACTIVITY;
  }

  /** Mean tokens per second demanded at t, noise included (noise changes once per simulated minute). */
  tokensPerSecond(tMs: number): number {
    const minute = Math.floor(tMs / 60_000);
    if (minute !== this.noiseMinute) {
      this.noiseMinute = minute;
      this.noise = this.random.logNormal(1, 0.25);
    }
    return this.options.peakTokensPerSecond * this.shape(tMs) * this.noise;
  }

  /** Mean requests per second at t. */
  requestsPerSecond(tMs: number): number {
    return this.tokensPerSecond(tMs) / (this.options.meanPromptTokens + this.options.meanGenerationTokens);
  }
}
