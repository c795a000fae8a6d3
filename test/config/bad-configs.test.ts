import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

const DIR = 'test/fixtures/config';
const KNOWN =
  'known: claude-3-5-haiku, claude-3-5-sonnet, claude-3-7-sonnet, claude-3-haiku, claude-haiku-4-5, claude-opus-4-1, ' +
  'claude-opus-4-5, claude-sonnet-4, claude-sonnet-4-5, claude-sonnet-4-6 and 26 more; add others under api_prices.models or api_prices.file';

/** Each bad file and the one line it must produce (paths are relative to the repository root). */
const EXPECTED: Record<string, string> = {
  'bad-both-costs.yaml':
    'config error: gpu.hourly_cost_usd: set either gpu.hourly_cost_usd (per GPU) or instance.hourly_cost_usd (whole host), not both',
  'bad-break-even.yaml': 'config error: alert.break_even_utilization: must be above 0 and at most 1, got 60',
  'bad-compare-list.yaml': `config error: api_prices.compare[1]: unknown API model "no-such-model"; ${KNOWN}`,
  'bad-compare-to.yaml': `config error: compare_to: unknown API model "gpt4o" (did you mean gpt-4o?); ${KNOWN}`,
  'bad-cost-string.yaml': 'config error: gpu.hourly_cost_usd: expected a number, got "3.20"',
  'bad-dotted-key.yaml':
    'config error: gpu.hourly_cost_usd: unknown key; YAML keys are nested: write "gpu:" and, indented below it, "hourly_cost_usd:"',
  'bad-duration-null.yaml': 'config error: poll_interval: expected a duration like 500ms, 5s or 1m, got nothing',
  'bad-duration-number.yaml': 'config error: poll_interval: expected a duration like 500ms, 5s or 1m, got 5: add a unit (5s or 5ms)',
  'bad-duration-word.yaml': 'config error: poll_interval: expected a duration like 500ms, 5s or 1m, got "five"',
  'bad-duration-zero.yaml': 'config error: nvidia_smi.interval: must be longer than 0s, got "0s"',
  'bad-enabled.yaml': 'config error: nvidia_smi.enabled: expected true or false, got "yes"',
  'bad-gpu-indices-empty.yaml': 'config error: gpu.indices: must list at least one GPU (leave it unset to watch every GPU)',
  'bad-gpu-indices.yaml': 'config error: gpu.indices[1]: expected a GPU index (a non-negative integer), got -1',
  'bad-listen-address.yaml': 'config error: web.listen_address: expected host:port or :port, got "9787"',
  'bad-log-level.yaml': 'config error: log.level: expected one of debug, info, warn, error, got "verbose"',
  'bad-negative-cost.yaml': 'config error: gpu.hourly_cost_usd: must be greater than 0, got -1',
  'bad-no-cost.yaml':
    'config error: gpu.hourly_cost_usd: set the hourly cost of one GPU (gpu.hourly_cost_usd) or of the whole host (instance.hourly_cost_usd)',
  'bad-ops-fte.yaml': 'config error: ops.fte: must be between 0 and 10, got 25',
  'bad-price-entry-bounds.yaml':
    'config error: api_prices.models[1].output_usd_per_mtok: must be between 0 and 1000 USD per million tokens, got 1600',
  'bad-price-entry-duplicate.yaml': 'config error: api_prices.models[1].id: duplicate id "my-api" (also at [0])',
  'bad-price-entry-key.yaml':
    'config error: api_prices.models[0].input_usd: unknown key; did you mean api_prices.models[0].input_usd_per_mtok?',
  'bad-price-entry-missing.yaml':
    'config error: api_prices.models[0].output_usd_per_mtok: expected a price in USD per million tokens, got nothing',
  'bad-price-file-invalid.yaml':
    'config error: api_prices.file: test/fixtures/prices/litellm-out-of-bounds.json: "broken-model".input_cost_per_token: ' +
    '0.15 USD per token (150000 per million) is outside 0..1000 USD per million tokens',
  'bad-price-file-missing.yaml': 'config error: api_prices.file: test/fixtures/config/no-such-prices.json: cannot read the file (ENOENT)',
  'bad-section-not-mapping.yaml': 'config error: vllm: expected a mapping, got a list',
  'bad-target-duplicate.yaml': 'config error: vllm.targets[1]: listed twice (also at [0])',
  'bad-target-url.yaml': 'config error: vllm.targets[1]: expected an http(s) URL, got "ftp://127.0.0.1/metrics"',
  'bad-targets-not-list.yaml': 'config error: vllm.targets: expected a list of http(s) URLs, got "http://127.0.0.1:8000/metrics"',
  'bad-telemetry-path.yaml':
    'config error: web.telemetry_path: expected a URL path like /metrics (not /, the landing page), got "metrics"',
  'bad-timeout.yaml': 'config error: vllm.timeout: must not exceed poll_interval (5s), got 10s',
  'bad-top-level-list.yaml': 'config error: config: expected a mapping, got a list',
  'bad-unknown-key-elsewhere.yaml':
    'config error: hourly_cost_usd: unknown key; did you mean gpu.hourly_cost_usd or instance.hourly_cost_usd?',
  'bad-unknown-nested-key.yaml': 'config error: gpu.hourly_cost: unknown key; did you mean gpu.hourly_cost_usd?',
  'bad-unknown-top-key.yaml': 'config error: poll_intervall: unknown key; did you mean poll_interval?',
  'bad-yaml-syntax.yaml': 'config error: config: test/fixtures/config/bad-yaml-syntax.yaml:3:1: Map keys must be unique',
};

function errorOf(file: string): ConfigError {
  try {
    loadConfig({ file: `${DIR}/${file}`, env: {}, flags: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${file} was accepted`);
}

describe('bad config files', () => {
  test('every bad-*.yaml fixture has its expected line, and every expected line its fixture', () => {
    const files = readdirSync(DIR).filter((name) => name.startsWith('bad-') && name.endsWith('.yaml'));
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  test.each(Object.entries(EXPECTED))('%s', (file, line) => {
    const error = errorOf(file);
    expect(error.message).toBe(line);
    expect(error.message).not.toContain('\n');
    expect(line.startsWith(`config error: ${error.key}: `)).toBe(true);
  });
});
