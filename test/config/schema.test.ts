import { describe, expect, test } from 'vitest';
import { childKeys, configFileSchema, configLeaves, leafByKey, valueFromText } from '../../src/config/schema.js';

const leaf = (key: string) => {
  const found = leafByKey.get(key);
  if (found === undefined) throw new Error(`no leaf ${key}`);
  return found;
};

describe('configLeaves', () => {
  test('the contract keys, in documentation order', () => {
    expect(configLeaves.map((l) => l.key)).toEqual([
      'vllm.targets',
      'vllm.timeout',
      'poll_interval',
      'nvidia_smi.path',
      'nvidia_smi.interval',
      'nvidia_smi.enabled',
      'gpu.indices',
      'gpu.hourly_cost_usd',
      'instance.hourly_cost_usd',
      'capacity.tokens_per_second',
      'ops.fte',
      'ops.annual_cost_usd',
      'api_prices.file',
      'api_prices.models',
      'api_prices.compare',
      'compare_to',
      'alert.break_even_utilization',
      'alert.ttft_seconds',
      'storage.path',
      'storage.save_interval',
      'web.listen_address',
      'web.telemetry_path',
      'web.config_file',
      'log.level',
      'log.format',
    ]);
  });

  test.each([
    ['poll_interval', 'poll-interval', 'LLM_COST_POLL_INTERVAL'],
    ['vllm.targets', 'vllm.targets', 'LLM_COST_VLLM_TARGETS'],
    ['gpu.hourly_cost_usd', 'gpu.hourly-cost-usd', 'LLM_COST_GPU_HOURLY_COST_USD'],
    ['capacity.tokens_per_second', 'capacity.tokens-per-second', 'LLM_COST_CAPACITY_TOKENS_PER_SECOND'],
    ['compare_to', 'compare-to', 'LLM_COST_COMPARE_TO'],
    ['api_prices.compare', 'api-prices.compare', 'LLM_COST_API_PRICES_COMPARE'],
    ['web.listen_address', 'web.listen-address', 'LLM_COST_WEB_LISTEN_ADDRESS'],
    ['web.config_file', 'web.config.file', 'LLM_COST_WEB_CONFIG_FILE'],
    ['api_prices.models', undefined, undefined],
  ])('%s: flag --%s, variable %s', (key, flag, env) => {
    expect(leaf(key).flag).toBe(flag);
    expect(leaf(key).env).toBe(env);
  });

  test('flags and variables are unique', () => {
    const flags = configLeaves.flatMap((l) => (l.flag === undefined ? [] : [l.flag]));
    const envs = configLeaves.flatMap((l) => (l.env === undefined ? [] : [l.env]));
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
  });

  test('every leaf has help, and every default passes its own schema', () => {
    for (const l of configLeaves) {
      expect(l.help.length, l.key).toBeGreaterThan(10);
      expect(l.help, l.key).not.toContain('\n');
      if (l.default !== undefined) expect(l.schema.safeParse(l.default).success, l.key).toBe(true);
    }
  });

  test('defaults as shown to users', () => {
    expect(Object.fromEntries(configLeaves.map((l) => [l.key, l.defaultText]))).toEqual({
      'vllm.targets': 'http://127.0.0.1:8000/metrics',
      'vllm.timeout': '80% of poll_interval, at most 10s',
      poll_interval: '5s',
      'nvidia_smi.path': 'nvidia-smi',
      'nvidia_smi.interval': '1s',
      'nvidia_smi.enabled': 'true',
      'gpu.indices': 'every GPU nvidia-smi reports',
      'gpu.hourly_cost_usd': undefined,
      'instance.hourly_cost_usd': undefined,
      'capacity.tokens_per_second': undefined,
      'ops.fte': '0',
      'ops.annual_cost_usd': '150000',
      'api_prices.file': undefined,
      'api_prices.models': 'none',
      'api_prices.compare': 'gpt-4o-mini,claude-haiku-4-5',
      compare_to: 'claude-3-5-haiku',
      'alert.break_even_utilization': '0.6',
      'alert.ttft_seconds': '1',
      'storage.path': './data',
      'storage.save_interval': '60s',
      'web.listen_address': ':9787',
      'web.telemetry_path': '/metrics',
      'web.config_file': undefined,
      'log.level': 'info',
      'log.format': 'json',
    });
  });

  test('childKeys', () => {
    expect(childKeys('')).toEqual(['vllm', 'poll_interval', 'nvidia_smi', 'gpu', 'instance', 'capacity', 'ops', 'api_prices', 'compare_to', 'alert', 'storage', 'web', 'log']);
    expect(childKeys('gpu')).toEqual(['indices', 'hourly_cost_usd']);
  });
});

describe('configFileSchema', () => {
  test('converts durations and keeps the nesting', () => {
    const parsed = configFileSchema.parse({ poll_interval: '1m', vllm: { timeout: '1.5s' }, gpu: { indices: [0, 2] } });
    expect(parsed).toEqual({ poll_interval: 60_000, vllm: { timeout: 1_500 }, gpu: { indices: [0, 2] } });
  });

  test('rejects unknown keys', () => {
    const result = configFileSchema.safeParse({ gpu: { hourly_cost: 1 } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['hourly_cost'], path: ['gpu'] });
  });
});

describe('valueFromText', () => {
  test.each([
    ['gpu.hourly_cost_usd', '3.2', 3.2],
    ['gpu.hourly_cost_usd', ' 3 ', 3],
    ['gpu.hourly_cost_usd', 'abc', 'abc'],
    ['gpu.hourly_cost_usd', 'Infinity', 'Infinity'],
    ['nvidia_smi.enabled', 'True', true],
    ['nvidia_smi.enabled', 'false', false],
    ['nvidia_smi.enabled', '1', '1'],
    ['vllm.targets', 'http://a, http://b,', ['http://a', 'http://b']],
    ['vllm.targets', '', []],
    ['gpu.indices', '0,1,x', [0, 1, 'x']],
    ['poll_interval', '5s', '5s'],
  ])('%s %j → %j', (key, text, value) => {
    expect(valueFromText(leaf(key), text)).toEqual(value);
  });
});
