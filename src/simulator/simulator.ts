import { renameSync, writeFileSync } from 'node:fs';
import { GroundTruth } from './ground-truth.js';
import { InferenceServer } from './inference-server.js';
import { Random } from './random.js';
import { SimClock } from './sim-clock.js';
import { DEFAULT_TRAFFIC, TrafficModel, type TrafficModelOptions } from './traffic-model.js';
import type { SimVllmMetrics } from './vllm-exposition.js';

export interface SimulatorOptions {
  /** Simulated start, ms (UTC). */
  readonly startMs: number;
  /** Simulated ms per real ms; Infinity = as fast as possible. */
  readonly speed: number;
  readonly gpus: number;
  readonly models: readonly string[];
  readonly capacityTokensPerSecond: number;
  readonly traffic: TrafficModelOptions;
  /** Where the nvidia-smi double reads the GPUs' state; undefined = no file (in-process use). */
  readonly gpuStateFile?: string;
  /** Simulation step; the ground truth is exact at multiples of 5 s. */
  readonly stepMs?: number;
}

export const DEFAULT_SIMULATOR: Omit<SimulatorOptions, 'startMs' | 'speed'> = {
  gpus: 1,
  models: ['meta-llama/Llama-3.1-8B-Instruct'],
  capacityTokensPerSecond: 1975.3,
  traffic: DEFAULT_TRAFFIC,
};

/**
 * A simulated GPU host: the seed's business-week traffic into a continuous-batching server on
 * `gpus` GPUs, stepping on its own clock. It exposes the vLLM counters (`vllm`), writes the GPU
 * state the nvidia-smi double prints, and records the ground truth the exporter is tested against.
 */
export class Simulator {
  readonly clock: SimClock;
  readonly truth: GroundTruth;
  readonly server: InferenceServer;
  readonly vllm: SimVllmMetrics;
  /** Last utilisation per GPU, integer percent as nvidia-smi prints it. */
  readonly gpuUtilizationPercent: number[];
  private readonly traffic: TrafficModel;
  private readonly random: Random;
  private readonly stepMs: number;
  /** Off while warming up at full speed: no nvidia-smi reads the file then, and writing it dominates. */
  gpuStateFileEnabled = true;

  constructor(readonly options: SimulatorOptions) {
    this.stepMs = options.stepMs ?? 1000;
    this.clock = new SimClock(options.startMs, options.speed);
    this.truth = new GroundTruth(options.gpus);
    this.traffic = new TrafficModel(options.traffic);
    this.random = new Random(options.traffic.seed + 1);
    this.server = new InferenceServer({
      capacityTokensPerSecond: options.capacityTokensPerSecond,
      decodeTokensPerSecond: 40,
      maxRunning: 48,
      models: options.models,
    });
    this.vllm = { processStartSeconds: Math.floor(options.startMs / 1000) - 600, models: this.server.models };
    this.gpuUtilizationPercent = new Array<number>(options.gpus).fill(0);
    this.writeGpuState();
    this.clock.every(this.stepMs, () => this.step());
  }

  /** One simulation step ending now: arrivals, scheduling, GPU readings, ground truth. */
  step(): void {
    const now = this.clock.now();
    const dt = this.stepMs / 1000;
    const { meanPromptTokens, meanGenerationTokens } = this.options.traffic;
    const arrivals = this.random.poisson(this.traffic.requestsPerSecond(now) * dt);
    for (let i = 0; i < arrivals; i++) {
      const model = Math.floor(this.random.next() * this.options.models.length);
      this.server.submit(model, this.random.logNormal(meanPromptTokens, 0.6), this.random.logNormal(meanGenerationTokens, 0.6), now);
    }
    const before = this.tokenTotals();
    this.server.step(dt, now, this.random);
    const after = this.tokenTotals();
    // nvidia-smi's optimism: any running kernel reads as a busy period, near 100%
    for (let g = 0; g < this.options.gpus; g++) {
      this.gpuUtilizationPercent[g] = this.server.busyFraction > 0 ? 96 + Math.floor(this.random.next() * 5) : 0;
    }
    this.truth.record(
      now,
      dt,
      after.prompt - before.prompt,
      after.generation - before.generation,
      this.gpuUtilizationPercent.map((u) => u / 100),
    );
    this.writeGpuState();
  }

  private tokenTotals(): { prompt: number; generation: number } {
    let prompt = 0;
    let generation = 0;
    for (const m of this.server.models) {
      prompt += m.promptTokens;
      generation += m.generationTokens;
    }
    return { prompt, generation };
  }

  /** Writes the GPU state file now (and on every later change). */
  enableGpuStateFile(): void {
    this.gpuStateFileEnabled = true;
    this.writeGpuState();
  }

  /** Atomically replaces the state file the nvidia-smi double reads (every step: it carries the time). */
  private writeGpuState(): void {
    const file = this.options.gpuStateFile;
    if (file === undefined || !this.gpuStateFileEnabled) return;
    const json = JSON.stringify({
      timeMs: this.clock.now(),
      gpus: this.gpuUtilizationPercent.map((util) => ({
        util,
        memUtil: Math.round(util * 0.6),
        memoryUsedMiB: 72_870,
        powerW: 60 + util * 3.2,
        smClockMHz: util > 0 ? 1410 : 210,
      })),
    });
    writeFileSync(`${file}.tmp`, json);
    renameSync(`${file}.tmp`, file);
  }
}
