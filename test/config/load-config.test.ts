import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadConfigInput } from '../../src/config/load-config.js';

const COST = { LLM_COST_GPU_HOURLY_COST_USD: '3.2' };

function tempYaml(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'llm-cost-config-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function errorLine(input: LoadConfigInput): string {
  try {
    loadConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('defaults', () => {
  test('only a GPU cost given: every other key has its documented default', () => {
    const config = loadConfig({ env: {}, flags: { 'gpu.hourly-cost-usd': '3.2' } });
    expect(config).toMatchObject({
      vllm: { targets: ['http://127.0.0.1:8000/metrics'], timeout: 4_000 },
      poll_interval: 5_000,
      nvidia_smi: { path: 'nvidia-smi', interval: 1_000, enabled: true },
      gpu: { hourly_cost_usd: 3.2 },
      instance: {},
      capacity: {},
      ops: { fte: 0, annual_cost_usd: 150_000 },
      api_prices: { models: [], compare: ['gpt-4o-mini', 'claude-haiku-4-5'] },
      compare_to: 'claude-3-5-haiku',
      alert: { break_even_utilization: 0.6, ttft_seconds: 1 },
      storage: { path: './data' },
      web: { listen_address: ':9787', telemetry_path: '/metrics' },
      log: { level: 'info', format: 'json' },
    });
    expect('indices' in config.gpu).toBe(false);
    expect('file' in config.api_prices).toBe(false);
    expect('config_file' in config.web).toBe(false);
    expect('tokens_per_second' in config.capacity).toBe(false);
    expect(config.api_prices.table.get('claude-3-5-haiku')).toMatchObject({ input_usd_per_mtok: 0.8, output_usd_per_mtok: 4 });
  });

  test.each([
    ['500ms', 400],
    ['5s', 4_000],
    ['12500ms', 10_000],
    ['1m', 10_000],
    ['1s', 800],
  ])('vllm.timeout defaults to 80%% of poll_interval %s, at most 10s: %d ms', (poll, timeout) => {
    const config = loadConfig({ env: { ...COST, LLM_COST_POLL_INTERVAL: poll }, flags: {} });
    expect(config.vllm.timeout).toBe(timeout);
  });

  test('an explicit vllm.timeout equal to poll_interval is accepted', () => {
    const config = loadConfig({ env: COST, flags: { 'vllm.timeout': '5s' } });
    expect(config.vllm.timeout).toBe(5_000);
  });

  test('instance.hourly_cost_usd alone is enough', () => {
    const config = loadConfig({ env: { LLM_COST_INSTANCE_HOURLY_COST_USD: '25.6' }, flags: {} });
    expect(config.instance.hourly_cost_usd).toBe(25.6);
    expect('hourly_cost_usd' in config.gpu).toBe(false);
  });

  test('an empty file and a section with its keys commented out are fine', () => {
    const file = tempYaml('# nothing yet\ninstance:\n#  hourly_cost_usd: 25.6\n');
    expect(loadConfig({ file, env: COST, flags: {} }).gpu.hourly_cost_usd).toBe(3.2);
    expect(loadConfig({ file: tempYaml(''), env: COST, flags: {} }).poll_interval).toBe(5_000);
  });
});

describe('the full sample file', () => {
  const config = loadConfig({ file: 'test/fixtures/config/good-full.yaml', env: {}, flags: {} });

  test('every key is read', () => {
    expect(config).toMatchObject({
      vllm: { targets: ['http://127.0.0.1:8000/metrics', 'https://vllm-b.internal:8443/metrics'], timeout: 2_000 },
      poll_interval: 5_000,
      nvidia_smi: { path: 'test/fixtures/bin/nvidia-smi', interval: 500, enabled: true },
      gpu: { indices: [0, 1], hourly_cost_usd: 3.2 },
      capacity: { tokens_per_second: 1975.3 },
      ops: { fte: 0.2, annual_cost_usd: 150_000 },
      api_prices: {
        models: [{ id: 'my-api', input_usd_per_mtok: 0.4, output_usd_per_mtok: 1.6, cached_input_usd_per_mtok: 0.04 }],
        compare: ['gpt-4o-mini', 'claude-haiku-4-5', 'my-api'],
      },
      compare_to: 'claude-3-5-haiku',
      storage: { path: '/var/lib/llm-cost' },
      web: { listen_address: '0.0.0.0:9787', telemetry_path: '/metrics' },
      log: { level: 'debug', format: 'logfmt' },
    });
  });

  test('companion files are found beside the config file', () => {
    expect(config.api_prices.file).toBe('test/fixtures/config/prices-ours.json');
    expect(config.web.config_file).toBe('test/fixtures/config/web-config.yml');
  });

  test('price table: bundled, then the file, then inline entries', () => {
    const table = config.api_prices.table;
    expect(table.get('gpt-4o-mini')).toEqual({ id: 'gpt-4o-mini', input_usd_per_mtok: 0.2, output_usd_per_mtok: 0.8 });
    expect(table.get('file-model')).toEqual({ id: 'file-model', input_usd_per_mtok: 1.5, output_usd_per_mtok: 3, provider: 'acme' });
    expect(table.get('my-api')?.cached_input_usd_per_mtok).toBe(0.04);
    expect(table.get('claude-haiku-4-5')?.input_usd_per_mtok).toBe(1);
    expect(table.size).toBe(38);
  });

  test('the result is deeply frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.vllm.targets)).toBe(true);
    expect(Object.isFrozen(config.api_prices.models[0])).toBe(true);
    expect(() => {
      (config.vllm.targets as string[]).push('http://x/metrics');
    }).toThrow(TypeError);
    expect(() => {
      (config.api_prices.table as Map<string, unknown>).set('x', {});
    }).toThrow(TypeError);
    expect(() => {
      (config.api_prices.table as Map<string, unknown>).delete('gpt-4o');
    }).toThrow(TypeError);
    expect(config.api_prices.table.has('gpt-4o')).toBe(true);
  });
});

describe('precedence: file < env < flags', () => {
  const file = tempYaml('poll_interval: 10s\ngpu:\n  hourly_cost_usd: 1.5\nlog:\n  level: warn\nvllm:\n  targets: ["http://file/metrics"]\n');

  test('file alone', () => {
    const config = loadConfig({ file, env: {}, flags: {} });
    expect([config.poll_interval, config.gpu.hourly_cost_usd, config.log.level, config.vllm.targets]).toEqual([
      10_000,
      1.5,
      'warn',
      ['http://file/metrics'],
    ]);
  });

  test('env overrides the file', () => {
    const config = loadConfig({
      file,
      env: { LLM_COST_POLL_INTERVAL: '2s', LLM_COST_GPU_HOURLY_COST_USD: '2.5', LLM_COST_VLLM_TARGETS: 'http://env/metrics' },
      flags: {},
    });
    expect([config.poll_interval, config.gpu.hourly_cost_usd, config.log.level, config.vllm.targets]).toEqual([
      2_000,
      2.5,
      'warn',
      ['http://env/metrics'],
    ]);
  });

  test('flags override env and file; lists are replaced, not appended', () => {
    const config = loadConfig({
      file,
      env: { LLM_COST_POLL_INTERVAL: '2s', LLM_COST_GPU_HOURLY_COST_USD: '2.5', LLM_COST_VLLM_TARGETS: 'http://env/metrics' },
      flags: { 'poll-interval': '1s', 'vllm.targets': ['http://flag-a/metrics', 'http://flag-b/metrics'] },
    });
    expect([config.poll_interval, config.gpu.hourly_cost_usd, config.log.level, config.vllm.targets]).toEqual([
      1_000,
      2.5,
      'warn',
      ['http://flag-a/metrics', 'http://flag-b/metrics'],
    ]);
  });

  test('flags may also be keyed by leaf key', () => {
    expect(loadConfig({ file, env: {}, flags: { poll_interval: '3s' } }).poll_interval).toBe(3_000);
  });

  test('a relative api_prices.file from env or flags is relative to the working directory', () => {
    const config = loadConfig({ env: { ...COST, LLM_COST_API_PRICES_FILE: 'test/fixtures/prices/ours-sample.json' }, flags: {} });
    expect(config.api_prices.file).toBe('test/fixtures/prices/ours-sample.json');
    expect(config.api_prices.table.get('acme-large')?.output_usd_per_mtok).toBe(6);
  });
});

describe('environment variables', () => {
  test('values are coerced per key', () => {
    const config = loadConfig({
      env: {
        ...COST,
        LLM_COST_VLLM_TARGETS: 'http://a/metrics, http://b/metrics,',
        LLM_COST_GPU_INDICES: '0,1, 3',
        LLM_COST_NVIDIA_SMI_ENABLED: 'FALSE',
        LLM_COST_CAPACITY_TOKENS_PER_SECOND: '1975.3',
        LLM_COST_OPS_FTE: '0.2',
        LLM_COST_COMPARE_TO: 'gpt-4o',
        LLM_COST_API_PRICES_COMPARE: 'gpt-5,o4-mini',
        LLM_COST_WEB_LISTEN_ADDRESS: '[::1]:9999',
        LLM_COST_LOG_FORMAT: 'logfmt',
        LLM_COST_ALERT_BREAK_EVEN_UTILIZATION: '1',
        PATH: '/usr/bin',
        LLM_COST_LONG_TESTS: '1',
        LLM_COST_CONFIG: 'read-by-the-cli.yaml',
      },
      flags: {},
    });
    expect(config.vllm.targets).toEqual(['http://a/metrics', 'http://b/metrics']);
    expect(config.gpu.indices).toEqual([0, 1, 3]);
    expect(config.nvidia_smi.enabled).toBe(false);
    expect(config.capacity.tokens_per_second).toBe(1975.3);
    expect(config.ops.fte).toBe(0.2);
    expect(config.compare_to).toBe('gpt-4o');
    expect(config.api_prices.compare).toEqual(['gpt-5', 'o4-mini']);
    expect(config.web.listen_address).toBe('[::1]:9999');
    expect(config.log.format).toBe('logfmt');
    expect(config.alert.break_even_utilization).toBe(1);
  });

  test('an empty list variable is the empty list (GPU-only accounting)', () => {
    expect(loadConfig({ env: { ...COST, LLM_COST_VLLM_TARGETS: '' }, flags: {} }).vllm.targets).toEqual([]);
  });

  test.each([
    [{ LLM_COST_GPU_HOURLY_COST_USD: 'abc' }, 'config error: gpu.hourly_cost_usd (from LLM_COST_GPU_HOURLY_COST_USD): expected a number, got "abc"'],
    [{ LLM_COST_GPU_HOURLY_COST_USD: '' }, 'config error: gpu.hourly_cost_usd (from LLM_COST_GPU_HOURLY_COST_USD): expected a number, got ""'],
    [{ ...COST, LLM_COST_POLL_INTERVAL: 'five' }, 'config error: poll_interval (from LLM_COST_POLL_INTERVAL): expected a duration like 500ms, 5s or 1m, got "five"'],
    [{ ...COST, LLM_COST_POLL_INTERVAL: '5' }, 'config error: poll_interval (from LLM_COST_POLL_INTERVAL): expected a duration like 500ms, 5s or 1m, got "5": add a unit (5s or 5ms)'],
    [{ ...COST, LLM_COST_GPU_INDICES: '0,x' }, 'config error: gpu.indices[1] (from LLM_COST_GPU_INDICES): expected a GPU index (a non-negative integer), got "x"'],
    [{ ...COST, LLM_COST_GPU_INDICES: '0,1.5' }, 'config error: gpu.indices[1] (from LLM_COST_GPU_INDICES): expected a GPU index (a non-negative integer), got 1.5'],
    [{ ...COST, LLM_COST_VLLM_TARGETS: 'http://a/metrics,localhost:8000' }, 'config error: vllm.targets[1] (from LLM_COST_VLLM_TARGETS): expected an http(s) URL, got "localhost:8000"'],
    [{ ...COST, LLM_COST_NVIDIA_SMI_ENABLED: 'yes' }, 'config error: nvidia_smi.enabled (from LLM_COST_NVIDIA_SMI_ENABLED): expected true or false, got "yes"'],
    [{ ...COST, LLM_COST_POLL_INTERVALL: '5s' }, 'config error: LLM_COST_POLL_INTERVALL: unknown environment variable; did you mean LLM_COST_POLL_INTERVAL?'],
    [{ ...COST, LLM_COST_SOMETHING_ELSE: '1' }, 'config error: LLM_COST_SOMETHING_ELSE: unknown environment variable (see --help for the list)'],
    [{ ...COST, LLM_COST_API_PRICES_MODELS: '[]' }, 'config error: LLM_COST_API_PRICES_MODELS: api_prices.models can only be set in the config file'],
    [{ ...COST, LLM_COST_INSTANCE_HOURLY_COST_USD: '25' }, 'config error: gpu.hourly_cost_usd (from LLM_COST_GPU_HOURLY_COST_USD): set either gpu.hourly_cost_usd (per GPU) or instance.hourly_cost_usd (whole host), not both'],
    [{ ...COST, LLM_COST_VLLM_TIMEOUT: '6s' }, 'config error: vllm.timeout (from LLM_COST_VLLM_TIMEOUT): must not exceed poll_interval (5s), got 6s'],
    [{ ...COST, LLM_COST_API_PRICES_FILE: 'nope.json' }, 'config error: api_prices.file (from LLM_COST_API_PRICES_FILE): nope.json: cannot read the file (ENOENT)'],
  ])('%j → %s', (env, line) => {
    expect(errorLine({ env, flags: {} })).toBe(line);
  });

  test('an unknown API model from a variable names the variable', () => {
    expect(errorLine({ env: { ...COST, LLM_COST_API_PRICES_COMPARE: 'gpt-4o,nope' }, flags: {} })).toMatch(
      /^config error: api_prices\.compare\[1\] \(from LLM_COST_API_PRICES_COMPARE\): unknown API model "nope"; known: /,
    );
  });
});

describe('flags', () => {
  test.each([
    [{ 'gpu.hourly-cost-usd': 'abc' }, 'config error: gpu.hourly_cost_usd (from --gpu.hourly-cost-usd): expected a number, got "abc"'],
    [{ 'gpu.hourly-cost-usd': '-3' }, 'config error: gpu.hourly_cost_usd (from --gpu.hourly-cost-usd): must be greater than 0, got -3'],
    [{ 'gpu.hourly-cost-usd': '3', 'vllm.targets': ['http://a/metrics', 'http://b/metrics,ftp://c'] }, 'config error: vllm.targets[2] (from --vllm.targets): expected an http(s) URL, got "ftp://c"'],
    [{ 'gpu.hourly-cost-usd': '3', 'compare-to': 'gpt4o' }, /^config error: compare_to \(from --compare-to\): unknown API model "gpt4o" \(did you mean gpt-4o\?\); known: /],
    [{ 'gpu.hourly-cost-usd': '3', 'log.level': 'trace' }, 'config error: log.level (from --log.level): expected one of debug, info, warn, error, got "trace"'],
    [{ 'gpu.hourly-cost-usd': '3', 'web.config.file': '' }, 'config error: web.config_file (from --web.config.file): must not be empty'],
    [{ 'gpu.hourly-cost-usd': '3', 'poll-interval': true }, 'config error: poll_interval (from --poll-interval): expects a value (<duration>)'],
    [{ 'gpu.hourly-cost-usd': '3', 'poll-intervall': '5s' }, 'config error: --poll-intervall: unknown flag'],
  ])('%j → %s', (flags, line) => {
    const message = errorLine({ env: {}, flags });
    if (typeof line === 'string') expect(message).toBe(line);
    else expect(message).toMatch(line);
  });

  test('per-GPU pricing without nvidia-smi needs gpu.indices', () => {
    expect(errorLine({ env: COST, flags: { 'nvidia-smi.enabled': false } })).toBe(
      'config error: gpu.indices: required with gpu.hourly_cost_usd when nvidia_smi.enabled is false (which GPUs to bill?); or set instance.hourly_cost_usd',
    );
  });

  test('booleans: true, false and their text forms', () => {
    const indexed = { ...COST, LLM_COST_GPU_INDICES: '0' };
    expect(loadConfig({ env: indexed, flags: { 'nvidia-smi.enabled': false } }).nvidia_smi.enabled).toBe(false);
    expect(loadConfig({ env: indexed, flags: { 'nvidia-smi.enabled': 'false' } }).nvidia_smi.enabled).toBe(false);
    expect(loadConfig({ env: { ...COST, LLM_COST_NVIDIA_SMI_ENABLED: 'false' }, flags: { 'nvidia-smi.enabled': true } }).nvidia_smi.enabled).toBe(true);
  });

  test('--config and --config.check are not configuration keys', () => {
    const config = loadConfig({ env: COST, flags: { config: 'x.yaml', 'config.check': true, 'capacity.tokens-per-second': '1975.3' } });
    expect(config.capacity.tokens_per_second).toBe(1975.3);
  });
});

describe('files', () => {
  test('an unreadable file names it', () => {
    expect(errorLine({ file: 'test/fixtures/config/missing.yaml', env: COST, flags: {} })).toBe(
      'config error: config: cannot read test/fixtures/config/missing.yaml (ENOENT)',
    );
  });

  test('a YAML syntax error gives the line and column', () => {
    const file = tempYaml('gpu:\n  hourly_cost_usd: 3.2\nvllm: [http://a/metrics\n');
    expect(errorLine({ file, env: {}, flags: {} })).toMatch(new RegExp(`^config error: config: ${file.replace(/[.\\]/g, '\\$&')}:\\d+:\\d+: \\S`));
  });

  test('an absolute api_prices.file is kept as is', () => {
    const prices = join(process.cwd(), 'test/fixtures/prices/litellm-sample.json');
    const config = loadConfig({ file: tempYaml(`gpu: {hourly_cost_usd: 3}\napi_prices: {file: ${prices}}\n`), env: {}, flags: {} });
    expect(config.api_prices.file).toBe(prices);
    expect(config.api_prices.table.get('us.anthropic.claude-3-5-haiku-20241022-v1:0')?.input_usd_per_mtok).toBe(0.8);
  });

  test('inline models override the file and the bundled table, and may be compared', () => {
    const file = tempYaml(
      [
        'gpu: {hourly_cost_usd: 3.2}',
        'api_prices:',
        '  file: ' + join(process.cwd(), 'test/fixtures/prices/ours-sample.json'),
        '  models:',
        '    - {id: claude-3-5-haiku, input_usd_per_mtok: 0.9, output_usd_per_mtok: 4.5}',
        '  compare: [acme-large]',
        'compare_to: claude-3-5-haiku',
      ].join('\n'),
    );
    const config = loadConfig({ file, env: {}, flags: {} });
    expect(config.api_prices.table.get('claude-3-5-haiku')).toEqual({ id: 'claude-3-5-haiku', input_usd_per_mtok: 0.9, output_usd_per_mtok: 4.5 });
    expect(config.api_prices.table.get('acme-large')?.cached_input_usd_per_mtok).toBe(0.5);
    expect(config.api_prices.compare).toEqual(['acme-large']);
  });
});
