import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { DEFAULT_PORT, EXPORTER_ENV_VARS, at, exists, filesUnder, joinPosix, list, map, readText, readYaml, repoPath, type Yaml } from './repo.js';

const DIR = 'deploy/compose';
const FILES = { production: `${DIR}/production.yml`, demo: `${DIR}/demo.yml` } as const;

interface Mount {
  readonly source: string;
  readonly target: string;
  /** Repository path of a bind mount; undefined for a named volume. */
  readonly bind: string | undefined;
}

function mounts(service: Yaml): Mount[] {
  return list(service['volumes']).map((entry) => {
    const [source, target] = typeof entry === 'string' ? entry.split(':') : [String(at(entry, 'source')), String(at(entry, 'target'))];
    const bind = source!.startsWith('.') || source!.startsWith('/') ? joinPosix(DIR, source!) : undefined;
    return { source: source!, target: target!, bind };
  });
}

/** The repository file behind a container path, through the service's bind mounts. */
function hostPath(service: Yaml, containerPath: string): string | undefined {
  for (const mount of mounts(service)) {
    if (mount.bind === undefined) continue;
    if (containerPath === mount.target) return mount.bind;
    if (containerPath.startsWith(`${mount.target}/`)) return `${mount.bind}/${containerPath.slice(mount.target.length + 1)}`;
  }
  return undefined;
}

const gpuDevices = (service: Yaml) => list(at(service, 'deploy.resources.reservations.devices')).map(map);
const commandArgs = (service: Yaml) => list(service['command']).map(String);
const flagValue = (args: string[], flag: string) => args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1) ?? args[args.indexOf(flag) + 1];
const isDir = (path: string) => exists(path) && statSync(repoPath(path)).isDirectory();

describe.each(Object.entries(FILES))('deploy/compose %s', (name, file) => {
  const compose = readYaml(file);
  const services = map(compose['services']);

  it('every service has an image, or a build whose context and Dockerfile exist', () => {
    expect(Object.keys(services).length).toBeGreaterThanOrEqual(3);
    for (const [id, service] of Object.entries(services).map(([k, v]) => [k, map(v)] as const)) {
      expect(service['image'] ?? service['build'], id).toBeDefined();
      const build = service['build'];
      if (build === undefined) continue;
      const context = joinPosix(DIR, String(at(build, 'context')));
      expect(isDir(context), `${id}: build context ${context}`).toBe(true);
      const dockerfile = joinPosix(context, String(at(build, 'dockerfile') ?? 'Dockerfile'));
      expect(dockerfile).toBe('deploy/docker/Dockerfile');
      expect(exists(dockerfile)).toBe(true);
    }
  });

  it('bind mounts exist, named volumes are declared, depends_on names services of the file', () => {
    const volumes = Object.keys(map(compose['volumes']));
    for (const [id, service] of Object.entries(services).map(([k, v]) => [k, map(v)] as const)) {
      for (const mount of mounts(service)) {
        if (mount.bind !== undefined) expect(exists(mount.bind), `${id}: ${mount.source} (${mount.bind})`).toBe(true);
        else expect(volumes, `${id}: volume ${mount.source}`).toContain(mount.source);
        expect(mount.target.startsWith('/'), `${id}: ${mount.target}`).toBe(true);
      }
      const dependsOn = Array.isArray(service['depends_on']) ? list(service['depends_on']).map(String) : Object.keys(map(service['depends_on']));
      for (const dependency of dependsOn) expect(Object.keys(services), `${id} depends on ${dependency}`).toContain(dependency);
      for (const variable of Object.keys(map(service['environment']))) {
        if (variable.startsWith('LLM_COST_')) expect(EXPORTER_ENV_VARS, `${id}: ${variable}`).toContain(variable);
      }
    }
  });

  it('the exporter is built from the repository and published on its port; it never waits for vLLM to be healthy', () => {
    const exporter = map(services['llm-cost-exporter']);
    expect(exporter['build']).toBeDefined();
    expect(list(exporter['ports']).map(String).some((p) => p.endsWith(`:${DEFAULT_PORT}`))).toBe(true);
    // serve persists its windows and counters; the demo persists nothing
    if (name === 'production') expect(mounts(exporter).some((m) => m.target === '/var/lib/llm-cost-exporter')).toBe(true);
    if (exporter['read_only'] === true && name === 'demo') expect(list(exporter['tmpfs'])).toContain('/tmp');
    for (const condition of Object.values(map(exporter['depends_on']))) expect(at(condition, 'condition')).not.toBe('service_healthy');
  });

  it('Prometheus loads the bundled rule files and scrapes the exporter (and Alertmanager receives its alerts)', () => {
    const prometheus = map(services['prometheus']);
    const configFile = hostPath(prometheus, flagValue(commandArgs(prometheus), '--config.file')!);
    expect(configFile).toBeDefined();
    const config = readYaml(configFile!);
    const ruleFiles = list(config['rule_files']).map(String);
    expect(ruleFiles.map((path) => hostPath(prometheus, path))).toEqual(['deploy/prometheus/rules/llm-cost.rules.yml', 'deploy/prometheus/rules/llm-cost.alerts.yml']);
    for (const path of ruleFiles) expect(exists(hostPath(prometheus, path)!), path).toBe(true);
    const jobs = list(config['scrape_configs']).map(map);
    const exporterJob = jobs.find((job) => job['job_name'] === 'llm-cost-exporter');
    expect(exporterJob).toBeDefined();
    const targets = (job: Yaml) => list(job['static_configs']).flatMap((c) => list(at(c, 'targets')).map(String));
    expect(targets(exporterJob!)).toEqual([`llm-cost-exporter:${DEFAULT_PORT}`]);
    for (const job of jobs) {
      for (const target of targets(job)) {
        const host = target.split(':')[0]!;
        if (host !== 'localhost') expect(Object.keys(services), `${String(job['job_name'])} target ${target}`).toContain(host);
      }
    }
    const alertmanagers = list(at(config, 'alerting.alertmanagers')).flatMap((am) => list(at(am, 'static_configs')).flatMap((c) => list(at(c, 'targets')).map(String)));
    if (name === 'production') {
      expect(alertmanagers).toEqual(['alertmanager:9093']);
      const alertmanager = map(services['alertmanager']);
      const amConfig = readYaml(hostPath(alertmanager, flagValue(commandArgs(alertmanager), '--config.file')!)!);
      const receivers = list(amConfig['receivers']).map((r) => at(r, 'name'));
      expect(receivers).toContain(at(amConfig, 'route.receiver'));
    } else {
      expect(alertmanagers).toEqual([]);
    }
  });

  it('Grafana gets the Prometheus datasource (fixed uid) and the dashboards folder', () => {
    const grafana = map(services['grafana']);
    const provisioning = hostPath(grafana, '/etc/grafana/provisioning');
    expect(provisioning).toBe(`${DIR}/grafana/provisioning`);
    const datasources = filesUnder(`${provisioning}/datasources`).flatMap((f) => list(readYaml(f)['datasources']).map(map));
    expect(datasources).toHaveLength(1);
    const datasource = datasources[0]!;
    expect(datasource).toMatchObject({ type: 'prometheus', uid: 'prometheus', isDefault: true });
    const url = new URL(String(datasource['url']));
    expect(Object.keys(services)).toContain(url.hostname);
    expect(commandArgs(map(services[url.hostname])).join(' ')).toContain('--config.file');
    const providers = filesUnder(`${provisioning}/dashboards`).flatMap((f) => list(readYaml(f)['providers']).map(map));
    expect(providers).toHaveLength(1);
    const dashboardsDir = String(at(providers[0], 'options.path'));
    expect(hostPath(grafana, dashboardsDir)).toBe('dashboards');
    expect(isDir('dashboards')).toBe(true);
    const home = map(grafana['environment'])['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'];
    if (home !== undefined) expect(exists(hostPath(grafana, String(home))!), String(home)).toBe(true);
  });

  it('Grafana loads each dashboard once: the file provider reads sub-folders too, so copies there are masked', () => {
    const grafana = map(services['grafana']);
    const masked = list(grafana['tmpfs']).map((path) => hostPath(grafana, String(path).split(':')[0]!));
    for (const path of masked) expect(path !== undefined && isDir(path), `masked ${String(path)} exists`).toBe(true);
    const loaded = filesUnder('dashboards').filter((file) => file.endsWith('.json') && !masked.some((dir) => file.startsWith(`${dir!}/`)));
    expect(loaded.length).toBeGreaterThan(0);
    const uids = loaded.map((file) => (JSON.parse(readText(file)) as { uid?: string }).uid);
    expect(uids.every((uid) => typeof uid === 'string')).toBe(true);
    expect(new Set(uids).size, `dashboard uids are unique: ${loaded.join(', ')}`).toBe(uids.length);
  });
});

