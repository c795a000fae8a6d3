import type { ApiPrice } from '../pricing/api-price.js';
import { emptyLedgerState, type LedgerState, type ModelTotals } from './ledger-state.js';
import { spread, sumWindow, WINDOWS, type WindowName } from './ring.js';
import { emptyTally, type Tally } from './tally.js';

/** Spend rates in force for an interval, USD per second. */
export interface Rates {
  computeUsdPerSecond: number;
  opsUsdPerSecond: number;
}

/** Counter increases of one vLLM target between two polls, summed over engines per model. */
export interface TrafficDelta {
  promptTokens: number;
  generationTokens: number;
  ttftBuckets: Record<string, number>;
  ttftCount: number;
  ttftSumSeconds: number;
  models: Record<string, ModelTotals>;
}

export interface LedgerSettings {
  /** API models whose equivalent spend is accumulated. */
  readonly apiPrices: readonly ApiPrice[];
  /** Longest time between two readings of one GPU that is integrated as busy/sampled time. */
  readonly maxGpuSampleGapMs: number;
}

/** What the windows hold at one moment: summed tallies, ready for the cost model. */
export type WindowTallies = Record<WindowName, Tally>;

/**
 * The accounting: records time, spend, traffic and GPU readings into bounded rolling windows
 * and cumulative totals. Pure: no I/O, no clock of its own (every call carries its times), so
 * tests drive a week through it in milliseconds. Its whole state is `state`, plain data.
 */
export class Ledger {
  readonly state: LedgerState;

  constructor(
    private readonly settings: LedgerSettings,
    state: LedgerState = emptyLedgerState(),
  ) {
    this.state = state;
  }

  /**
   * Records [fromMs, toMs): observed time accrues spend at `rates`; unobserved time (a gap we
   * cannot account for) is only counted as such. Returns false for an empty or backward interval.
   */
  recordTime(fromMs: number, toMs: number, rates: Rates, observed: boolean): boolean {
    if (!(toMs > fromMs)) return false;
    const seconds = (toMs - fromMs) / 1000;
    const totals = this.state.totals;
    if (observed) {
      totals.observedSeconds += seconds;
      totals.spendComputeUsd += rates.computeUsdPerSecond * seconds;
      totals.spendOpsUsd += rates.opsUsdPerSecond * seconds;
    } else {
      totals.unobservedSeconds += seconds;
    }
    for (const spec of WINDOWS) {
      spread(this.state.rings[spec.name], spec, fromMs, toMs, (tally, fraction) => {
        const part = seconds * fraction;
        if (observed) {
          tally.coveredSeconds += part;
          tally.spendComputeUsd += rates.computeUsdPerSecond * part;
          tally.spendOpsUsd += rates.opsUsdPerSecond * part;
        } else {
          tally.unobservedSeconds += part;
        }
      });
    }
    this.state.lastTickMs = Math.max(this.state.lastTickMs ?? toMs, toMs);
    return true;
  }

  /**
   * Records the traffic one target served in [fromMs, toMs), spread evenly over that time, so
   * that tokens recovered after an outage never push a window above what was really possible.
   */
  recordTraffic(fromMs: number, toMs: number, delta: TrafficDelta): void {
    const totals = this.state.totals;
    totals.promptTokens += delta.promptTokens;
    totals.generationTokens += delta.generationTokens;
    for (const price of this.settings.apiPrices) {
      totals.apiEquivalentUsd[price.id] =
        (totals.apiEquivalentUsd[price.id] ?? 0) + apiEquivalentUsd(price, delta.promptTokens, delta.generationTokens);
    }
    for (const model in delta.models) addModelTotals((totals.models[model] ??= emptyModelTotals()), delta.models[model]!);
    const start = toMs > fromMs ? fromMs : toMs - 1;
    for (const spec of WINDOWS) {
      spread(this.state.rings[spec.name], spec, start, toMs, (tally, fraction) => {
        tally.promptTokens += delta.promptTokens * fraction;
        tally.generationTokens += delta.generationTokens * fraction;
        for (const le in delta.ttftBuckets) {
          tally.ttftBuckets[le] = (tally.ttftBuckets[le] ?? 0) + delta.ttftBuckets[le]! * fraction;
        }
        tally.ttftCount += delta.ttftCount * fraction;
        tally.ttftSumSeconds += delta.ttftSumSeconds * fraction;
      });
    }
  }

  /**
   * Records one nvidia-smi reading. Busy time is utilisation x the time since this GPU's previous
   * reading (capped, so a restart of nvidia-smi does not integrate one reading over a long gap).
   * `utilization` undefined ([N/A] under MIG, a lost GPU) adds no sampled time: never a zero.
   */
  recordGpuReading(uuid: string, index: number, name: string | undefined, utilization: number | undefined, atMs: number): void {
    const gpu = (this.state.totals.gpus[uuid] ??= { index, busySeconds: 0, sampledSeconds: 0 });
    gpu.index = index;
    if (name !== undefined) gpu.name = name;
    const last = this.state.gpuLastSampleMs[uuid];
    this.state.gpuLastSampleMs[uuid] = atMs;
    if (utilization === undefined || last === undefined || !(atMs > last)) return;
    const dtMs = Math.min(atMs - last, this.settings.maxGpuSampleGapMs);
    const seconds = dtMs / 1000;
    gpu.busySeconds += utilization * seconds;
    gpu.sampledSeconds += seconds;
    for (const spec of WINDOWS) {
      spread(this.state.rings[spec.name], spec, atMs - dtMs, atMs, (tally, fraction) => {
        const cell = (tally.gpu[uuid] ??= [0, 0]);
        cell[0] += utilization * seconds * fraction;
        cell[1] += seconds * fraction;
      });
    }
  }

  /** Sums every window as of `nowMs` (normally the last tick). */
  windows(nowMs: number): WindowTallies {
    const out = {} as WindowTallies;
    for (const spec of WINDOWS) out[spec.name] = sumWindow(this.state.rings[spec.name], spec, nowMs, emptyTally());
    return out;
  }
}

/** A_m = P x in_m / 1e6 + G x out_m / 1e6: every prompt token at the input price (brief). */
export function apiEquivalentUsd(price: ApiPrice, promptTokens: number, generationTokens: number): number {
  return (promptTokens * price.input_usd_per_mtok + generationTokens * price.output_usd_per_mtok) / 1e6;
}

/** A model that has served nothing yet. */
export function emptyModelTotals(): ModelTotals {
  return { promptTokens: 0, generationTokens: 0, preemptions: 0, requests: {} };
}

/** Adds one model's figures into another's (mutates `into`). */
export function addModelTotals(into: ModelTotals, from: ModelTotals): void {
  into.promptTokens += from.promptTokens;
  into.generationTokens += from.generationTokens;
  into.preemptions += from.preemptions;
  for (const reason in from.requests) into.requests[reason] = (into.requests[reason] ?? 0) + from.requests[reason]!;
}
