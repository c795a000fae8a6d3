import type { ParsedExposition, Sample } from '../exposition/parse.js';

/** The vLLM counters the accounting follows. */
export type CounterKind =
  | 'prompt_tokens'
  | 'generation_tokens'
  | 'request_success'
  | 'preemptions'
  | 'ttft_bucket'
  | 'ttft_count'
  | 'ttft_sum';

/** One raw counter series (one engine, one label set), before summing over engines. */
export interface CounterSeries {
  /** Identity of the series across polls: kind and every label. */
  readonly key: string;
  readonly kind: CounterKind;
  readonly model: string;
  /** `finished_reason` of request_success. */
  readonly reason?: string;
  /** Normalised `le` of a TTFT bucket (`0.1`, `1`, `+Inf`). */
  readonly le?: string;
  readonly value: number;
  /** The series' `_created` timestamp (seconds), when vLLM exposes one: a change means a restart. */
  readonly created?: number;
}

/** Current state of one model, summed (queues) or averaged (KV-cache fraction) over engines. */
export interface ModelGauges {
  running: number;
  waiting: number;
  kvCacheUsageRatio?: number;
}

/** What one poll of a vLLM `/metrics` says, reduced to what the exporter uses. */
export interface VllmReading {
  readonly processStartTimeSeconds?: number;
  readonly counters: readonly CounterSeries[];
  readonly models: Readonly<Record<string, ModelGauges>>;
}

const COUNTERS: Readonly<Record<string, CounterKind>> = {
  'vllm:prompt_tokens_total': 'prompt_tokens',
  'vllm:generation_tokens_total': 'generation_tokens',
  'vllm:request_success_total': 'request_success',
  'vllm:num_preemptions_total': 'preemptions',
  'vllm:time_to_first_token_seconds_bucket': 'ttft_bucket',
  'vllm:time_to_first_token_seconds_count': 'ttft_count',
  'vllm:time_to_first_token_seconds_sum': 'ttft_sum',
};

/** The `_created` family of each counter family (prometheus_client names it after the base). */
const CREATED: Readonly<Record<string, CounterKind[]>> = {
  'vllm:prompt_tokens_created': ['prompt_tokens'],
  'vllm:generation_tokens_created': ['generation_tokens'],
  'vllm:request_success_created': ['request_success'],
  'vllm:num_preemptions_created': ['preemptions'],
  'vllm:time_to_first_token_seconds_created': ['ttft_bucket', 'ttft_count', 'ttft_sum'],
};

const RUNNING = 'vllm:num_requests_running';
const WAITING = 'vllm:num_requests_waiting';
// renamed in v0.9.2 and the old name removed in v0.12: read the new one, fall back to the old
const KV_CACHE = 'vllm:kv_cache_usage_perc';
const KV_CACHE_OLD = 'vllm:gpu_cache_usage_perc';
const PROCESS_START = 'process_start_time_seconds';

const WANTED = new Set([
  ...Object.keys(COUNTERS),
  ...Object.keys(CREATED),
  RUNNING,
  WAITING,
  KV_CACHE,
  KV_CACHE_OLD,
  PROCESS_START,
]);

/** Parser filter: only these samples have their labels decoded (the rest of ~80 families is skipped). */
export const keepVllmSample = (name: string): boolean => WANTED.has(name);

/** vLLM labels every series with `model_name` (the first --served-model-name). */
const modelOf = (s: Sample): string => s.labels['model_name'] ?? 'unknown';

/**
 * Reduces a parsed vLLM exposition (V0, V1, latest; text or OpenMetrics; single or multiprocess)
 * to the counters and gauges the exporter follows. Pure.
 */
export function readVllm(parsed: ParsedExposition): VllmReading {
  const created = new Map<string, number>();
  let processStartTimeSeconds: number | undefined;
  for (const s of parsed.samples) {
    const kinds = CREATED[s.name];
    if (kinds) for (const kind of kinds) created.set(seriesKey(kind, s.labels, 'le'), s.value);
    else if (s.name === PROCESS_START && Number.isFinite(s.value)) processStartTimeSeconds = s.value;
  }

  const counters: CounterSeries[] = [];
  const models: Record<string, ModelGauges> = {};
  const kv: Record<string, { sum: number; n: number; legacy: boolean }> = {};
  for (const s of parsed.samples) {
    const kind = COUNTERS[s.name];
    if (kind) {
      if (!Number.isFinite(s.value)) continue;
      const le = kind === 'ttft_bucket' ? normaliseLe(s.labels['le']) : undefined;
      if (kind === 'ttft_bucket' && le === undefined) continue;
      const c = created.get(seriesKey(kind, s.labels, 'le'));
      const reason = kind === 'request_success' ? (s.labels['finished_reason'] ?? 'unknown') : undefined;
      counters.push({
        key: seriesKey(kind, s.labels),
        kind,
        model: modelOf(s),
        value: s.value,
        ...(reason !== undefined && { reason }),
        ...(le !== undefined && { le }),
        ...(c !== undefined && { created: c }),
      });
      continue;
    }
    if (!Number.isFinite(s.value)) continue;
    if (s.name === RUNNING || s.name === WAITING) {
      const m = (models[modelOf(s)] ??= { running: 0, waiting: 0 });
      if (s.name === RUNNING) m.running += s.value;
      else m.waiting += s.value;
    } else if (s.name === KV_CACHE || s.name === KV_CACHE_OLD) {
      const legacy = s.name === KV_CACHE_OLD;
      const acc = kv[modelOf(s)];
      // V1 before v0.12 prints both names: the new one wins
      if (!acc || (acc.legacy && !legacy)) kv[modelOf(s)] = { sum: s.value, n: 1, legacy };
      else if (acc.legacy === legacy) {
        acc.sum += s.value;
        acc.n++;
      }
    }
  }
  for (const model in kv) {
    const { sum, n } = kv[model]!;
    (models[model] ??= { running: 0, waiting: 0 }).kvCacheUsageRatio = sum / n;
  }
  return { ...(processStartTimeSeconds !== undefined && { processStartTimeSeconds }), counters, models };
}

/** Stable identity of a series: its kind and all its labels (sorted), optionally without one. */
function seriesKey(kind: string, labels: Readonly<Record<string, string>>, without?: string): string {
  let key = kind;
  for (const name of Object.keys(labels).sort()) {
    if (name !== without) key += `\u0000${name}=${labels[name]}`;
  }
  return key;
}

/** `1.0`, `1` and `1e+00` are one bucket bound. */
function normaliseLe(le: string | undefined): string | undefined {
  if (le === undefined) return undefined;
  if (le === '+Inf' || le === 'Inf') return '+Inf';
  const n = Number(le);
  return Number.isFinite(n) ? String(n) : undefined;
}
