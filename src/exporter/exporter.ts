import type { Logger } from 'pino';
import { windowFigures, type WindowFigures } from '../accounting/cost-model.js';
import { ringHistory } from '../accounting/history.js';
import { Ledger, type Rates, type TrafficDelta } from '../accounting/ledger.js';
import type { LedgerState } from '../accounting/ledger-state.js';
import { peakToTroughRatio } from '../accounting/peak-to-trough.js';
import { WINDOWS, type WindowName } from '../accounting/ring.js';
import type { Config } from '../config/config.js';
import type { ApiPrice } from '../pricing/api-price.js';
import { bundledPriceProvenance } from '../pricing/price-table.js';
import { NvidiaSmiSource } from '../sources/nvidia-smi/nvidia-smi-source.js';
import type { GpuReading } from '../sources/nvidia-smi/parse-gpu-row.js';
import { addDelta, CounterTracker, emptyDelta, type Continuity, type TrackerState } from '../sources/vllm/counter-tracker.js';
import type { ModelGauges } from '../sources/vllm/vllm-reading.js';
import { VllmSource, type VllmPoll } from '../sources/vllm/vllm-source.js';
import type { StorageStatus } from '../storage/persistence.js';
import type { Clock } from '../time/clock.js';
import type { CostInputs, GpuView, Snapshot } from './snapshot.js';

const PRICE_TABLE_AS_OF = ((ms) => (Number.isFinite(ms) ? ms / 1000 : undefined))(Date.parse(bundledPriceProvenance().as_of));

/** What persistence saves and restores: the ledger and each target's last counter values. */
export interface ExporterState {
  readonly ledger: LedgerState;
  /** By target URL. */
  readonly trackers: Record<string, TrackerState>;
  /** Time of each target's last successful poll, by URL (tokens are spread from there). */
  readonly lastSuccessMs?: Record<string, number>;
}

export interface ExporterOptions {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly restored?: ExporterState;
  /** Persistence figures for the snapshot (the storage layer owns them). */
  readonly storageStatus?: () => StorageStatus;
}

/** The downtime before this process started, while its accounting is being decided. */
interface PendingGap {
  readonly fromMs: number;
  readonly deadlineMs: number;
  /** What each target answered since the restart: summed increases, time of the last answer. */
  readonly answered: Map<Target, { delta: TrafficDelta; atMs: number; continuity: Continuity[] }>;
}

interface Target {
  readonly url: string;
  readonly source: VllmSource;
  tracker: CounterTracker;
  lastSuccessMs?: number;
  models: Record<string, ModelGauges>;
  restarts: number;
}

/**
 * Wires the sources to the accounting. Every `poll_interval` it polls each vLLM target, records
 * the elapsed time and the traffic in the ledger, prices the windows and publishes one immutable
 * Snapshot. nvidia-smi rows are recorded as they stream in. Scrapes read the last snapshot only.
 */
export class Exporter {
  private readonly ledger: Ledger;
  private readonly targets: Target[];
  private readonly nvidiaSmi: NvidiaSmiSource | undefined;
  private readonly gpus = new Map<string, GpuView>();
  private readonly uuidByIndex = new Map<number, string>();
  private readonly apiPrices: readonly ApiPrice[];
  private readonly listeners: ((s: Snapshot) => void)[] = [];
  private latestSnapshot: Snapshot | undefined;
  private cycleRunning: Promise<void> | undefined;
  private stopTimer: (() => void) | undefined;
  private warnedUnknownRate = false;
  private readonly warnedMissingGpus = new Set<number>();
  private readonly timestampToleranceMs: number;
  /** Set after a restore until every target has answered (or a deadline): see resumeAfterGap. */
  private pendingGap: PendingGap | undefined;

