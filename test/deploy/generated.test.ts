import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { at, filesUnder, list, map, readText, readYaml, readYamlDocs, repoPath } from './repo.js';

/**
 * deploy/kubernetes/monitoring/ holds Kubernetes forms of artefacts kept elsewhere; these tests
 * read the sources at test time, so an edit to a rule or a dashboard without regenerating fails.
 */
const RULE_SOURCES = ['deploy/prometheus/rules/llm-cost.rules.yml', 'deploy/prometheus/rules/llm-cost.alerts.yml'];
const PROMETHEUS_RULE = 'deploy/kubernetes/monitoring/prometheusrule.yaml';
const DASHBOARD_CONFIGMAPS = 'deploy/kubernetes/monitoring/grafana-dashboards.yaml';
const dashboards = () => filesUnder('dashboards').filter((file) => /^dashboards\/[^/]+\.json$/.test(file));

const runGenerator = (args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [repoPath('deploy/kubernetes/generate.mjs'), ...args], { cwd: repoPath('') }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
    });
  });

describe('generated Kubernetes monitoring manifests', () => {
  it('the PrometheusRule holds exactly the groups of the rule files, in order', () => {
    const rule = readYaml(PROMETHEUS_RULE);
    expect(rule['apiVersion']).toBe('monitoring.coreos.com/v1');
    expect(rule['kind']).toBe('PrometheusRule');
    const groups = RULE_SOURCES.flatMap((file) => list(readYaml(file)['groups']));
    expect(groups.length).toBeGreaterThan(0);
    expect(at(rule, 'spec.groups')).toEqual(groups);
  });

  it('one ConfigMap per dashboards/*.json, labelled for Grafana\'s sidecar, holding the file verbatim', () => {
    const configMaps = readYamlDocs(DASHBOARD_CONFIGMAPS).map(map);
    expect(configMaps.map((c) => Object.keys(map(c['data'])))).toEqual(dashboards().map((file) => [basename(file)]));
    for (const [i, file] of dashboards().entries()) {
      const configMap = configMaps[i]!;
      expect(configMap).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { labels: { grafana_dashboard: '1' } } });
      expect(map(configMap['data'])[basename(file)], file).toBe(readText(file));
      // etcd refuses objects over 1 MiB; client-side apply also stores a copy in an annotation (256 KiB).
      expect(Buffer.byteLength(readText(file))).toBeLessThan(1024 * 1024);
    }
  });

  it('generate.mjs --check finds both files up to date', async () => {
    const { code, stderr } = await runGenerator(['--check']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
