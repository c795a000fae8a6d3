import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runPromtool } from './promtool.js';

describe('promtool check metrics', () => {
  it('reports nothing on the golden /metrics', () => {
    const golden = readFileSync(new URL('../golden/metrics.prom', import.meta.url), 'utf8');
    const r = runPromtool(['check', 'metrics'], golden);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('would flag a badly named metric (the check is live)', () => {
    const r = runPromtool(['check', 'metrics'], '# HELP llm_cost_bad_ms x\n# TYPE llm_cost_bad_ms counter\nllm_cost_bad_ms 1\n');
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/counter metrics should have "_total" suffix/);
  });
});
