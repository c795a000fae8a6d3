import { readFileSync } from 'node:fs';
import { formatGoFloat } from './go-float.js';

/** Bucket bounds of vLLM's TTFT histogram (V1 and latest), seconds. */
export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0,
  2560.0,
] as const;
/** Bucket bounds of vLLM's end-to-end latency histogram (V1 and latest), seconds. */
export const E2E_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0] as const;

/** A histogram as vLLM keeps it: per-bucket (non-cumulative) counts in bound order, then +Inf. */
export interface SimHistogram {
  counts: number[];
  sum: number;
}

/** One served model's counters and gauges, as the simulator drives them. */
export interface SimModelMetrics {
  readonly name: string;
  promptTokens: number;
  generationTokens: number;
  /** Finished requests by finished_reason (stop, length, abort, error, repetition). */
  requests: Record<string, number>;
  preemptions: number;
  running: number;
  waiting: number;
  kvCacheUsage: number;
  ttft: SimHistogram;
  e2e: SimHistogram;
}

export interface SimVllmMetrics {
  /** Unix seconds; also the `_created` of every counter (a restart changes both). */
  processStartSeconds: number;
  models: SimModelMetrics[];
}

export function emptyHistogram(bounds: readonly number[]): SimHistogram {
  return { counts: new Array<number>(bounds.length + 1).fill(0), sum: 0 };
}

/** Adds one observation to a histogram. */
export function observe(h: SimHistogram, bounds: readonly number[], value: number): void {
  let i = bounds.findIndex((b) => value <= b);
  if (i < 0) i = bounds.length;
  h.counts[i] = (h.counts[i] ?? 0) + 1;
  h.sum += value;
}

interface TemplateLine {
  readonly text: string;
  /** For sample lines: name, raw label text and labels. */
  readonly sample?: { name: string; labelText: string; labels: Record<string, string> };
}

/** A family block of the template: its comment lines and its sample lines. */
interface TemplateFamily {
  readonly head: string[];
  readonly perModel: TemplateLine[];
  readonly shared: TemplateLine[];
}

let template: TemplateFamily[] | undefined;

/**
 * The newest vLLM layout (main @ 2026-07-24, see the file's header), loaded from the capture
 * shipped beside this module. Rendering reuses its exact lines, order, HELP texts and label sets,
 * so the double speaks the real format; only values and model names change.
 */
function loadTemplate(): TemplateFamily[] {
  if (template) return template;
  const text = readFileSync(new URL('../../src/simulator/vllm-latest.prom', import.meta.url), 'utf8');
  const families: TemplateFamily[] = [];
  let current: TemplateFamily | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      current = { head: [line], perModel: [], shared: [] };
      families.push(current);
    } else if (line.startsWith('#')) {
      if (current && line.startsWith('# TYPE ')) current.head.push(line);
      // provenance comments of the capture are not part of vLLM's output
    } else if (current) {
      const brace = line.indexOf('{');
      const space = line.lastIndexOf(' ');
      const name = brace >= 0 ? line.slice(0, brace) : line.slice(0, space);
      const labelText = brace >= 0 ? line.slice(brace + 1, line.lastIndexOf('}')) : '';
      const labels: Record<string, string> = {};
      for (const m of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]!] = m[2]!;
      const entry = { text: line, sample: { name, labelText, labels } };
      (labels['model_name'] !== undefined ? current.perModel : current.shared).push(entry);
    }
  }
  template = families;
  return families;
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/**
 * Renders `/metrics` as the newest vLLM prints it (text format 0.0.4) for the given state.
 * `keep` drops families none of whose samples it keeps (a fast path for in-process feeding).
 */
export function renderVllmMetrics(state: SimVllmMetrics, keep?: (sampleName: string) => boolean): string {
  const out: string[] = [];
  for (const family of loadTemplate()) {
    if (keep && ![...family.shared, ...family.perModel].some((l) => keep(l.sample!.name))) continue;
    out.push(...family.head);
    for (const line of family.shared) {
      const { name, labelText } = line.sample!;
      const value = name === 'process_start_time_seconds' ? state.processStartSeconds : undefined;
      out.push(value === undefined ? line.text : `${name}${labelText ? `{${labelText}}` : ''} ${formatGoFloat(value)}`);
    }
    for (const model of state.models) {
      for (const line of family.perModel) {
        const { name, labelText, labels } = line.sample!;
        const value = valueFor(name, labels, model, state.processStartSeconds);
        const renamed = labelText.replace(/model_name="(?:[^"\\]|\\.)*"/, `model_name="${escapeLabel(model.name)}"`);
        out.push(`${name}{${renamed}} ${value === undefined ? line.text.slice(line.text.lastIndexOf(' ') + 1) : formatGoFloat(value)}`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

function valueFor(name: string, labels: Record<string, string>, m: SimModelMetrics, start: number): number | undefined {
  if (name.endsWith('_created')) return start;
  switch (name) {
    case 'vllm:num_requests_running':
      return m.running;
    case 'vllm:num_requests_waiting':
      return m.waiting;
    case 'vllm:num_requests_waiting_by_reason':
      return labels['reason'] === 'capacity' ? m.waiting : 0;
    case 'vllm:kv_cache_usage_perc':
      return m.kvCacheUsage;
    // counters are whole tokens in vLLM; the simulator may hold fractions of a decode step
    case 'vllm:prompt_tokens_total':
      return Math.floor(m.promptTokens);
    case 'vllm:prompt_tokens_by_source_total':
      return labels['source'] === 'local_compute' ? Math.floor(m.promptTokens) : 0;
    case 'vllm:prompt_tokens_cached_total':
      return 0;
    case 'vllm:generation_tokens_total':
      return Math.floor(m.generationTokens);
    case 'vllm:request_success_total':
      return m.requests[labels['finished_reason'] ?? ''] ?? 0;
    case 'vllm:num_preemptions_total':
      return m.preemptions;
  }
  if (name.startsWith('vllm:time_to_first_token_seconds_')) return histogramValue(name, labels, m.ttft, TTFT_BUCKETS);
  if (name.startsWith('vllm:e2e_request_latency_seconds_')) return histogramValue(name, labels, m.e2e, E2E_BUCKETS);
  return undefined;
}

function histogramValue(name: string, labels: Record<string, string>, h: SimHistogram, bounds: readonly number[]): number | undefined {
  if (name.endsWith('_sum')) return h.sum;
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (name.endsWith('_count')) return total;
  if (!name.endsWith('_bucket')) return undefined;
  const le = labels['le'] === '+Inf' ? Infinity : Number(labels['le']);
  let cumulative = 0;
  for (let i = 0; i < h.counts.length; i++) {
    if ((bounds[i] ?? Infinity) <= le) cumulative += h.counts[i]!;
  }
  return cumulative;
}
