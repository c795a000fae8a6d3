import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  bundledPriceProvenance,
  bundledPriceTable,
  loadPriceFile,
  mergePriceTables,
  parsePriceData,
  PriceTableError,
} from '../../src/pricing/price-table.js';

function errorOf(run: () => unknown): PriceTableError {
  try {
    run();
  } catch (error) {
    if (error instanceof PriceTableError) return error;
    throw error;
  }
  throw new Error('accepted');
}

function tempJson(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'llm-cost-prices-')), 'prices.json');
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('bundled table', () => {
  const table = bundledPriceTable();

  test.each([
    ['claude-3-5-haiku', 0.8, 4, 0.08, 'us.anthropic.claude-3-5-haiku-20241022-v1:0', 'bedrock'],
    ['gpt-4o-mini', 0.15, 0.6, 0.075, 'gpt-4o-mini', 'openai'],
    ['claude-haiku-4-5', 1, 5, 0.1, 'claude-haiku-4-5', 'anthropic'],
    ['gpt-4o', 2.5, 10, 1.25, 'gpt-4o', 'openai'],
    ['gpt-5', 1.25, 10, 0.125, 'gpt-5-2025-08-07', 'openai'],
    ['claude-sonnet-4', 3, 15, 0.3, 'claude-4-sonnet-20250514', 'anthropic'],
    ['gemini-2.5-flash', 0.3, 2.5, 0.03, 'gemini/gemini-2.5-flash', 'gemini'],
    ['deepseek-chat', 0.28, 0.42, 0.028, 'deepseek/deepseek-chat', 'deepseek'],
    ['llama-3.3-70b-together', 0.88, 0.88, undefined, 'together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo', 'together_ai'],
  ])('%s: %d in, %d out, %s cached', (id, input, output, cached, sourceId, provider) => {
    const price = table.get(id);
    expect(price).toBeDefined();
    expect(price?.input_usd_per_mtok).toBe(input);
    expect(price?.output_usd_per_mtok).toBe(output);
    expect(price?.cached_input_usd_per_mtok).toBe(cached);
    expect(price?.source_id).toBe(sourceId);
    expect(price?.provider).toBe(provider);
  });

  test('36 models, all with short ids', () => {
    expect(table.size).toBe(36);
    for (const id of table.keys()) expect(id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
  });

  test('each call returns a fresh map of frozen entries', () => {
    const a = bundledPriceTable() as Map<string, unknown>;
    a.delete('gpt-4o');
    expect(bundledPriceTable().has('gpt-4o')).toBe(true);
    expect(Object.isFrozen(bundledPriceTable().get('gpt-4o'))).toBe(true);
  });

  test('is dated and sourced', () => {
    expect(bundledPriceProvenance()).toEqual({
      source: expect.stringContaining('BerriAI/litellm'),
      source_commit: '00035b69f416be24e2e323c13198d9b7d2d1bdf9',
      retrieved_from: expect.stringContaining('github.com/BerriAI/litellm'),
      as_of: '2026-11-24',
    });
  });
});

describe('LiteLLM price map', () => {
  const prices = loadPriceFile('test/fixtures/prices/litellm-sample.json');

  test('converts USD per token to USD per million; skips sample_spec, non-token modes and unpriced entries', () => {
    expect(prices).toEqual([
      { id: 'gpt-4o-mini', input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6, cached_input_usd_per_mtok: 0.075, provider: 'openai', source_id: 'gpt-4o-mini' },
      {
        id: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
        input_usd_per_mtok: 0.8,
        output_usd_per_mtok: 4,
        cached_input_usd_per_mtok: 0.08,
        provider: 'bedrock',
        source_id: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      },
      { id: 'text-embedding-3-small', input_usd_per_mtok: 0.02, output_usd_per_mtok: 0, provider: 'openai', source_id: 'text-embedding-3-small' },
      { id: 'azure/gpt-4o-2024-08-06', input_usd_per_mtok: 2.5, output_usd_per_mtok: 10, provider: 'azure', source_id: 'azure/gpt-4o-2024-08-06' },
    ]);
  });

  test.each([
    [{ m: { input_cost_per_token: 0.0015, output_cost_per_token: 1e-6 } }, '"m".input_cost_per_token: 0.0015 USD per token (1500 per million) is outside 0..1000 USD per million tokens'],
    [{ m: { input_cost_per_token: 1e-6, output_cost_per_token: -1e-6 } }, '"m".output_cost_per_token: -0.000001 USD per token (-1 per million) is outside 0..1000 USD per million tokens'],
    [{ m: { input_cost_per_token: '1e-6', output_cost_per_token: 1e-6 } }, '"m".input_cost_per_token: expected a number of USD per token, got "1e-6"'],
    [{ m: { input_cost_per_token: 1e-6, output_cost_per_token: 1e-6, cache_read_input_token_cost: 2 } }, '"m".cache_read_input_token_cost: 2 USD per token (2000000 per million) is outside 0..1000 USD per million tokens'],
  ])('sanity bounds name the key: %j', (data, message) => {
    expect(errorOf(() => parsePriceData(data)).message).toBe(message);
  });
});

describe('our format', () => {
  test('reads entries, ignoring documentation fields', () => {
    expect(loadPriceFile('test/fixtures/prices/ours-sample.json')).toEqual([
      { id: 'claude-3-5-haiku', input_usd_per_mtok: 0.7, output_usd_per_mtok: 3.5 },
      { id: 'acme-large', input_usd_per_mtok: 2, output_usd_per_mtok: 6, cached_input_usd_per_mtok: 0.5, provider: 'acme' },
    ]);
  });

  test('the bundled file is itself a file in our format', () => {
    expect(loadPriceFile('src/pricing/bundled-prices.json')).toEqual([...bundledPriceTable().values()]);
  });

  test.each([
    [{ models: 'x' }, 'models: expected a list of entries, got "x"'],
    [{ models: [{ id: 'a', input_usd_per_mtok: 1 }] }, 'models[0].output_usd_per_mtok: expected a price in USD per million tokens, got nothing'],
    [{ models: [{ id: 'a', input_usd_per_mtok: 1, output_usd_per_mtok: 2, input: 3 }] }, 'models[0].input: unknown key'],
    [{ models: [{ id: 'a b', input_usd_per_mtok: 1, output_usd_per_mtok: 2 }] }, 'models[0].id: expected an API model id (letters, digits and . - _ / :, no spaces), got "a b"'],
    [{ models: [{ id: 'a', input_usd_per_mtok: 1001, output_usd_per_mtok: 2 }] }, 'models[0].input_usd_per_mtok: must be between 0 and 1000 USD per million tokens, got 1001'],
    [
      { models: [{ id: 'a', input_usd_per_mtok: 1, output_usd_per_mtok: 2 }, { id: 'a', input_usd_per_mtok: 1, output_usd_per_mtok: 2 }] },
      'models[1].id: duplicate id "a" (also models[0])',
    ],
    [[], 'expected a JSON object, got a list'],
    [{ foo: 1 }, 'unknown format: expected {"models": [...]} or a LiteLLM model_prices_and_context_window.json map'],
  ])('%j → %s', (data, message) => {
    expect(errorOf(() => parsePriceData(data)).message).toBe(message);
  });

  test('file errors', () => {
    expect(errorOf(() => loadPriceFile('test/fixtures/prices/none.json')).message).toBe('cannot read the file (ENOENT)');
    expect(errorOf(() => loadPriceFile(tempJson('{"models": ['))).message).toMatch(/^not valid JSON \(/);
  });
});

describe('mergePriceTables', () => {
  test('later tables win by id, first-seen order is kept', () => {
    const a = { id: 'a', input_usd_per_mtok: 1, output_usd_per_mtok: 2 };
    const b = { id: 'b', input_usd_per_mtok: 3, output_usd_per_mtok: 4 };
    const a2 = { id: 'a', input_usd_per_mtok: 5, output_usd_per_mtok: 6 };
    const merged = mergePriceTables(new Map([['a', a]]), [b], [a2]);
    expect([...merged.entries()]).toEqual([
      ['a', a2],
      ['b', b],
    ]);
  });

  test('the bundled table merged with a LiteLLM file keeps both id styles', () => {
    const merged = mergePriceTables(bundledPriceTable(), loadPriceFile('test/fixtures/prices/litellm-sample.json'));
    expect(merged.get('gpt-4o-mini')?.source_id).toBe('gpt-4o-mini');
    expect(merged.get('claude-3-5-haiku')?.input_usd_per_mtok).toBe(0.8);
    expect(merged.get('azure/gpt-4o-2024-08-06')?.output_usd_per_mtok).toBe(10);
    expect(merged.size).toBe(36 + 2);
  });
});
