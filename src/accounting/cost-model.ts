import type { ApiPrice } from '../pricing/api-price.js';
import { histogramQuantile } from './histogram-quantile.js';
import { apiEquivalentUsd } from './ledger.js';
import type { Tally } from './tally.js';

export const BASES = ['compute', 'fully_loaded'] as const;
export type Basis = (typeof BASES)[number];
export type ByBasis = Record<Basis, number>;

/** The brief's figures against one API model. Optional fields are undefined values: not exported. */
export interface ApiFigures {
  /** A_m: what the same prompt and generation tokens would cost at list price, USD. */
  readonly equivalentUsd: number;
  /** A_m per million tokens: the API's blended price at the observed mix. */
  readonly usdPerMillionTokens?: number;
  /** r_m = S / A_m (1 = parity, above 1 = self-hosting costs more). */
  readonly costRatio?: ByBasis;
  /** L_be = L x r_m: the token utilisation at which S = A_m. */
  readonly breakEvenUtilization?: ByBasis;
  /** A_m - S: money saved by self-hosting over the window (negative: lost). */
  readonly savingsUsd: ByBasis;
}

/** Everything the cost model says about one window. */
export interface WindowFigures {
  readonly coveredSeconds: number;
  readonly spendUsd: ByBasis;
  readonly promptTokens: number;
  readonly generationTokens: number;
  readonly promptTokensPerSecond?: number;
  readonly generationTokensPerSecond?: number;
  /** S / ((P+G)/1e6) */
  readonly usdPerMillionTokens?: ByBasis;
  /** S / (G/1e6) */
  readonly usdPerMillionOutputTokens?: ByBasis;
  /** L = (P+G) / (capacity x C) */
  readonly tokenUtilization?: number;
  /** Mean over GPUs of each GPU's time-weighted utilisation (each GPU weighted equally). */
  readonly gpuUtilization?: number;
  /** Per GPU uuid: busy / sampled seconds. */
  readonly gpus: Readonly<Record<string, number>>;
  readonly api: Readonly<Record<string, ApiFigures>>;
  readonly ttftP50Seconds?: number;
  readonly ttftP95Seconds?: number;
}

export interface CostModelSettings {
  readonly capacityTokensPerSecond?: number | undefined;
  readonly apiPrices: readonly ApiPrice[];
}

/**
 * The brief's cost model, to the letter, over one window's tally. Pure. A value that is not
 * defined (no tokens, no capacity, no API spend to compare with) is left undefined, never
 * replaced by a finite stand-in.
 */
export function windowFigures(tally: Tally, settings: CostModelSettings): WindowFigures {
  const C = tally.coveredSeconds;
  const P = tally.promptTokens;
  const G = tally.generationTokens;
  const tokens = P + G;
  const spendUsd: ByBasis = {
    compute: tally.spendComputeUsd,
    fully_loaded: tally.spendComputeUsd + tally.spendOpsUsd,
  };
  const capacity = settings.capacityTokensPerSecond;
  const tokenUtilization = capacity !== undefined && capacity > 0 && C > 0 ? tokens / (capacity * C) : undefined;

  const api: Record<string, ApiFigures> = {};
  for (const price of settings.apiPrices) {
    const A = apiEquivalentUsd(price, P, G);
    const costRatio = A > 0 ? perBasis(spendUsd, (s) => s / A) : undefined;
    api[price.id] = {
      equivalentUsd: A,
      ...(tokens > 0 && { usdPerMillionTokens: A / (tokens / 1e6) }),
      ...(costRatio && { costRatio }),
      ...(costRatio && tokenUtilization !== undefined && {
        breakEvenUtilization: perBasis(costRatio, (r) => tokenUtilization * r),
      }),
      savingsUsd: perBasis(spendUsd, (s) => A - s),
    };
  }

  const gpus: Record<string, number> = {};
  let gpuSum = 0;
  let gpuCount = 0;
  for (const uuid in tally.gpu) {
    const [busy, sampled] = tally.gpu[uuid]!;
    if (sampled > 0) {
      gpus[uuid] = busy / sampled;
      gpuSum += busy / sampled;
      gpuCount++;
    }
  }
  const ttftP50Seconds = histogramQuantile(0.5, tally.ttftBuckets);
  const ttftP95Seconds = histogramQuantile(0.95, tally.ttftBuckets);

  return {
    coveredSeconds: C,
    spendUsd,
    promptTokens: P,
    generationTokens: G,
    ...(C > 0 && { promptTokensPerSecond: P / C, generationTokensPerSecond: G / C }),
    ...(tokens > 0 && { usdPerMillionTokens: perBasis(spendUsd, (s) => s / (tokens / 1e6)) }),
    ...(G > 0 && { usdPerMillionOutputTokens: perBasis(spendUsd, (s) => s / (G / 1e6)) }),
    ...(tokenUtilization !== undefined && { tokenUtilization }),
    ...(gpuCount > 0 && { gpuUtilization: gpuSum / gpuCount }),
    gpus,
    api,
    ...(ttftP50Seconds !== undefined && { ttftP50Seconds }),
    ...(ttftP95Seconds !== undefined && { ttftP95Seconds }),
  };
}

function perBasis(values: ByBasis, f: (v: number) => number): ByBasis {
  return { compute: f(values.compute), fully_loaded: f(values.fully_loaded) };
}
