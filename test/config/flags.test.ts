import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { addConfigOptions, flagsFromCommander } from '../../src/config/flags.js';
import { loadConfig } from '../../src/config/load-config.js';
import { configLeaves } from '../../src/config/schema.js';

function parse(args: string[]): Record<string, string | string[] | boolean | undefined> {
  const command = new Command('llm-cost-exporter').exitOverride().configureOutput({ writeErr: () => undefined });
  addConfigOptions(command);
  command.parse(args, { from: 'user' });
  return flagsFromCommander(command.opts());
}

describe('commander flags', () => {
  test('every leaf but api_prices.models has a flag, Prometheus style', () => {
    const command = new Command();
    addConfigOptions(command);
    const longs = command.options.map((option) => option.long);
    expect(longs).toEqual(
      expect.arrayContaining([
        '--config',
        '--config.check',
        '--poll-interval',
        '--vllm.targets',
        '--vllm.timeout',
        '--gpu.hourly-cost-usd',
        '--instance.hourly-cost-usd',
        '--capacity.tokens-per-second',
        '--compare-to',
        '--api-prices.compare',
        '--web.listen-address',
        '--web.telemetry-path',
        '--web.config.file',
        '--log.level',
        '--log.format',
        '--nvidia-smi.enabled',
        '--no-nvidia-smi.enabled',
      ]),
    );
    expect(longs).not.toContain('--api-prices.models');
    // One option per leaf with a flag, two for the boolean, plus --config and --config.check.
    const withFlags = configLeaves.filter((leaf) => leaf.flag !== undefined).length;
    expect(longs).toHaveLength(withFlags + 1 + 2);
  });

  test('flags reach loadConfig with their values', () => {
    const flags = parse([
      '--config', 'c.yaml',
      '--config.check',
      '--gpu.hourly-cost-usd', '3.2',
      '--poll-interval', '2s',
      '--vllm.targets', 'http://a/metrics',
      '--vllm.targets=http://b/metrics,http://c/metrics',
      '--gpu.indices', '0,1',
      '--gpu.indices', '3',
      '--capacity.tokens-per-second', '1975.3',
      '--compare-to', 'gpt-4o',
      '--web.listen-address', '127.0.0.1:0',
      '--web.config.file', '/etc/web.yml',
      '--log.level', 'debug',
    ]);
    expect(flags).toEqual({
      config: 'c.yaml',
      'config.check': true,
      'gpu.hourly-cost-usd': '3.2',
      'poll-interval': '2s',
      'vllm.targets': ['http://a/metrics', 'http://b/metrics,http://c/metrics'],
      'gpu.indices': ['0,1', '3'],
      'capacity.tokens-per-second': '1975.3',
      'compare-to': 'gpt-4o',
      'web.listen-address': '127.0.0.1:0',
      'web.config.file': '/etc/web.yml',
      'log.level': 'debug',
    });
    const config = loadConfig({ env: {}, flags });
    expect(config.vllm.targets).toEqual(['http://a/metrics', 'http://b/metrics', 'http://c/metrics']);
    expect(config.gpu.indices).toEqual([0, 1, 3]);
    expect(config.poll_interval).toBe(2_000);
    expect(config.compare_to).toBe('gpt-4o');
    expect(config.web).toEqual({ listen_address: '127.0.0.1:0', telemetry_path: '/metrics', config_file: '/etc/web.yml' });
  });

  test.each([
    [['--no-nvidia-smi.enabled'], false],
    [['--nvidia-smi.enabled'], true],
    [['--nvidia-smi.enabled', 'false'], false],
    [['--nvidia-smi.enabled=true'], true],
    [[], true],
  ])('%j → nvidia_smi.enabled %s', (args, enabled) => {
    const flags = parse(['--instance.hourly-cost-usd', '1', ...args]);
    expect(loadConfig({ env: { LLM_COST_NVIDIA_SMI_ENABLED: args.length === 0 ? 'true' : 'false' }, flags }).nvidia_smi.enabled).toBe(enabled);
  });

  test('no defaults are set in commander, so the file and variables are not hidden', () => {
    expect(parse([])).toEqual({});
  });

  test('options added by others are left out', () => {
    expect(flagsFromCommander({ speed: '60', 'gpu.hourlyCostUsd': '3', 'vllm.targets': ['x'] })).toEqual({
      'gpu.hourly-cost-usd': '3',
      'vllm.targets': ['x'],
    });
  });

  test('help lists each flag with its default and variable', () => {
    const command = new Command('llm-cost-exporter');
    addConfigOptions(command);
    const help = command.helpInformation();
    expect(help).toMatch(/--poll-interval <duration> +interval between vLLM polls; also the accounting tick \(default: 5s\) \[env LLM_COST_POLL_INTERVAL\]/);
    expect(help).toContain('--web.config.file <file>');
    expect(help).toContain('[env LLM_COST_WEB_CONFIG_FILE]');
  });
});