describe('deploy/compose/production.yml', () => {
  const services = map(readYaml(FILES.production)['services']);

  it('gives vLLM the GPUs, and the exporter GPU access with the utility capability (nvidia-smi)', () => {
    const vllm = gpuDevices(map(services['vllm']));
    expect(vllm).toHaveLength(1);
    expect(vllm[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
    const exporter = gpuDevices(map(services['llm-cost-exporter']));
    expect(exporter).toHaveLength(1);
    expect(exporter[0]!['driver']).toBe('nvidia');
    expect(list(exporter[0]!['capabilities'])).toEqual(expect.arrayContaining(['gpu', 'utility']));
  });

  it('the exporter configuration is valid and polls the vllm service on the port vLLM serves', () => {
    const exporter = map(services['llm-cost-exporter']);
    const configPath = String(map(exporter['environment'])['LLM_COST_CONFIG']);
    const file = hostPath(exporter, configPath);
    expect(file).toBe(`${DIR}/exporter.yml`);
    const config = loadConfig({ file: repoPath(file!), env: {}, flags: {} });
    const vllmPort = flagValue(commandArgs(map(services['vllm'])), '--port');
    expect(config.vllm.targets).toEqual([`http://vllm:${vllmPort}/metrics`]);
  });
});

describe('deploy/compose/demo.yml', () => {
  const services = map(readYaml(FILES.demo)['services']);

  it('needs no GPU: nothing reserves one, and the exporter runs `demo` on every interface', () => {
    for (const service of Object.values(services)) expect(gpuDevices(map(service))).toEqual([]);
    const args = commandArgs(map(services['llm-cost-exporter']));
    expect(args[0]).toBe('demo');
    // The demo defaults to 127.0.0.1:9787, which nothing outside the container can reach.
    expect(flagValue(args, '--web.listen-address')).toBe(`:${DEFAULT_PORT}`);
  });
});
