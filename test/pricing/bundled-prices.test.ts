import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const SCRIPT = 'scripts/build-price-table.mjs';
const REFERENCE = 'test/fixtures/prices/api-prices-reference.json';

function build(...args: string[]): string {
  return execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
}

describe('scripts/build-price-table.mjs', () => {
  test('the committed table is exactly the script output for the committed reference', () => {
    expect(build(REFERENCE)).toBe(readFileSync('src/pricing/bundled-prices.json', 'utf8'));
  });

  test('short ids keep the source id and provider beside them', () => {
    const table = JSON.parse(build(REFERENCE)) as { as_of: string; source_commit: string; models: Array<Record<string, unknown>> };
    expect(table.as_of).toBe('2026-11-24');
    expect(table.source_commit).toBe('00035b69f416be24e2e323c13198d9b7d2d1bdf9');
    const byId = new Map(table.models.map((m) => [m['id'], m]));
    expect(byId.get('claude-3-5-haiku')).toMatchObject({ source_id: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', provider: 'bedrock' });
    expect(byId.get('claude-3-5-sonnet')).toMatchObject({ source_id: 'eu.anthropic.claude-3-5-sonnet-20241022-v2:0' });
    expect(byId.get('mistral-large')).toMatchObject({ source_id: 'mistral/mistral-large-latest', note: expect.stringContaining('Mistral Large 3') });
    expect(byId.get('llama-3.1-8b-cerebras')).toMatchObject({ source_id: 'cerebras/llama3.1-8b' });
    expect(byId.get('text-embedding-3-small')).toMatchObject({ mode: 'embedding', output_usd_per_mtok: 0 });
  });

  test('--as-of and --out', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'llm-cost-build-')), 'prices.json');
    build(REFERENCE, '--as-of', '2027-01-01', '--out', out);
    expect(JSON.parse(readFileSync(out, 'utf8')).as_of).toBe('2027-01-01');
  });

  test('two sources mapping to one short id stop the build', () => {
    const reference = JSON.parse(readFileSync(REFERENCE, 'utf8')) as { models: Array<Record<string, unknown>> };
    reference.models.push({ ...reference.models[0], id: 'claude-haiku-4-5-20251001' });
    const file = join(mkdtempSync(join(tmpdir(), 'llm-cost-build-')), 'reference.json');
    writeFileSync(file, JSON.stringify(reference));
    expect(() => execFileSync(process.execPath, [SCRIPT, file], { encoding: 'utf8', stdio: 'pipe' })).toThrow(
      /claude-haiku-4-5-20251001 and claude-haiku-4-5 both map to claude-haiku-4-5/,
    );
  });
});