  constructor(private readonly options: ExporterOptions) {
    const { config, clock, logger, restored } = options;
    this.timestampToleranceMs = Math.max(10_000, 5 * config.nvidia_smi.interval);
    this.apiPrices = [...new Set([config.compare_to, ...config.api_prices.compare])].map(
      (id) => config.api_prices.table.get(id)!,
    );
    this.ledger = new Ledger(
      { apiPrices: this.apiPrices, maxGpuSampleGapMs: Math.max(2 * config.nvidia_smi.interval, 2000) },
      restored?.ledger,
    );
    this.targets = config.vllm.targets.map((url) => {
      const lastSuccessMs = restored?.lastSuccessMs?.[url];
      return {
        url,
        source: new VllmSource({ url, timeoutMs: config.vllm.timeout, clock, logger }),
        tracker: new CounterTracker(restored?.trackers[url]),
        ...(lastSuccessMs !== undefined && { lastSuccessMs }),
        models: {},
        restarts: 0,
      };
    });
    const gapFrom = restored?.ledger.lastTickMs;
    if (gapFrom !== undefined) {
      // a vLLM slow to answer right after our start must not turn a provable gap into an unobserved one
      const wait = Math.max(60_000, 12 * config.poll_interval);
      this.pendingGap = { fromMs: gapFrom, deadlineMs: clock.now() + wait, answered: new Map() };
    }
    // GPUs known before the restart stay billed until nvidia-smi reports again
    for (const [uuid, gpu] of Object.entries(restored?.ledger.totals.gpus ?? {})) {
      if (config.gpu.indices && !config.gpu.indices.includes(gpu.index)) continue;
      this.gpus.set(uuid, { uuid, index: gpu.index, ...(gpu.name !== undefined && { name: gpu.name }) });
    }
    this.nvidiaSmi = config.nvidia_smi.enabled
      ? new NvidiaSmiSource({
          path: config.nvidia_smi.path,
          // nvidia-smi loops on real time: pace it to the clock (the demo runs faster than real time)
          intervalMs: Math.max(1, Math.round(config.nvidia_smi.interval / (clock.speed ?? 1))),
          clock,
          logger,
          onReading: (reading, atMs) => this.onGpuReading(reading, atMs),
        })
      : undefined;
  }

  /** Starts nvidia-smi and the poll cycle; the first cycle runs at once. */
  start(): void {
    this.nvidiaSmi?.start();
    void this.cycle();
    this.stopTimer = this.options.clock.every(this.options.config.poll_interval, () => this.cycle());
  }

  /** Stops timers and the nvidia-smi child; waits for a cycle in flight. */
  async stop(): Promise<void> {
    this.stopTimer?.();
    await this.cycleRunning;
    await this.nvidiaSmi?.stop();
  }

  /** True once the first poll cycle was attempted (never gated on vLLM being up). */
  ready(): boolean {
    return this.latestSnapshot !== undefined;
  }

  latest(): Snapshot | undefined {
    return this.latestSnapshot;
  }

  onSnapshot(listener: (s: Snapshot) => void): void {
    this.listeners.push(listener);
  }

  /** The state to persist: plain data, shared with the running ledger (serialise it at once). */
  state(): ExporterState {
    const trackers: Record<string, TrackerState> = {};
    const lastSuccessMs: Record<string, number> = {};
    for (const t of this.targets) {
      trackers[t.url] = t.tracker.state;
      if (t.lastSuccessMs !== undefined) lastSuccessMs[t.url] = t.lastSuccessMs;
    }
    return { ledger: this.ledger.state, trackers, lastSuccessMs };
  }

  /** One poll cycle; overlapping calls wait for the one in flight instead of piling up. */
  cycle(): Promise<void> {
    this.cycleRunning ??= this.runCycle().finally(() => {
      this.cycleRunning = undefined;
    });
    return this.cycleRunning;
  }

  private async runCycle(): Promise<void> {
    try {
      const polls = await Promise.all(this.targets.map((t) => t.source.poll()));
      this.completeCycle(polls, this.options.clock.now());
    } catch (error) {
      // sources never throw; this is a bug, and it must not stop the next cycle
      this.options.logger.error({ err: error }, 'poll cycle failed');
    }
  }

  /**
   * Records one cycle's polls (one per target, in config order) at `now` and publishes. The seam
   * where tests and the golden file feed recorded readings without HTTP.
   */
  completeCycle(polls: readonly VllmPoll[], now: number, publish = true): void {
    if (this.pendingGap) {
      this.resumeAfterGap(polls, now, this.pendingGap);
      if (publish) this.publish(now);
      return;
    }
    const last = this.ledger.state.lastTickMs;
    if (last === undefined || now < last) this.ledger.state.lastTickMs = now;
    else {
      const { rates, known } = this.rates();
      this.ledger.recordTime(last, now, rates, known);
    }
    this.targets.forEach((t, i) => this.recordPoll(t, polls[i]!));
    if (publish) this.publish(now);
  }

  /** Publishes a snapshot as of the last recorded tick (after cycles recorded without publishing). */
  publishNow(): void {
    this.publish(this.ledger.state.lastTickMs ?? this.options.clock.now());
  }

