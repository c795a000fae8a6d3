import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allPanels, buildDashboards, serialize, type Json, type JsonObject } from '../../dashboards/src/index.js';

const dir = new URL('../../dashboards/', import.meta.url);
const REGENERATE = 'regenerate with: npx tsc -p tsconfig.dashboards.json && node .dashboards-dist/dashboards/build.js';
const UIDS = ['llm-cost-vs-api', 'llm-cost-utilization', 'llm-cost-latency', 'llm-cost-fleet'];

const files = buildDashboards();
const provisioning = Object.entries(files).filter(([f]) => !f.startsWith('grafana.com/'));
const grafanaCom = Object.entries(files).filter(([f]) => f.startsWith('grafana.com/'));

type Obj = { [key: string]: Json };
const obj = (v: Json | undefined): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {});
const list = (v: Json | undefined): Obj[] => (Array.isArray(v) ? v.map(obj) : []);
const variables = (d: JsonObject): Obj[] => list(obj(d['templating'])['list']);
const contentPanels = (d: JsonObject): Obj[] => allPanels(d).filter((p) => p['type'] !== 'row');

describe('generated dashboards are committed (drift)', () => {
  it.each(Object.keys(files))('dashboards/%s matches buildDashboards()', (file) => {
    const committed = readFileSync(new URL(file, dir), 'utf8');
    expect(committed, REGENERATE).toBe(serialize(files[file] as JsonObject));
  });

  it('no stale JSON lies beside them', () => {
    const onDisk = [
      ...readdirSync(dir).filter((f) => f.endsWith('.json')),
      ...readdirSync(new URL('grafana.com/', dir)).filter((f) => f.endsWith('.json')).map((f) => `grafana.com/${f}`),
    ].sort();
    expect(onDisk, REGENERATE).toEqual(Object.keys(files).sort());
  });

  it('the build is deterministic', () => {
    expect(JSON.stringify(buildDashboards())).toBe(JSON.stringify(files));
  });
});

