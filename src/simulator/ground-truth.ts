/** Exact figures of a simulated interval. */
export interface TruthSummary {
  readonly seconds: number;
  readonly promptTokens: number;
  readonly generationTokens: number;
  /** Per GPU: time-weighted mean of the utilisation the simulated nvidia-smi showed, 0..1. */
  readonly gpuUtilization: readonly number[];
}

/**
 * What really happened in the simulation, as cumulative totals sampled at a fixed resolution
 * over a bounded span (memory does not grow with the run's length). `between(from, to)`
 * interpolates linearly inside a sample step; the simulator steps at the resolution's divisors,
 * so at step boundaries the figures are exact.
 */
export class GroundTruth {
  private readonly size: number;
  private readonly times: Float64Array;
  private readonly prompt: Float64Array;
  private readonly generation: Float64Array;
  private readonly busy: Float64Array[];
  private count = 0;
  private totalPrompt = 0;
  private totalGeneration = 0;
  private readonly totalBusy: number[];

  constructor(
    readonly gpus: number,
    readonly resolutionMs = 5000,
    spanMs = 8 * 86_400_000,
  ) {
    this.size = Math.ceil(spanMs / resolutionMs) + 1;
    this.times = new Float64Array(this.size);
    this.prompt = new Float64Array(this.size);
    this.generation = new Float64Array(this.size);
    this.busy = Array.from({ length: gpus }, () => new Float64Array(this.size));
    this.totalBusy = new Array<number>(gpus).fill(0);
  }

  /** Adds one simulator step ending at `nowMs`. */
  record(nowMs: number, dtSeconds: number, promptTokens: number, generationTokens: number, utilization: readonly number[]): void {
    this.totalPrompt += promptTokens;
    this.totalGeneration += generationTokens;
    for (let g = 0; g < this.gpus; g++) this.totalBusy[g]! += (utilization[g] ?? 0) * dtSeconds;
    if (this.count === 0) this.sample(nowMs - dtSeconds * 1000, 0, 0, new Array<number>(this.gpus).fill(0));
    if (nowMs % this.resolutionMs === 0 || this.count === 1) this.sample(nowMs, this.totalPrompt, this.totalGeneration, this.totalBusy);
  }

  /** Totals since the first step. */
  totals(): { promptTokens: number; generationTokens: number; gpuBusySeconds: readonly number[] } {
    return { promptTokens: this.totalPrompt, generationTokens: this.totalGeneration, gpuBusySeconds: [...this.totalBusy] };
  }

  /** The truth over [fromMs, toMs]; undefined when that span is not (or no longer) recorded. */
  between(fromMs: number, toMs: number): TruthSummary | undefined {
    const a = this.at(fromMs);
    const b = this.at(toMs);
    if (!a || !b || !(toMs > fromMs)) return undefined;
    const seconds = (toMs - fromMs) / 1000;
    return {
      seconds,
      promptTokens: b.prompt - a.prompt,
      generationTokens: b.generation - a.generation,
      gpuUtilization: b.busy.map((v, g) => (v - a.busy[g]!) / seconds),
    };
  }

  private sample(t: number, prompt: number, generation: number, busy: readonly number[]): void {
    const i = this.count % this.size;
    this.times[i] = t;
    this.prompt[i] = prompt;
    this.generation[i] = generation;
    for (let g = 0; g < this.gpus; g++) this.busy[g]![i] = busy[g]!;
    this.count++;
  }

  private at(t: number): { prompt: number; generation: number; busy: number[] } | undefined {
    const n = Math.min(this.count, this.size);
    if (n < 2) return undefined;
    const newest = (this.count - 1) % this.size;
    const oldest = this.count > this.size ? this.count % this.size : 0;
    if (t < this.times[oldest]! || t > this.times[newest]!) return undefined;
    // binary search over the ring in time order
    let lo = 0;
    let hi = n - 1;
    const idx = (k: number) => (oldest + k) % this.size;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.times[idx(mid)]! <= t) lo = mid;
      else hi = mid;
    }
    const i = idx(lo);
    const j = idx(hi);
    const span = this.times[j]! - this.times[i]!;
    const f = span > 0 ? Math.min(1, Math.max(0, (t - this.times[i]!) / span)) : 0;
    const lerp = (arr: Float64Array) => arr[i]! + (arr[j]! - arr[i]!) * f;
    return { prompt: lerp(this.prompt), generation: lerp(this.generation), busy: this.busy.map(lerp) };
  }
}
