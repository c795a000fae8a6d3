import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../src/exposition/catalogue.js';
import { exists, joinPosix, readText } from './repo.js';

const DOCS = ['docs/deployment.md', 'docs/scaling.md'];

describe('deployment docs', () => {
  it.each(DOCS)('%s links only to files that exist', (doc) => {
    const links = [...readText(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(exists(joinPosix('docs', link)), `${doc} -> ${link}`).toBe(true);
  });
});

/** Series of one host from the metric catalogue, for G GPUs, A API models, M models with R finished reasons, T targets. */
function seriesFromCatalogue({ G, A, M, R, T }: { G: number; A: number; M: number; R: number; T: number }): number {
  const perLabel: Record<string, number> = { window: 4, source: 2, direction: 2, basis: 2, percentile: 2, token_type: 3, api_model: A, gpu: G, model: M, finished_reason: R, target: T };
  let total = 0;
  for (const metric of CATALOGUE) {
    const labels: readonly string[] = metric.labels;
    if (metric.name === 'llm_cost_compare_to_info') total += 1; // one api_model: compare_to
    else if (labels.includes('collector')) total += T + 1; // every vLLM target and nvidia-smi
    else total += labels.reduce((n, label) => n * (perLabel[label] ?? 1), 1);
  }
  return total;
}

describe('docs/scaling.md cardinality budget', () => {
  const text = readText('docs/scaling.md');
  const formula = ({ G, A, M, R, T }: { G: number; A: number; M: number; R: number; T: number }) => 16 * G + 32 * A + M * (6 + R) + 4 * T + 76;

  it('states the formula that the metric catalogue implies', () => {
    expect(text).toContain('**N = 16G + 32A + M(6 + R) + 4T + 76**');
    for (const host of [{ G: 1, A: 3, M: 1, R: 5, T: 1 }, { G: 8, A: 3, M: 8, R: 5, T: 8 }, { G: 8, A: 10, M: 1, R: 2, T: 1 }]) {
      expect(seriesFromCatalogue(host), JSON.stringify(host)).toBe(formula(host));
    }
  });

  it('quotes the golden file\'s series count, which is the formula less the never-polled gauges', () => {
    const golden = readText('test/golden/metrics.prom').split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    expect(text).toContain(`has **${golden} series**`);
    const gpus = new Set([...readText('test/golden/metrics.prom').matchAll(/llm_cost_gpu_info\{gpu="(\d+)"/g)].map((m) => m[1])).size;
    // poll duration and last success, for the vLLM target and nvidia-smi: absent until a poll succeeds
    expect(golden).toBe(formula({ G: gpus, A: 3, M: 1, R: 2, T: 1 }) - 4);
  });
});