describe.each(provisioning)('%s', (_file, d) => {
  it('has a stable uid of at most 40 characters', () => {
    expect(UIDS).toContain(d['uid']);
    expect(String(d['uid']).length).toBeLessThanOrEqual(40);
  });

  it('every panel has a title, a one-line description, a unit and a query', () => {
    const problems: string[] = [];
    for (const p of contentPanels(d)) {
      const name = `${String(p['type'])} "${String(p['title'])}"`;
      if (typeof p['title'] !== 'string' || p['title'] === '') problems.push(`${name}: no title`);
      if (typeof p['description'] !== 'string' || p['description'] === '' || p['description'].includes('\n')) problems.push(`${name}: no one-line description`);
      if (p['type'] === 'text') {
        // A text panel explains the panels around it: content, no query, no unit.
        if (typeof obj(p['options'])['content'] !== 'string') problems.push(`${name}: no content`);
        continue;
      }
      const unit = obj(obj(p['fieldConfig'])['defaults'])['unit'];
      if (typeof unit !== 'string' || unit === '') problems.push(`${name}: no unit`);
      const targets = list(p['targets']);
      if (targets.length === 0) problems.push(`${name}: no query`);
      for (const t of targets) if (typeof t['expr'] !== 'string' || t['expr'].trim() === '') problems.push(`${name}: empty query ${String(t['refId'])}`);
    }
    expect(problems).toEqual([]);
  });

  it('panel ids and query refIds are unique, panels fit the 24-column grid', () => {
    const ids = allPanels(d).map((p) => p['id']);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allPanels(d)) {
      const refIds = list(p['targets']).map((t) => t['refId']);
      expect(new Set(refIds).size, String(p['title'])).toBe(refIds.length);
      const pos = obj(p['gridPos']);
      expect(Number(pos['x']) + Number(pos['w']), String(p['title'])).toBeLessThanOrEqual(24);
    }
  });

  it('selects its data source through the `datasource` variable, never ${DS_PROMETHEUS}', () => {
    const ds = variables(d).find((v) => v['name'] === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(JSON.stringify(d)).not.toContain('DS_PROMETHEUS');
    for (const p of contentPanels(d)) {
      if (p['type'] !== 'text') expect(p['datasource'], String(p['title'])).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const t of list(p['targets'])) expect(t['datasource']).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    for (const v of variables(d).filter((x) => x['type'] === 'query')) expect(v['datasource']).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('has job and instance variables, and model / gpu / api_model where its queries use them', () => {
    const names = variables(d).map((v) => v['name']);
    expect(names).toEqual(expect.arrayContaining(['datasource', 'job', 'instance']));
    const exprs = JSON.stringify(allPanels(d).flatMap((p) => list(p['targets']).map((t) => t['expr'])));
    for (const [variable, ref] of [['model', '$model'], ['gpu', '$gpu'], ['api_model', '$api_model'], ['window', '$window'], ['basis', '$basis']] as const) {
      expect(names.includes(variable), `${variable} variable vs ${ref} in queries`).toBe(exprs.includes(ref));
    }
  });
});

describe('dashboard contents', () => {
  const byUid = Object.fromEntries(provisioning.map(([, d]) => [String(d['uid']), d]));
  const exprs = (uid: string): string[] => allPanels(byUid[uid] as JsonObject).flatMap((p) => list(p['targets']).map((t) => String(t['expr'])));

  it('there are the four dashboards, with unique uids and titles', () => {
    expect(provisioning.map(([, d]) => d['uid']).sort()).toEqual([...UIDS].sort());
    expect(new Set(provisioning.map(([, d]) => d['title'])).size).toBe(UIDS.length);
  });

  it('api_model lists the API models the exporter prices', () => {
    const v = variables(byUid['llm-cost-vs-api'] as JsonObject).find((x) => x['name'] === 'api_model');
    expect(String(v?.['query'])).toMatch(/^label_values\(llm_cost_api_price_usd_per_million_tokens\{.*\}, api_model\)$/);
  });

  it('the fleet never averages ratios: every range figure is a ratio of sums', () => {
    const fleet = exprs('llm-cost-fleet');
    expect(fleet.filter((e) => /\bavg\b/.test(e))).toEqual([]);
    expect(fleet).toContain(
      'sum by (basis) (increase(llm_cost_spend_usd_total{job=~"$job",instance=~"$instance"}[$__range])) / on () group_left () (sum(increase(llm_cost_tokens_total{job=~"$job",instance=~"$instance"}[$__range])) > 0) * 1e6',
    );
    expect(fleet.some((e) => e.startsWith('fleet:llm_cost_usd_per_million_tokens:ratio_increase1h'))).toBe(true);
  });

  it('money saved over the range is increase(API-equivalent) - increase(spend)', () => {
    expect(exprs('llm-cost-vs-api')).toContain(
      'sum by (api_model) (increase(llm_cost_api_equivalent_spend_usd_total{job=~"$job",instance=~"$instance",api_model=~"$api_model"}[$__range])) - on () group_left () sum(increase(llm_cost_spend_usd_total{job=~"$job",instance=~"$instance",basis="$basis"}[$__range]))',
    );
  });

  it('the hour-of-week heatmap has one row per hour of the day, at a 1-day step over 7 days', () => {
    const heatmap = allPanels(byUid['llm-cost-utilization'] as JsonObject).find((p) => p['type'] === 'heatmap') as Obj;
    const targets = list(heatmap['targets']);
    expect(targets.map((t) => t['legendFormat'])).toEqual(Array.from({ length: 24 }, (_, h) => String(h)));
    expect(targets[0]?.['expr']).toMatch(/\[1h\] offset 23h\)\)$/);
    expect(targets[23]?.['expr']).toMatch(/\[1h\]\)\)$/);
    expect(heatmap).toMatchObject({ interval: '1d', timeFrom: '7d', options: { calculate: false } });
  });

  it('the latency dashboard shades the 100-300 ms API band', () => {
    const ttft = allPanels(byUid['llm-cost-latency'] as JsonObject)[1] as Obj;
    const steps = list(obj(obj(obj(ttft['fieldConfig'])['defaults'])['thresholds'])['steps']).map((s) => s['value']);
    expect(steps).toEqual([null, 0.1, 0.3]);
  });
});

describe.each(grafanaCom)('%s (grafana.com import)', (file, d) => {
  it('asks for a Prometheus data source on import', () => {
    expect(d['__inputs']).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const ds = variables(d).find((v) => v['name'] === 'datasource');
    expect(ds?.['current']).toMatchObject({ value: '${DS_PROMETHEUS}' });
  });

  it('lists what it requires: Grafana, Prometheus and every panel type it uses', () => {
    const required = list(d['__requires']).map((r) => `${String(r['type'])}:${String(r['id'])}`);
    expect(required).toEqual(expect.arrayContaining(['grafana:grafana', 'datasource:prometheus']));
    for (const p of contentPanels(d)) expect(required).toContain(`panel:${String(p['type'])}`);
  });

  it('is the provisioning dashboard plus __inputs, __requires and the variable default', () => {
    const base = structuredClone(files[file.replace('grafana.com/', '')] as JsonObject);
    const { __inputs: _i, __requires: _r, id: _id, ...rest } = structuredClone(d);
    for (const v of variables(rest)) if (v['name'] === 'datasource') delete v['current'];
    for (const v of variables(base)) if (v['name'] === 'datasource') delete v['current'];
    expect(rest).toEqual(base);
  });
});
