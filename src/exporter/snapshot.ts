import type { WindowFigures } from '../accounting/cost-model.js';
import type { HistoryPoint } from '../accounting/history.js';
import type { Totals } from '../accounting/ledger-state.js';
import type { WindowName } from '../accounting/ring.js';
import type { ApiPrice } from '../pricing/api-price.js';
import type { GpuReading } from '../sources/nvidia-smi/parse-gpu-row.js';
import type { ModelGauges } from '../sources/vllm/vllm-reading.js';
import type { SourceHealth } from '../sources/source-health.js';
import type { StorageStatus } from '../storage/persistence.js';

/** One GPU as the exporter knows it: identity, billing, and its last nvidia-smi row. */
export interface GpuView {
  readonly uuid: string;
  readonly index: number;
  readonly name?: string;
  readonly last?: GpuReading;
}

/** The inputs of the cost model, exported so every panel can explain itself. */
export interface CostInputs {
  /** Host compute cost per hour; undefined while the number of GPUs to bill is unknown. */
  readonly gpuHourlyCostUsd?: number;
  readonly billedGpus?: number;
  readonly opsHourlyCostUsd: number;
  readonly capacityTokensPerSecond?: number;
  /** compare_to first, then api_prices.compare. */
  readonly apiPrices: readonly ApiPrice[];
  readonly compareTo: string;
  readonly breakEvenThresholdRatio: number;
  readonly ttftTargetSeconds: number;
  /** Date of the bundled price table (Unix seconds). */
  readonly priceTableAsOfSeconds?: number;
}

/**
 * Everything computed at one accounting tick. The metrics registry and the status page only
 * read this; nothing in the scrape path computes.
 */
export interface Snapshot {
  readonly atMs: number;
  readonly windows: Readonly<Record<WindowName, WindowFigures>>;
  readonly totals: Totals;
  readonly peakToTroughRatio?: number;
  readonly gpus: readonly GpuView[];
  readonly models: Readonly<Record<string, ModelGauges>>;
  readonly health: readonly SourceHealth[];
  readonly nvidiaSmiRestarts: number;
  readonly vllmRestarts: Readonly<Record<string, number>>;
  readonly inputs: CostInputs;
  /** Recent history for charts: the last hour by minute and the last day by 10 minutes. */
  readonly history: { readonly hour: readonly HistoryPoint[]; readonly day: readonly HistoryPoint[] };
  /** Persistence figures; absent when nothing is persisted (tests, golden file). */
  readonly storage?: StorageStatus;
}
