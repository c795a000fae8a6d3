import { describe, expect, test } from 'vitest';
import { closestMatch, ConfigError, describeValue } from '../../src/config/config-error.js';

describe('ConfigError', () => {
  test('message is "config error: <key>: <reason>"', () => {
    const error = new ConfigError('gpu.hourly_cost_usd', 'must be greater than 0, got -1');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.key).toBe('gpu.hourly_cost_usd');
    expect(error.reason).toBe('must be greater than 0, got -1');
    expect(error.source).toBeUndefined();
    expect(error.message).toBe('config error: gpu.hourly_cost_usd: must be greater than 0, got -1');
  });

  test('names the variable or flag the value came from', () => {
    const error = new ConfigError('gpu.hourly_cost_usd', 'expected a number, got "abc"', { source: 'LLM_COST_GPU_HOURLY_COST_USD' });
    expect(error.source).toBe('LLM_COST_GPU_HOURLY_COST_USD');
    expect(error.message).toBe('config error: gpu.hourly_cost_usd (from LLM_COST_GPU_HOURLY_COST_USD): expected a number, got "abc"');
  });

  test('is always one line and chains the cause', () => {
    const cause = new Error('inner');
    const error = new ConfigError('config', 'first\n  second\n', { cause });
    expect(error.message).toBe('config error: config: first second');
    expect(error.reason).toBe('first second');
    expect(error.cause).toBe(cause);
  });
});

describe('describeValue', () => {
  test.each([
    ['five', '"five"'],
    ['5', '"5"'],
    [5, '5'],
    [true, 'true'],
    [null, 'nothing'],
    [undefined, 'nothing'],
    [[1], 'a list'],
    [{ a: 1 }, 'a mapping'],
  ])('%j is shown as %s', (value, shown) => {
    expect(describeValue(value)).toBe(shown);
  });
});

describe('closestMatch', () => {
  const keys = ['poll_interval', 'vllm', 'nvidia_smi', 'gpu', 'hourly_cost_usd', 'indices'];
  test.each([
    ['poll_intervall', 'poll_interval'],
    ['pol_interval', 'poll_interval'],
    ['vlm', 'vllm'],
    ['hourly_cost', 'hourly_cost_usd'],
    ['POLL_INTERVAL', 'poll_interval'],
    ['storage', undefined],
    ['x', undefined],
  ])('%s → %s', (word, match) => {
    expect(closestMatch(word, keys)).toBe(match);
  });
});
