/**
 * Prometheus-style durations (`500ms`, `5s`, `1m`, `1h30m`), extended with decimal amounts
 * (`1.5s`) because a half second is a common poll interval. Units from largest to smallest,
 * each at most once: y (365 d), w, d, h, m, s, ms. A bare number is rejected: its unit would be
 * a guess (Prometheus rejects it too).
 */

/** A string that is not a duration. `reason` says why, in words a config error can reuse. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
  readonly input: string;
  readonly reason: string;

  constructor(input: string, reason: string) {
    super(`invalid duration ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
    this.reason = reason;
  }
}

const MS_PER_UNIT = {
  y: 365 * 24 * 3_600_000,
  w: 7 * 24 * 3_600_000,
  d: 24 * 3_600_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
} as const;

type Unit = keyof typeof MS_PER_UNIT;

const UNITS = Object.keys(MS_PER_UNIT) as Unit[];
const AMOUNT = '(\\d+(?:\\.\\d+)?)';
const PATTERN = new RegExp(`^${UNITS.map((unit) => `(?:${AMOUNT}${unit})?`).join('')}$`);

/**
 * Parses a duration into milliseconds. Guarantees a finite, non-negative result (rounded to a
 * millionth of a millisecond to hide binary fractions: `1.1s` is 1100, not 1100.0000000000002).
 * Throws {@link DurationError} for anything else, including the empty string and bare numbers.
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text === '') throw new DurationError(text, 'empty');
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    throw new DurationError(text, `a bare number has no unit: write ${text}s or ${text}ms`);
  }
  const match = PATTERN.exec(text);
  if (match === null) {
    throw new DurationError(text, 'expected amounts with units y, w, d, h, m, s, ms (largest first), like 500ms, 5s or 1h30m');
  }
  let total = 0;
  UNITS.forEach((unit, i) => {
    const amount = match[i + 1];
    if (amount !== undefined) total += Number(amount) * MS_PER_UNIT[unit];
  });
  return Math.round(total * 1e6) / 1e6;
}

/**
 * Formats milliseconds the way Prometheus prints durations (`1h30m`, `5s`, `500ms`, `0s`), for
 * help texts and error messages. Fractions of a millisecond are rounded.
 */
export function formatDuration(ms: number): string {
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const unit of UNITS) {
    const size = MS_PER_UNIT[unit];
    // Like Prometheus, years and weeks are only used when they divide the whole duration.
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