  /**
   * Cycles after a restart of the exporter. The downtime [fromMs, now) and the tokens served in it
   * are counted only if every vLLM target proves it did not restart meanwhile (same `_created` /
   * `process_start_time_seconds`). The decision waits until every target has answered, or until a
   * deadline; a target that never answered, or any restart, makes the gap unobserved and every
   * target starts from a fresh baseline, so nothing is invented.
   */
  private resumeAfterGap(polls: readonly VllmPoll[], now: number, gap: PendingGap): void {
    this.targets.forEach((t, i) => {
      const poll = polls[i]!;
      if (!poll.ok) {
        t.models = {};
        return;
      }
      t.models = { ...poll.reading.models };
      const update = t.tracker.update(poll.reading);
      const seen = gap.answered.get(t) ?? { delta: emptyDelta(), atMs: poll.atMs, continuity: [] };
      addDelta(seen.delta, update.delta);
      seen.atMs = poll.atMs;
      seen.continuity.push(update.continuity);
      gap.answered.set(t, seen);
    });
    if (gap.answered.size < this.targets.length && now < gap.deadlineMs) return;
    this.pendingGap = undefined;

    const proven =
      this.targets.length > 0 &&
      gap.answered.size === this.targets.length &&
      [...gap.answered.values()].every((a) => a.continuity.every((c) => c === 'same-process'));
    if (now > gap.fromMs) {
      const { rates, known } = this.rates();
      this.ledger.recordTime(gap.fromMs, now, rates, proven && known);
    } else {
      this.ledger.state.lastTickMs = now;
    }
    for (const t of this.targets) {
      const seen = gap.answered.get(t);
      if (!seen) {
        t.tracker = new CounterTracker();
        delete t.lastSuccessMs;
        continue;
      }
      if (seen.continuity.includes('restarted')) t.restarts++;
      if (proven && t.lastSuccessMs !== undefined) this.ledger.recordTraffic(t.lastSuccessMs, seen.atMs, seen.delta);
      t.lastSuccessMs = seen.atMs;
    }
    this.options.logger.info(
      { gap_seconds: Math.max(0, (now - gap.fromMs) / 1000), counted: proven },
      proven ? 'resumed: vLLM did not restart, the downtime and its tokens are counted' : 'resumed: the downtime is recorded as unobserved',
    );
  }

  private recordPoll(target: Target, poll: VllmPoll): void {
    if (!poll.ok) {
      target.models = {};
      return;
    }
    target.models = { ...poll.reading.models };
    const update = target.tracker.update(poll.reading);
    if (update.continuity === 'restarted') {
      target.restarts++;
      this.options.logger.info({ target: target.source.health().target }, 'vLLM restarted: counters continue from its new values');
    }
    if (update.continuity !== 'baseline' && target.lastSuccessMs !== undefined) {
      this.ledger.recordTraffic(target.lastSuccessMs, poll.atMs, update.delta);
    }
    target.lastSuccessMs = poll.atMs;
  }

  /** Records one nvidia-smi row (the source calls this for every row it accepts). */
  onGpuReading(reading: GpuReading, atMs: number): void {
    const indices = this.options.config.gpu.indices;
    if (indices && !indices.includes(reading.index)) return;
    // a lost GPU may print [GPU is lost] in place of its uuid: keep its identity by index
    const uuid = reading.uuid ?? this.uuidByIndex.get(reading.index);
    if (uuid === undefined) return;
    this.uuidByIndex.set(reading.index, uuid);
    const previous = this.gpus.get(uuid);
    const name = reading.name ?? previous?.name;
    if (reading.lost !== (previous?.last?.lost ?? false)) {
      const fields = { gpu: reading.index, uuid };
      if (reading.lost) this.options.logger.warn(fields, 'nvidia-smi reports the GPU as lost: it stays billed, its utilisation is unknown');
      else this.options.logger.info(fields, 'the GPU is back');
    }
    this.gpus.set(uuid, { uuid, index: reading.index, ...(name !== undefined && { name }), last: reading });
    // the row's own sample time, when it agrees with our clock, is immune to pipe and event-loop
    // delays; a zone mismatch (hours off) or a clock step falls back to the arrival time
    const sampledAt = reading.timestampMs;
    const at = sampledAt !== undefined && Math.abs(sampledAt - atMs) <= this.timestampToleranceMs ? sampledAt : atMs;
    this.ledger.recordGpuReading(uuid, reading.index, name, reading.lost ? undefined : reading.utilizationRatio, at);
  }

  /** Spend rates; unknown while per-GPU pricing has no GPU count (no gpu.indices, no nvidia-smi row yet). */
  private rates(): { rates: Rates; known: boolean } {
    const { config } = this.options;
    const opsUsdPerSecond = (config.ops.fte * config.ops.annual_cost_usd) / 8760 / 3600;
    const hourly = this.gpuHourlyCostUsd();
    if (hourly === undefined && !this.warnedUnknownRate) {
      this.warnedUnknownRate = true;
      this.options.logger.warn('no GPU reported yet and gpu.indices unset: time is unobserved until the GPU count is known');
    }
    return { rates: { computeUsdPerSecond: (hourly ?? 0) / 3600, opsUsdPerSecond }, known: hourly !== undefined };
  }

  private billedGpus(): number | undefined {
    const n = this.options.config.gpu.indices?.length ?? this.gpus.size;
    return n > 0 ? n : undefined;
  }

