/**
 * A small PromQL identifier extractor for the metric-name meta-test: returns the metric (or
 * recording rule) names an expression selects. Not a parser: it removes what cannot be a metric
 * name (strings, label matchers, ranges, grouping label lists, Grafana variables, offsets,
 * numbers), then keeps the identifiers that are neither keywords nor followed by `(` (functions
 * and aggregations).
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

/** Metric names selected by a PromQL expression, in order of appearance (with repeats). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges, subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ') // Grafana variables: ${datasource}, $__range, $instance
    .replace(/\boffset\s+-?(?:\d+(?:ms|[smhdwy]))+/g, ' ') // offset 23h, offset -1h30m
    .replace(/@\s*[\d.]+/g, ' ') // @ 1609746000
    .replace(/(^|[^\w:])(?:0x[\da-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)/g, '$1 '); // numbers
  const names: string[] = [];
  for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*/g)) {
    const after = stripped.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(after)) continue;
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

/** The metric of a Grafana `label_values(metric{...}, label)` variable query (its label is not a metric). */
export function variableQueryExpr(query: string): string {
  const m = /^\s*label_values\((.*),\s*\w+\s*\)\s*$/s.exec(query);
  return m?.[1] ?? query;
}
