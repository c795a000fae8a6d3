#!/usr/bin/env node
// Prints the README's configuration and metric reference tables from the code that defines them
// (src/config/schema.ts, src/exposition/catalogue.ts), so the README cannot drift: a test checks
// that the README contains this output. Run after `npm run build`:
//   node scripts/reference-tables.mjs config|metrics
import { configLeaves } from '../dist/config/schema.js';
import { CATALOGUE } from '../dist/exposition/catalogue.js';

const cell = (s) => String(s ?? '').replace(/\|/g, '\\|');
const which = process.argv[2];
if (which === 'config') {
  console.log('| key | default | flag | environment variable | meaning |');
  console.log('|---|---|---|---|---|');
  for (const l of configLeaves) {
    console.log(`| \`${l.key}\` | ${l.defaultText === undefined ? '—' : `\`${cell(l.defaultText)}\``} | ${l.flag ? `\`--${l.flag}\`` : '—'} | ${l.env ? `\`${l.env}\`` : '—'} | ${cell(l.help)} |`);
  }
} else if (which === 'metrics') {
  console.log('| metric | type | labels | meaning |');
  console.log('|---|---|---|---|');
  for (const d of CATALOGUE) {
    console.log(`| \`${d.name}\` | ${d.type} | ${d.labels.map((l) => `\`${l}\``).join(', ') || '—'} | ${cell(d.help)} |`);
  }
} else {
  console.error('usage: node scripts/reference-tables.mjs config|metrics');
  process.exit(2);
}
