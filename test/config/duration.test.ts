import { describe, expect, test } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.5m', 30_000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1m30s500ms', 90_500],
    ['0', 0],
    ['0s', 0],
  ])('%s = %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['', 'empty'],
    ['5', 'a bare number has no unit: write 5s or 5ms'],
    ['1.5', 'a bare number has no unit: write 1.5s or 1.5ms'],
    ['five', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['30m1h', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['5 s', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['-5s', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['5sec', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['1s1s', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
    ['.5s', 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m'],
  ])('%j is rejected: %s', (text, reason) => {
    let thrown: unknown;
    try {
      parseDuration(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DurationError);
    const error = thrown as DurationError;
    expect(error.input).toBe(text);
    expect(error.reason).toBe(reason);
    expect(error.message).toBe(`invalid duration ${JSON.stringify(text)}: ${reason}`);
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [500, '500ms'],
    [5_000, '5s'],
    [5_400_000, '1h30m'],
    [90_500, '1m30s500ms'],
    [604_800_000, '1w'],
    [691_200_000, '8d'],
    [10_000, '10s'],
  ])('%d ms = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 1_000, 61_000, 3_723_004, 86_400_000, 31_536_000_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});
