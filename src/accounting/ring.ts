import { addTally, emptyTally, type Tally } from './tally.js';

/** The rolling windows of the contract, with the bucket width that bounds their memory. */
export const WINDOWS = [
  { name: '5m', durationMs: 5 * 60_000, bucketMs: 10_000 },
  { name: '1h', durationMs: 3_600_000, bucketMs: 60_000 },
  { name: '24h', durationMs: 86_400_000, bucketMs: 600_000 },
  { name: '7d', durationMs: 7 * 86_400_000, bucketMs: 3_600_000 },
] as const;

export type WindowName = (typeof WINDOWS)[number]['name'];
export type WindowSpec = (typeof WINDOWS)[number];

/** One bucket of a ring: the tally of [start, start + bucketMs). */
export interface Slot {
  start: number;
  tally: Tally;
}

/**
 * A fixed ring of time buckets. Memory is `durationMs / bucketMs + 1` slots whatever the uptime;
 * writing touches only the slots an interval overlaps, and reading sums at most every slot.
 * Plain data (`slots`) so the ledger can be saved as JSON.
 */
export interface RingState {
  slots: (Slot | null)[];
}

export function emptyRing(spec: WindowSpec): RingState {
  return { slots: new Array<Slot | null>(spec.durationMs / spec.bucketMs + 1).fill(null) };
}

/**
 * The bucket that holds time `t`, reset if it last held an older period. A write older than the
 * slot's current period (a clock stepped back) goes to a detached tally: newer data is never lost.
 */
export function slotAt(ring: RingState, spec: WindowSpec, t: number): Tally {
  const bucket = Math.floor(t / spec.bucketMs);
  const start = bucket * spec.bucketMs;
  const i = bucket % ring.slots.length;
  const slot = ring.slots[i];
  if (slot && slot.start === start) return slot.tally;
  if (slot && slot.start > start) return emptyTally();
  const fresh: Slot = { start, tally: emptyTally() };
  ring.slots[i] = fresh;
  return fresh.tally;
}

/**
 * Calls `apply(tally, fraction)` for every bucket that [fromMs, toMs) overlaps, with the
 * fraction of the interval that falls in it. Parts older than the ring can hold are skipped
 * (their fraction is simply not applied), so a long gap costs at most one pass over the ring.
 */
export function spread(
  ring: RingState,
  spec: WindowSpec,
  fromMs: number,
  toMs: number,
  apply: (tally: Tally, fraction: number) => void,
): void {
  const length = toMs - fromMs;
  if (!(length > 0)) return;
  // the ring holds the last `slots.length` buckets up to the one containing toMs
  const oldestStart = (Math.floor(toMs / spec.bucketMs) - ring.slots.length + 1) * spec.bucketMs;
  let t = Math.max(fromMs, oldestStart);
  while (t < toMs) {
    const end = Math.min(toMs, (Math.floor(t / spec.bucketMs) + 1) * spec.bucketMs);
    apply(slotAt(ring, spec, t), (end - t) / length);
    t = end;
  }
}

/**
 * Adds up the buckets that lie inside the window ending at `nowMs`: those starting at or after
 * `nowMs - durationMs`. A window therefore never covers more than its duration, and reports the
 * time it does cover (coveredSeconds) so every ratio is taken over one consistent interval.
 */
export function sumWindow(ring: RingState, spec: WindowSpec, nowMs: number, into: Tally): Tally {
  const from = nowMs - spec.durationMs;
  for (const slot of ring.slots) {
    if (slot && slot.start >= from && slot.start <= nowMs) addTally(into, slot.tally);
  }
  return into;
}
