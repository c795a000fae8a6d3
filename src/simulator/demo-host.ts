import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WINDOWS } from '../accounting/ring.js';
import type { Exporter } from '../exporter/exporter.js';
import { parseExposition } from '../sources/exposition/parse.js';
import { keepVllmSample, readVllm } from '../sources/vllm/vllm-reading.js';
import { SIMULATED_GPU_NAME, simulatedGpuUuid } from './gpu-identity.js';
import { DEFAULT_SIMULATOR, Simulator } from './simulator.js';
import { DEFAULT_TRAFFIC } from './traffic-model.js';
import { VllmHttpDouble } from './vllm-http-double.js';
import { renderVllmMetrics } from './vllm-exposition.js';

/** The nvidia-smi double shipped with the simulator (an executable Node.js script). */
export const NVIDIA_SMI_DOUBLE = fileURLToPath(new URL('../../src/simulator/nvidia-smi-double', import.meta.url));

export interface DemoHostOptions {
  /** Simulated time at which live running starts (the warm-up ends), ms. */
  readonly liveStartMs: number;
  /** Simulated ms per real ms once live. */
  readonly speed: number;
  /** Simulated history replayed at full speed before going live, ms. */
  readonly warmupMs: number;
  readonly gpus: number;
  readonly models: readonly string[];
  readonly seed: number;
  readonly peakToTrough: number;
  readonly gpuHourlyCostUsd: number;
  /** Per GPU; the host's capacity is this times the GPU count. */
  readonly capacityTokensPerSecondPerGpu: number;
}

export const DEFAULT_DEMO: Omit<DemoHostOptions, 'liveStartMs'> = {
  speed: 1,
  warmupMs: 7 * 86_400_000,
  gpus: 1,
  models: DEFAULT_SIMULATOR.models,
  seed: DEFAULT_TRAFFIC.seed,
  peakToTrough: DEFAULT_TRAFFIC.peakToTrough,
  gpuHourlyCostUsd: 3.2,
  capacityTokensPerSecondPerGpu: DEFAULT_SIMULATOR.capacityTokensPerSecond,
};

/** Ground truth of every window ending at `atMs`, as the demo prints and serves it. */
export interface TruthReport {
  readonly atMs: number;
  readonly windows: Record<string, { seconds: number; tokensPerSecond: number; tokenUtilization: number; gpuUtilization: number; usdPerMillionTokens?: number }>;
}

/**
 * A whole simulated GPU host for `demo` and the end-to-end tests: the simulator, its vLLM over
 * HTTP and the GPU state file the nvidia-smi double reads. It warms the exporter up with
 * simulated history at full speed, then runs live on the simulated clock.
 */
export class DemoHost {
  readonly sim: Simulator;
  readonly vllm: VllmHttpDouble;
  readonly stateDir = mkdtempSync(join(tmpdir(), 'llm-cost-demo-'));
  private liveLoop: Promise<void> | undefined;

  constructor(readonly options: DemoHostOptions) {
    const startMs = Math.floor((options.liveStartMs - options.warmupMs) / 5000) * 5000;
    this.sim = new Simulator({
      ...DEFAULT_SIMULATOR,
      startMs,
      speed: Infinity,
      gpus: options.gpus,
      models: options.models,
      capacityTokensPerSecond: options.capacityTokensPerSecondPerGpu * options.gpus,
      traffic: {
        ...DEFAULT_TRAFFIC,
        seed: options.seed,
        peakToTrough: options.peakToTrough,
        peakTokensPerSecond: DEFAULT_TRAFFIC.peakTokensPerSecond * options.gpus,
      },
      gpuStateFile: join(this.stateDir, 'gpus.json'),
    });
    this.vllm = new VllmHttpDouble(this.sim.vllm, () => this.truth());
  }

  get capacityTokensPerSecond(): number {
    return this.options.capacityTokensPerSecondPerGpu * this.options.gpus;
  }

  /** Starts the vLLM double; returns its /metrics URL. */
  start(): Promise<string> {
    return this.vllm.start();
  }

  /** Flags that point the exporter at this host (user flags override them). */
  exporterFlags(): Record<string, string | string[]> {
    return {
      'vllm.targets': [this.vllm.url],
      'nvidia-smi.path': NVIDIA_SMI_DOUBLE,
      // two samples per simulated second: every step is seen (repeats carry the same timestamp)
      'nvidia-smi.interval': '500ms',
      'gpu.hourly-cost-usd': String(this.options.gpuHourlyCostUsd),
      'capacity.tokens-per-second': String(this.capacityTokensPerSecond),
      // the seed's ops share: 0.2 of a $150k engineer, more per hour than the A100 itself
      'ops.fte': '0.2',
    };
  }

