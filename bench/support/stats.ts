/** Small statistics and formatting helpers shared by the benchmark sections. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A fixed number of decimals, or "n/a" for NaN/undefined. */
export function fx(value: number | undefined, decimals: number): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(decimals);
}

/** Thousands separators. */
export const int = (value: number): string => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

/** ✓ when `ok`, ✗ otherwise, "–" when the figure could not be measured. */
export function mark(ok: boolean | undefined): string {
  return ok === undefined ? '–' : ok ? '✓' : '✗';
}

/** A Markdown table. Columns whose header starts with '>' are right-aligned (the '>' is dropped). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((h) => (h.startsWith('>') ? h.slice(1) : h));
  const align = headers.map((h) => (h.startsWith('>') ? '---:' : '---'));
  return [`| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
