/**
 * Formats a number the way Python's prometheus_client does (`floatToGoString`): Python's shortest
 * repr (`503437.0`, `1e-05`, `0.1`), switched to Go-style exponents for positive values with more
 * than six integer digits (`2.090876e+06`), including its two-digit-exponent quirk (`e+010`).
 * The vLLM double must print numbers exactly as vLLM does, or it proves nothing about the parser.
 */
export function formatGoFloat(d: number): string {
  if (d === Infinity) return '+Inf';
  if (d === -Infinity) return '-Inf';
  if (Number.isNaN(d)) return 'NaN';
  const s = pythonRepr(d);
  const dot = s.indexOf('.');
  if (d > 0 && dot > 6) {
    const mantissa = `${s[0]}.${s.slice(1, dot)}${s.slice(dot + 1)}`.replace(/\.?0+$/, '');
    return `${mantissa}e+0${dot - 1}`;
  }
  return s;
}

/** Python 3's `repr(float)`: shortest round-trip digits, exponent below 1e-4 and from 1e16. */
export function pythonRepr(d: number): string {
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs < 1e-4 || abs >= 1e16) {
    const [mantissa, exp] = d.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const s = String(d);
  return s.includes('.') ? s : `${s}.0`;
}