  /** Environment the nvidia-smi double needs (set it before the exporter spawns the double). */
  childEnv(): Record<string, string> {
    return { FAKE_NVIDIA_SMI_STATE_FILE: join(this.stateDir, 'gpus.json'), FAKE_NVIDIA_SMI_GPUS: String(this.options.gpus), FAKE_NVIDIA_SMI_NAME: SIMULATED_GPU_NAME };
  }

  /**
   * Replays the warm-up span at full speed, feeding the exporter in process: vLLM's exposition
   * (rendered and parsed like a poll, every 5 simulated minutes: the windows' bucket boundaries stay aligned) and one GPU reading per step.
   * Returns the real milliseconds it took.
   */
  async warmUp(exporter: Exporter): Promise<number> {
    const started = performance.now();
    const stopFeeding = this.feedInProcess(exporter, 300_000);
    // publish now and then, so /metrics and the status page answer (and fill up) during the replay
    const stopPublishing = this.sim.clock.every(6 * 3_600_000, () => exporter.publishNow());
    await this.sim.clock.run(this.options.liveStartMs);
    stopFeeding();
    stopPublishing();
    exporter.publishNow();
    this.sim.enableGpuStateFile();
    return performance.now() - started;
  }

  /**
   * Feeds the exporter from the simulation without sockets or child processes: vLLM's exposition
   * rendered and parsed like a poll every `pollEveryMs` (simulated), and every GPU's reading once
   * per simulated second. Registered in that order, so at equal instants the poll comes first.
   * Returns the function that stops feeding.
   */
  feedInProcess(exporter: Exporter, pollEveryMs: number): () => void {
    const clock = this.sim.clock;
    this.sim.gpuStateFileEnabled = false;
    const uuids = Array.from({ length: this.options.gpus }, (_, i) => simulatedGpuUuid(i));
    const stopPolls = clock.every(pollEveryMs, () => {
      const reading = readVllm(parseExposition(renderVllmMetrics(this.sim.vllm, keepVllmSample), { keep: keepVllmSample }));
      exporter.completeCycle([{ ok: true, atMs: clock.now(), reading }], clock.now(), false);
    });
    const stopGpus = clock.every(1000, () => {
      uuids.forEach((uuid, index) => {
        const util = this.sim.gpuUtilizationPercent[index]! / 100;
        exporter.onGpuReading({ index, uuid, name: SIMULATED_GPU_NAME, utilizationRatio: util, lost: false }, clock.now());
      });
    });
    return () => {
      stopPolls();
      stopGpus();
    };
  }

  /**
   * Waits (real time, at most `timeoutMs`) until the exporter's nvidia-smi child has delivered a
   * row for the live span, so the simulation does not run ahead of a child still starting.
   */
  async waitForGpuRows(exporter: Exporter, timeoutMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const liveFrom = this.sim.clock.now();
    while (performance.now() < deadline) {
      const seen = Object.values(exporter.state().ledger.gpuLastSampleMs);
      if (seen.length >= this.options.gpus && seen.every((t) => t >= liveFrom)) return true;
      await new Promise((r) => setTimeout(r, 10));
    }
    return false;
  }

  /** Runs the simulation live at the configured speed until stop() (or `untilMs`, simulated). */
  runLive(untilMs?: number): Promise<void> {
    this.sim.clock.setSpeed(this.options.speed);
    this.liveLoop = this.sim.clock.run(untilMs);
    return this.liveLoop;
  }

  /** The simulator's ground truth for each window ending at `atMs` (default: now). */
  truth(atMs = this.sim.clock.now()): TruthReport {
    const windows: TruthReport['windows'] = {};
    const hourly = this.options.gpuHourlyCostUsd * this.options.gpus;
    for (const spec of WINDOWS) {
      const t = this.sim.truth.between(atMs - spec.durationMs, atMs);
      if (!t) continue;
      const tokens = t.promptTokens + t.generationTokens;
      const spend = (hourly * t.seconds) / 3600;
      windows[spec.name] = {
        seconds: t.seconds,
        tokensPerSecond: tokens / t.seconds,
        tokenUtilization: tokens / (this.capacityTokensPerSecond * t.seconds),
        gpuUtilization: t.gpuUtilization.reduce((a, b) => a + b, 0) / t.gpuUtilization.length,
        ...(tokens > 0 && { usdPerMillionTokens: spend / (tokens / 1e6) }),
      };
    }
    return { atMs, windows };
  }

  async stop(): Promise<void> {
    this.sim.clock.stop();
    await this.liveLoop;
    await this.vllm.stop();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
