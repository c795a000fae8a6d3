import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition } from '../../../src/sources/exposition/parse.js';
import { keepVllmSample, readVllm, type VllmReading } from '../../../src/sources/vllm/vllm-reading.js';

const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/vllm/${name}`, import.meta.url), 'utf8');
const read = (text: string) => readVllm(parseExposition(text, { keep: keepVllmSample }));
const counter = (r: VllmReading, kind: string, extra: Record<string, string> = {}) =>
  r.counters.filter((c) => c.kind === kind && Object.entries(extra).every(([k, v]) => (c as unknown as Record<string, string>)[k] === v));
const sum = (r: VllmReading, kind: string, extra: Record<string, string> = {}) => counter(r, kind, extra).reduce((a, c) => a + c.value, 0);

describe('readVllm on the captured layouts', () => {
  it('latest (main 2026-07): counters, created, gauges, TTFT histogram', () => {
    const r = read(fixture('latest.prom'));
    expect(r.processStartTimeSeconds).toBe(1.78505280391e9);
    expect(sum(r, 'prompt_tokens')).toBe(2_090_876);
    expect(sum(r, 'generation_tokens')).toBe(503_437);
    expect(sum(r, 'request_success', { reason: 'stop' })).toBe(3638);
    expect(sum(r, 'request_success', { reason: 'length' })).toBe(542);
    expect(counter(r, 'request_success').map((c) => c.reason).sort()).toEqual(['abort', 'error', 'length', 'repetition', 'stop']);
    expect(sum(r, 'preemptions')).toBe(9);
    expect(counter(r, 'prompt_tokens')[0]!.created).toBe(1.7850528426800988e9);
    expect(r.models[MODEL]).toEqual({ running: 7, waiting: 2, kvCacheUsageRatio: 0.006228443224056524 });
    expect(sum(r, 'ttft_count')).toBe(4187);
    expect(sum(r, 'ttft_sum')).toBeCloseTo(888.8916898644131, 9);
    const buckets = counter(r, 'ttft_bucket');
    expect(buckets.at(-1)!.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(4187);
    expect(buckets.map((b) => b.le)).toContain('2560');
    expect(buckets.every((b) => b.created === counter(r, 'ttft_count')[0]!.created)).toBe(true);
  });

  it('v0.10 (V1 engine): the kv_cache name wins over the deprecated gpu_cache one', () => {
    const r = read(fixture('v0.10-v1-engine.prom'));
    expect(r.processStartTimeSeconds).toBe(1.75534921037e9);
    expect(sum(r, 'prompt_tokens')).toBe(2_090_037);
    expect(sum(r, 'generation_tokens')).toBe(514_366);
    expect(sum(r, 'request_success', { reason: 'stop' })).toBe(3623);
    expect(sum(r, 'request_success', { reason: 'length' })).toBe(557);
    expect(sum(r, 'preemptions')).toBe(12);
    expect(sum(r, 'ttft_sum')).toBeCloseTo(806.179715896711, 9);
    expect(counter(r, 'prompt_tokens')[0]!.created).toBe(1.7553492521900747e9);
    expect(r.models[MODEL]).toEqual({ running: 7, waiting: 2, kvCacheUsageRatio: 0.011982009819068218 });
  });

  it('v0.6 (V0, multiprocess): no identity, only the reasons seen, gpu_cache as the KV fraction', () => {
    const r = read(fixture('v0.6-v0-engine.prom'));
    expect(r.processStartTimeSeconds).toBeUndefined();
    expect(r.counters.every((c) => c.created === undefined)).toBe(true);
    expect(sum(r, 'prompt_tokens')).toBe(2_112_803);
    expect(sum(r, 'generation_tokens')).toBe(504_133);
    expect(counter(r, 'request_success').map((c) => c.reason).sort()).toEqual(['length', 'stop']);
    expect(sum(r, 'request_success', { reason: 'stop' })).toBe(3655);
    expect(sum(r, 'preemptions')).toBe(12);
    expect(sum(r, 'ttft_sum')).toBeCloseTo(859.6300603785605, 9);
    expect(counter(r, 'ttft_bucket', { le: '0.1' })[0]!.value).toBe(3129);
    expect(r.models[MODEL]).toEqual({ running: 7, waiting: 2, kvCacheUsageRatio: 0.007135238515576152 });
  });
});

describe('readVllm semantics', () => {
  const dp = `# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} 100.0
vllm:prompt_tokens_total{engine="1",model_name="m"} 50.0
vllm:prompt_tokens_total{engine="0",model_name="other \\"quoted\\""} 7.0
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 3.0
vllm:num_requests_running{engine="1",model_name="m"} 4.0
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="m",pid="11"} 0.2
vllm:kv_cache_usage_perc{engine="1",model_name="m",pid="12"} 0.6
`;

  it('keeps data-parallel engines apart as series, sums queues and averages the KV fraction', () => {
    const r = read(dp);
    expect(counter(r, 'prompt_tokens', { model: 'm' }).map((c) => c.value)).toEqual([100, 50]);
    expect(new Set(counter(r, 'prompt_tokens').map((c) => c.key)).size).toBe(3);
    expect(counter(r, 'prompt_tokens', { model: 'other "quoted"' })[0]!.value).toBe(7);
    expect(r.models['m']).toEqual({ running: 7, waiting: 0, kvCacheUsageRatio: 0.4 });
  });

  it('reads the OpenMetrics form (inline _created, # EOF)', () => {
    const om = `# TYPE vllm:generation_tokens counter
vllm:generation_tokens_total{model_name="m"} 42.0
vllm:generation_tokens_created{model_name="m"} 1.7e+09
# EOF
`;
    const r = read(om);
    expect(counter(r, 'generation_tokens')[0]).toMatchObject({ value: 42, created: 1.7e9 });
  });

  it('ignores non-finite counter values instead of counting them', () => {
    const r = read('vllm:prompt_tokens_total{model_name="m"} NaN\nvllm:generation_tokens_total{model_name="m"} +Inf\n');
    expect(r.counters).toEqual([]);
  });
});
