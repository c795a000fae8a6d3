import type { RingState } from './ring.js';

/** Hours of weekday traffic needed before a peak-to-trough ratio means anything. */
export const MIN_WEEKDAY_HOURS = 24;

/**
 * Peak-to-trough of the brief: the 95th over the 5th percentile of hourly token throughput on
 * weekdays, from the 7-day ring (hourly buckets). Hours observed for less than half their length
 * are left out. Undefined while fewer than MIN_WEEKDAY_HOURS hours qualify, or when the 5th
 * percentile is zero (a ratio to nothing is not a number to show).
 * `weekday(ms)` gives 0 (Sunday) to 6 (Saturday) in the time zone the user reasons in.
 */
export function peakToTroughRatio(
  ring7d: RingState,
  bucketMs: number,
  nowMs: number,
  weekday: (ms: number) => number = (ms) => new Date(ms).getDay(),
): number | undefined {
  const rates: number[] = [];
  for (const slot of ring7d.slots) {
    if (!slot || slot.start < nowMs - 7 * 86_400_000 || slot.start > nowMs) continue;
    const day = weekday(slot.start);
    if (day === 0 || day === 6) continue;
    const t = slot.tally;
    if (t.coveredSeconds < bucketMs / 2000) continue;
    rates.push((t.promptTokens + t.generationTokens) / t.coveredSeconds);
  }
  if (rates.length < MIN_WEEKDAY_HOURS) return undefined;
  rates.sort((a, b) => a - b);
  const p5 = percentile(rates, 0.05);
  return p5 > 0 ? percentile(rates, 0.95) / p5 : undefined;
}

/** Linear interpolation between closest ranks (numpy's default) over sorted values. */
export function percentile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
