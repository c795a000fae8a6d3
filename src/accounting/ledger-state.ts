import { emptyRing, WINDOWS, type RingState, type WindowName } from './ring.js';

/** Cumulative figures of one served model (name as vLLM's `model_name`). */
export interface ModelTotals {
  promptTokens: number;
  generationTokens: number;
  preemptions: number;
  /** Finished requests by vLLM's `finished_reason`. */
  requests: Record<string, number>;
}

/** Cumulative figures of one GPU, keyed by uuid (the index can change across reboots). */
export interface GpuTotals {
  index: number;
  name?: string;
  busySeconds: number;
  sampledSeconds: number;
}

/** Counters since the state was created: they continue across exporter restarts. */
export interface Totals {
  observedSeconds: number;
  unobservedSeconds: number;
  spendComputeUsd: number;
  spendOpsUsd: number;
  promptTokens: number;
  generationTokens: number;
  /** API-equivalent spend of the same traffic at each API model's list price, USD. */
  apiEquivalentUsd: Record<string, number>;
  models: Record<string, ModelTotals>;
  gpus: Record<string, GpuTotals>;
}

/**
 * Everything the accounting knows, as plain JSON-able data: persistence saves and restores it
 * as is. Bounded: the rings have a fixed number of slots; models and GPUs grow only with what the
 * host really serves.
 */
export interface LedgerState {
  version: 1;
  /** Clock time (ms) up to which time has been recorded; undefined before the first tick. */
  lastTickMs?: number;
  /** Time of each GPU's last utilisation reading, to integrate busy time between readings. */
  gpuLastSampleMs: Record<string, number>;
  rings: Record<WindowName, RingState>;
  totals: Totals;
}

export function emptyLedgerState(): LedgerState {
  const rings = {} as Record<WindowName, RingState>;
  for (const spec of WINDOWS) rings[spec.name] = emptyRing(spec);
  return {
    version: 1,
    gpuLastSampleMs: {},
    rings,
    totals: {
      observedSeconds: 0,
      unobservedSeconds: 0,
      spendComputeUsd: 0,
      spendOpsUsd: 0,
      promptTokens: 0,
      generationTokens: 0,
      apiEquivalentUsd: {},
      models: {},
      gpus: {},
    },
  };
}
