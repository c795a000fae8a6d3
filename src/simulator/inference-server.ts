import type { Random } from './random.js';
import { E2E_BUCKETS, emptyHistogram, observe, TTFT_BUCKETS, type SimModelMetrics } from './vllm-exposition.js';

export interface InferenceServerOptions {
  /** Prompt+generation tokens per second the GPUs deliver at full load (capacity.tokens_per_second). */
  readonly capacityTokensPerSecond: number;
  /** Decode speed of one sequence, tokens per second (a lone request cannot use the whole GPU). */
  readonly decodeTokensPerSecond: number;
  /** vLLM's max_num_seqs: beyond this many running requests, new ones wait. */
  readonly maxRunning: number;
  readonly models: readonly string[];
}

/** Prefill runs far faster than decode on a GPU; only TTFT uses this speed. */
const PREFILL_TOKENS_PER_SECOND = 10_000;

interface Request {
  readonly model: SimModelMetrics;
  readonly arrivedMs: number;
  readonly promptTokens: number;
  readonly generationTokens: number;
  prefilled: number;
  generated: number;
  firstTokenMs?: number;
}

/**
 * A continuous-batching server in the shape of vLLM's scheduler: decode steps of running
 * requests first, prefill of new ones with what capacity is left, FIFO admission up to
 * maxRunning. Above capacity requests wait, the queue grows and TTFT climbs. Counters follow
 * vLLM V1: prompt tokens count when a request's prefill completes, generation tokens as they
 * are produced, a finished request counts once by finished_reason.
 */
export class InferenceServer {
  readonly models: SimModelMetrics[];
  private readonly running: Request[] = [];
  private readonly waiting: Request[] = [];
  /** Share of the last step during which at least one request ran (nvidia-smi's duty cycle). */
  busyFraction = 0;
  /** Tokens delivered in the last step. */
  lastStepTokens = 0;

  constructor(private readonly options: InferenceServerOptions) {
    this.models = options.models.map((name) => ({
      name,
      promptTokens: 0,
      generationTokens: 0,
      requests: { stop: 0, length: 0, abort: 0, error: 0, repetition: 0 },
      preemptions: 0,
      running: 0,
      waiting: 0,
      kvCacheUsage: 0,
      ttft: emptyHistogram(TTFT_BUCKETS),
      e2e: emptyHistogram(E2E_BUCKETS),
    }));
  }

  submit(model: number, promptTokens: number, generationTokens: number, nowMs: number): void {
    this.waiting.push({
      model: this.models[model % this.models.length]!,
      arrivedMs: nowMs,
      promptTokens: Math.max(1, Math.round(promptTokens)),
      generationTokens: Math.max(1, Math.round(generationTokens)),
      prefilled: 0,
      generated: 0,
    });
  }

  /** Advances the server by dt seconds ending at nowMs. */
  step(dtSeconds: number, nowMs: number, random: Random): void {
    const { capacityTokensPerSecond, decodeTokensPerSecond, maxRunning } = this.options;
    while (this.running.length < maxRunning && this.waiting.length > 0) this.running.push(this.waiting.shift()!);
    const hadWork = this.running.length > 0;
    let budget = capacityTokensPerSecond * dtSeconds;

    // decode first, shared evenly when the budget cannot cover every sequence
    const decoding = this.running.filter((r) => r.prefilled === r.promptTokens);
    const wanted = decoding.map((r) => Math.min(r.generationTokens - r.generated, decodeTokensPerSecond * dtSeconds));
    const totalWanted = wanted.reduce((a, b) => a + b, 0);
    const scale = totalWanted > budget ? budget / totalWanted : 1;
    decoding.forEach((r, i) => {
      const tokens = wanted[i]! * scale;
      r.generated += tokens;
      r.model.generationTokens += tokens;
      budget -= tokens;
    });
    // then prefill, first come first served
    for (const r of this.running) {
      if (budget <= 0) break;
      if (r.prefilled >= r.promptTokens) continue;
      const tokens = Math.min(r.promptTokens - r.prefilled, budget);
      r.prefilled += tokens;
      budget -= tokens;
      if (r.prefilled >= r.promptTokens) {
        r.prefilled = r.promptTokens;
        r.model.promptTokens += r.promptTokens;
        r.firstTokenMs = nowMs;
        // steps spent waiting, plus the prefill itself at a prefill-speed GPU (~10k tok/s)
        const waited = Math.max(0, (nowMs - r.arrivedMs) / 1000 - dtSeconds);
        observe(r.model.ttft, TTFT_BUCKETS, waited + r.promptTokens / PREFILL_TOKENS_PER_SECOND + 0.02 + random.next() * 0.05);
      }
    }
    this.lastStepTokens = capacityTokensPerSecond * dtSeconds - budget;

    for (let i = this.running.length - 1; i >= 0; i--) {
      const r = this.running[i]!;
      if (r.prefilled === r.promptTokens && r.generated >= r.generationTokens - 1e-9) {
        this.running.splice(i, 1);
        const reason = random.next() < 0.12 ? 'length' : 'stop';
        r.model.requests[reason] = (r.model.requests[reason] ?? 0) + 1;
        observe(r.model.e2e, E2E_BUCKETS, (nowMs - r.arrivedMs) / 1000);
      }
    }
    // GPU duty cycle: busy whenever a request ran during the step
    this.busyFraction = hadWork ? 1 : 0;
    for (const m of this.models) {
      m.running = this.running.filter((r) => r.model === m).length;
      m.waiting = this.waiting.filter((r) => r.model === m).length;
      m.kvCacheUsage = Math.min(1, this.running.filter((r) => r.model === m).reduce((a, r) => a + r.prefilled + r.generated, 0) / 400_000);
    }
  }
}
