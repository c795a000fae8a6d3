#!/usr/bin/env node
/**
 * Builds src/pricing/bundled-prices.json from a reference price extract (the format of
 * shared/data/api-prices-reference.json: provenance fields plus `models` with LiteLLM keys as ids).
 *
 *   node scripts/build-price-table.mjs <reference.json> [--as-of YYYY-MM-DD] [--out FILE]
 *
 * Without --out the table goes to stdout. The output is deterministic (reference order, fixed
 * key order, no timestamps), so a test can check that the committed table is this script's output.
 * Short ids: LiteLLM keys minus provider prefixes, Bedrock region/version parts, snapshot dates
 * and `-latest`; hosted open-weight models get their host as a suffix. Two sources that map to
 * the same short id stop the build: add an entry to SHORT_ID_OVERRIDES.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Ids the rules below would get wrong or ambiguous. */
const SHORT_ID_OVERRIDES = {
  // Anthropic renamed its models from Sonnet 4 on; LiteLLM keeps the old word order here.
  'claude-4-sonnet-20250514': 'claude-sonnet-4',
};

/** Hosts of open-weight models: their models are suffixed with the host, since prices differ. */
const HOSTS = {
  together_ai: 'together',
  deepinfra: 'deepinfra',
  fireworks_ai: 'fireworks',
  cerebras: 'cerebras',
  groq: 'groq',
  openrouter: 'openrouter',
};

const SHORT_ID = /^[a-z0-9][a-z0-9.-]*$/;

/** The short id of one reference entry. Throws when the rules give no valid id. */
export function shortId(sourceId, provider) {
  const override = SHORT_ID_OVERRIDES[sourceId];
  if (override !== undefined) return override;
  let id = sourceId
    .replace(/^(?:us|eu|apac|au|jp|global)\.(?=[a-z]+\.)/, '') // Bedrock cross-region prefix
    .replace(/^[a-z]+\.(?=claude|llama|mistral|titan|nova)/, '') // Bedrock vendor prefix
    .replace(/-v\d+(?::\d+)?$/, ''); // Bedrock model version
  id = id.slice(id.lastIndexOf('/') + 1).toLowerCase();
  id = id.replace(/-\d{8}$/, '').replace(/-\d{4}-\d{2}-\d{2}$/, '').replace(/-latest$/, '');
  const host = HOSTS[provider];
  if (host !== undefined) {
    id = id
      .replace(/^meta-/, '')
      .replace(/-instruct(?:-turbo)?$/, '')
      .replace(/-turbo$/, '')
      .replace(/^llama(?=\d)/, 'llama-');
    id = `${id}-${host}`;
  }
  if (!SHORT_ID.test(id)) throw new Error(`no valid short id for ${sourceId} (got ${id}): add it to SHORT_ID_OVERRIDES`);
  return id;
}

/** The date the reference was read: `as_of`, else the date in `retrieved_via` ("read 2026-11-24"). */
function referenceDate(reference) {
  if (typeof reference.as_of === 'string') return reference.as_of;
  const match = /read (\d{4}-\d{2}-\d{2})/.exec(String(reference.retrieved_via ?? ''));
  return match?.[1];
}

/** The bundled table (a plain JSON value) built from a parsed reference file. */
export function buildPriceTable(reference, options = {}) {
  const asOf = options.asOf ?? referenceDate(reference);
  if (asOf === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) {
    throw new Error('no YYYY-MM-DD date in the reference (as_of or retrieved_via): pass --as-of');
  }
  const seen = new Map();
  const models = reference.models.map((entry) => {
    const id = shortId(entry.id, entry.provider);
    if (seen.has(id)) throw new Error(`${entry.id} and ${seen.get(id)} both map to ${id}: add an override`);
    seen.set(id, entry.id);
    return {
      id,
      source_id: entry.id,
      provider: entry.provider,
      ...(entry.mode === undefined ? {} : { mode: entry.mode }),
      input_usd_per_mtok: entry.input_usd_per_mtok,
      output_usd_per_mtok: entry.output_usd_per_mtok,
      ...(entry.cached_input_usd_per_mtok === undefined ? {} : { cached_input_usd_per_mtok: entry.cached_input_usd_per_mtok }),
      ...(entry.note === undefined ? {} : { note: entry.note }),
    };
  });
  return {
    source: reference.source,
    source_path: reference.source_path,
    source_commit: reference.source_commit,
    retrieved_from: reference.retrieved_from,
    retrieved_via: reference.retrieved_via,
    as_of: asOf,
    unit: 'USD per million tokens (list prices)',
    generated_by: 'scripts/build-price-table.mjs',
    caveats: reference.caveats ?? [],
    models,
  };
}

/** The file text: two-space JSON and a final newline. */
export function formatPriceTable(table) {
  return `${JSON.stringify(table, null, 2)}\n`;
}

function main(argv) {
  const args = [...argv];
  const option = (name) => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const [, value] = args.splice(at, 2);
    if (value === undefined) throw new Error(`${name} needs a value`);
    return value;
  };
  const asOf = option('--as-of');
  const out = option('--out');
  const [input, ...rest] = args;
  if (input === undefined || rest.length > 0) {
    throw new Error('usage: node scripts/build-price-table.mjs <reference.json> [--as-of YYYY-MM-DD] [--out FILE]');
  }
  const reference = JSON.parse(readFileSync(input, 'utf8'));
  const text = formatPriceTable(buildPriceTable(reference, asOf === undefined ? {} : { asOf }));
  if (out === undefined) process.stdout.write(text);
  else writeFileSync(out, text);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`build-price-table: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
