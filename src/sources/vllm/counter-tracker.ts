import { addModelTotals, emptyModelTotals, type TrafficDelta } from '../../accounting/ledger.js';
import type { CounterSeries, VllmReading } from './vllm-reading.js';

/** What the tracker remembers of one target: plain data, saved with the ledger. */
export interface TrackerState {
  processStartTimeSeconds?: number;
  /** Last value and `_created` of each series, by series key. */
  series: Record<string, [value: number, created?: number]>;
}

/** How the previous and the current reading relate. */
export type Continuity =
  /** First reading of this target: a baseline, no delta. */
  | 'baseline'
  /** Same process (same `_created` / `process_start_time_seconds`): deltas are exact. */
  | 'same-process'
  /** No identity exposed and no counter went down: most likely the same process. */
  | 'unproven'
  /** vLLM restarted: counters started again from zero. */
  | 'restarted';

export interface TrackerUpdate {
  readonly delta: TrafficDelta;
  readonly continuity: Continuity;
}

/**
 * Turns successive readings of one vLLM target into reset-aware counter increases. A counter that
 * went down, or a changed `_created` / `process_start_time_seconds`, is a restart: the new value is
 * what was counted since, never a negative delta. A series that appears on a known target is new
 * since the last poll, so its whole value counts.
 */
export class CounterTracker {
  readonly state: TrackerState;

  constructor(state?: TrackerState) {
    this.state = state ?? { series: {} };
  }

  /** True once the tracker has a baseline (restored state counts). */
  get hasBaseline(): boolean {
    return Object.keys(this.state.series).length > 0 || this.state.processStartTimeSeconds !== undefined;
  }

  update(reading: VllmReading): TrackerUpdate {
    const baseline = !this.hasBaseline;
    const before = this.state.processStartTimeSeconds;
    const now = reading.processStartTimeSeconds;
    const processRestarted = before !== undefined && now !== undefined && now !== before;
    let identified = before !== undefined && now !== undefined;
    let reset = processRestarted;

    const delta = emptyDelta();
    for (const c of reading.counters) {
      const last = this.state.series[c.key];
      this.state.series[c.key] = c.created === undefined ? [c.value] : [c.value, c.created];
      if (baseline) continue;
      let increase: number;
      if (processRestarted || !last) increase = c.value;
      else if (c.created !== undefined && last[1] !== undefined && c.created !== last[1]) {
        increase = c.value;
        reset = true;
      } else if (c.value < last[0]) {
        increase = c.value;
        reset = true;
      } else increase = c.value - last[0];
      if (c.created !== undefined && last?.[1] !== undefined) identified = true;
      if (increase > 0) addIncrease(delta, c, increase);
    }
    if (now !== undefined) this.state.processStartTimeSeconds = now;
    const continuity: Continuity = baseline ? 'baseline' : reset ? 'restarted' : identified ? 'same-process' : 'unproven';
    return { delta, continuity };
  }
}

export function emptyDelta(): TrafficDelta {
  return { promptTokens: 0, generationTokens: 0, ttftBuckets: {}, ttftCount: 0, ttftSumSeconds: 0, models: {} };
}

/** Adds one delta into another (mutates `into`): two polls' increases as one. */
export function addDelta(into: TrafficDelta, from: TrafficDelta): void {
  into.promptTokens += from.promptTokens;
  into.generationTokens += from.generationTokens;
  into.ttftCount += from.ttftCount;
  into.ttftSumSeconds += from.ttftSumSeconds;
  for (const le in from.ttftBuckets) into.ttftBuckets[le] = (into.ttftBuckets[le] ?? 0) + from.ttftBuckets[le]!;
  for (const name in from.models) addModelTotals((into.models[name] ??= emptyModelTotals()), from.models[name]!);
}

function addIncrease(delta: TrafficDelta, c: CounterSeries, increase: number): void {
  const model = (delta.models[c.model] ??= emptyModelTotals());
  switch (c.kind) {
    case 'prompt_tokens':
      delta.promptTokens += increase;
      model.promptTokens += increase;
      break;
    case 'generation_tokens':
      delta.generationTokens += increase;
      model.generationTokens += increase;
      break;
    case 'request_success':
      model.requests[c.reason!] = (model.requests[c.reason!] ?? 0) + increase;
      break;
    case 'preemptions':
      model.preemptions += increase;
      break;
    case 'ttft_bucket':
      delta.ttftBuckets[c.le!] = (delta.ttftBuckets[c.le!] ?? 0) + increase;
      break;
    case 'ttft_count':
      delta.ttftCount += increase;
      break;
    case 'ttft_sum':
      delta.ttftSumSeconds += increase;
      break;
  }
}