  private gpuHourlyCostUsd(): number | undefined {
    const { config } = this.options;
    if (config.instance.hourly_cost_usd !== undefined) return config.instance.hourly_cost_usd;
    const n = this.billedGpus();
    return n === undefined ? undefined : n * config.gpu.hourly_cost_usd!;
  }

  /** A gpu.indices entry nvidia-smi does not report is billed all the same: say so once (a typo?). */
  private warnMissingGpus(): void {
    const indices = this.options.config.gpu.indices;
    if (!indices || !this.nvidiaSmi?.health().up) return;
    const reported = new Set([...this.gpus.values()].filter((g) => g.last).map((g) => g.index));
    for (const index of indices) {
      if (reported.has(index) || this.warnedMissingGpus.has(index)) continue;
      this.warnedMissingGpus.add(index);
      this.options.logger.warn({ gpu: index }, 'gpu.indices lists a GPU that nvidia-smi does not report: it is billed anyway');
    }
  }

  private publish(now: number): void {
    const { config } = this.options;
    this.warnMissingGpus();
    const capacity = config.capacity.tokens_per_second;
    const tallies = this.ledger.windows(now);
    const windows = {} as Record<WindowName, WindowFigures>;
    for (const spec of WINDOWS) {
      windows[spec.name] = windowFigures(tallies[spec.name], {
        capacityTokensPerSecond: capacity,
        apiPrices: this.apiPrices,
      });
    }
    const spec = (name: WindowName) => WINDOWS.find((w) => w.name === name)!;
    const rings = this.ledger.state.rings;
    const peak = peakToTroughRatio(rings['7d'], spec('7d').bucketMs, now);
    const models: Record<string, ModelGauges> = {};
    const kvCount: Record<string, number> = {};
    for (const t of this.targets) {
      for (const [model, g] of Object.entries(t.models)) {
        const m = (models[model] ??= { running: 0, waiting: 0 });
        m.running += g.running;
        m.waiting += g.waiting;
        if (g.kvCacheUsageRatio !== undefined) {
          const n = (kvCount[model] ?? 0) + 1;
          m.kvCacheUsageRatio = ((m.kvCacheUsageRatio ?? 0) * (n - 1) + g.kvCacheUsageRatio) / n;
          kvCount[model] = n;
        }
      }
    }
    const hourly = this.gpuHourlyCostUsd();
    const billed = this.billedGpus();
    const inputs: CostInputs = {
      ...(hourly !== undefined && { gpuHourlyCostUsd: hourly }),
      ...(billed !== undefined && config.instance.hourly_cost_usd === undefined && { billedGpus: billed }),
      opsHourlyCostUsd: (config.ops.fte * config.ops.annual_cost_usd) / 8760,
      ...(capacity !== undefined && { capacityTokensPerSecond: capacity }),
      apiPrices: this.apiPrices,
      compareTo: config.compare_to,
      breakEvenThresholdRatio: config.alert.break_even_utilization,
      ttftTargetSeconds: config.alert.ttft_seconds,
      ...(PRICE_TABLE_AS_OF !== undefined && { priceTableAsOfSeconds: PRICE_TABLE_AS_OF }),
    };
    const vllmRestarts: Record<string, number> = {};
    for (const t of this.targets) vllmRestarts[t.source.health().target] = t.restarts;
    const snapshot: Omit<Snapshot, 'history'> = {
      atMs: now,
      windows,
      totals: structuredClone(this.ledger.state.totals),
      ...(peak !== undefined && { peakToTroughRatio: peak }),
      gpus: [...this.gpus.values()].sort((a, b) => a.index - b.index),
      models,
      health: [
        ...this.targets.map((t) => ({ ...t.source.health() })),
        ...(this.nvidiaSmi ? [{ ...this.nvidiaSmi.health() }] : []),
      ],
      nvidiaSmiRestarts: this.nvidiaSmi?.restarts() ?? 0,
      vllmRestarts,
      inputs,
      ...(this.options.storageStatus && { storage: { ...this.options.storageStatus() } }),
    };
    // the charts' history is derived on the first read of this snapshot (the status page), not on
    // every tick that nobody looks at; it reads the rings as they are then (at most one tick on)
    let history: Snapshot['history'] | undefined;
    Object.defineProperty(snapshot, 'history', {
      enumerable: true,
      get: () =>
        (history ??= {
          hour: ringHistory(rings['1h'], spec('1h'), now, capacity, this.apiPrices),
          day: ringHistory(rings['24h'], spec('24h'), now, capacity, this.apiPrices),
        }),
    });
    this.latestSnapshot = snapshot as Snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot as Snapshot);
      } catch (error) {
        this.options.logger.error({ err: error }, 'snapshot listener failed');
      }
    }
  }
}
