/**
 * What one time bucket (or one whole window) has seen. Plain data: it is saved and restored as
 * JSON, so no classes, Maps or undefined values live here.
 */
export interface Tally {
  /** Seconds the exporter observed (spend accrued over them). */
  coveredSeconds: number;
  /** Seconds in gaps that could not be accounted for (not billed, not in any ratio). */
  unobservedSeconds: number;
  /** GPU (or instance) spend over coveredSeconds, USD. */
  spendComputeUsd: number;
  /** Ops labour spend over coveredSeconds, USD (fully loaded = compute + ops). */
  spendOpsUsd: number;
  promptTokens: number;
  generationTokens: number;
  /** Per GPU uuid: [utilisation-weighted busy seconds, seconds with a valid utilisation reading]. */
  gpu: Record<string, [busy: number, sampled: number]>;
  /** TTFT histogram increases by upper bound (`le` as printed by vLLM), plus count and sum. */
  ttftBuckets: Record<string, number>;
  ttftCount: number;
  ttftSumSeconds: number;
}

export function emptyTally(): Tally {
  return {
    coveredSeconds: 0,
    unobservedSeconds: 0,
    spendComputeUsd: 0,
    spendOpsUsd: 0,
    promptTokens: 0,
    generationTokens: 0,
    gpu: {},
    ttftBuckets: {},
    ttftCount: 0,
    ttftSumSeconds: 0,
  };
}

/** Adds `from` into `into` (mutates `into`). */
export function addTally(into: Tally, from: Tally): void {
  into.coveredSeconds += from.coveredSeconds;
  into.unobservedSeconds += from.unobservedSeconds;
  into.spendComputeUsd += from.spendComputeUsd;
  into.spendOpsUsd += from.spendOpsUsd;
  into.promptTokens += from.promptTokens;
  into.generationTokens += from.generationTokens;
  for (const uuid in from.gpu) {
    const src = from.gpu[uuid]!;
    const dst = (into.gpu[uuid] ??= [0, 0]);
    dst[0] += src[0];
    dst[1] += src[1];
  }
  for (const le in from.ttftBuckets) {
    into.ttftBuckets[le] = (into.ttftBuckets[le] ?? 0) + from.ttftBuckets[le]!;
  }
  into.ttftCount += from.ttftCount;
  into.ttftSumSeconds += from.ttftSumSeconds;
}
