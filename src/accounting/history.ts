import type { ApiPrice } from '../pricing/api-price.js';
import { apiEquivalentUsd } from './ledger.js';
import type { RingState, WindowSpec } from './ring.js';

/** One bucket of recent history, for the status page's charts. Undefined values are gaps. */
export interface HistoryPoint {
  /** Bucket start, ms. */
  readonly atMs: number;
  readonly coveredSeconds: number;
  readonly promptTokensPerSecond?: number;
  readonly generationTokensPerSecond?: number;
  readonly tokenUtilization?: number;
  readonly gpuUtilization?: number;
  /** Realised $/M tokens in the bucket, compute and fully loaded. */
  readonly usdPerMillionTokens?: { readonly compute: number; readonly fully_loaded: number };
  /** API list price at the bucket's mix, $/M tokens, by API model. */
  readonly apiUsdPerMillionTokens: Readonly<Record<string, number>>;
}

/**
 * The buckets of one ring, oldest first, as chart points: the same tallies the windows sum, so
 * the charts and the headline numbers can never disagree.
 */
export function ringHistory(
  ring: RingState,
  spec: WindowSpec,
  nowMs: number,
  capacityTokensPerSecond: number | undefined,
  apiPrices: readonly ApiPrice[],
): HistoryPoint[] {
  const points: HistoryPoint[] = [];
  for (const slot of ring.slots) {
    if (!slot || slot.start < nowMs - spec.durationMs || slot.start > nowMs) continue;
    const t = slot.tally;
    const C = t.coveredSeconds;
    const tokens = t.promptTokens + t.generationTokens;
    let gpuSum = 0;
    let gpuN = 0;
    for (const uuid in t.gpu) {
      const [busy, sampled] = t.gpu[uuid]!;
      if (sampled > 0) {
        gpuSum += busy / sampled;
        gpuN++;
      }
    }
    const api: Record<string, number> = {};
    if (tokens > 0) for (const p of apiPrices) api[p.id] = apiEquivalentUsd(p, t.promptTokens, t.generationTokens) / (tokens / 1e6);
    points.push({
      atMs: slot.start,
      coveredSeconds: C,
      ...(C > 0 && { promptTokensPerSecond: t.promptTokens / C, generationTokensPerSecond: t.generationTokens / C }),
      ...(C > 0 && capacityTokensPerSecond !== undefined && { tokenUtilization: tokens / (capacityTokensPerSecond * C) }),
      ...(gpuN > 0 && { gpuUtilization: gpuSum / gpuN }),
      ...(tokens > 0 && {
        usdPerMillionTokens: {
          compute: t.spendComputeUsd / (tokens / 1e6),
          fully_loaded: (t.spendComputeUsd + t.spendOpsUsd) / (tokens / 1e6),
        },
      }),
      apiUsdPerMillionTokens: api,
    });
  }
  return points.sort((a, b) => a.atMs - b.atMs);
}
