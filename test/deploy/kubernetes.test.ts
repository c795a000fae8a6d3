import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { envOf, parseDockerfile } from './dockerfile.js';
import { startExporterServer, type ExporterServer } from './exporter-server.js';
import { build, containers, kustomizationFile, ofKind, podSpec, selects, type Build } from './kustomize.js';
import { at, DEFAULT_PORT, DEFAULT_TELEMETRY_PATH, EXPORTER_ENV_VARS, filesUnder, list, map, readText, readYaml, repoPath, type Yaml } from './repo.js';

const K8S = 'deploy/kubernetes';
/** The two ways to deploy: `kubectl apply -k` of each. */
const VARIANTS = { sidecar: K8S, daemonset: `${K8S}/daemonset` } as const;
const EXPORTER_IMAGE = 'llm-cost-exporter';

const runtimeStage = parseDockerfile(readText('deploy/docker/Dockerfile')).at(-1)!;
const IMAGE_UID = Number(runtimeStage.instructions.filter((i) => i.op === 'USER').at(-1)!.args.split(':')[0]);
const STORAGE_PATH = envOf(runtimeStage).get('LLM_COST_STORAGE_PATH')!;

const isExporter = (container: Yaml) => String(container['image']).split(':')[0]!.endsWith(EXPORTER_IMAGE);
const workloadsOf = (b: Build) => [...ofKind(b, 'Deployment'), ...ofKind(b, 'DaemonSet')];
const exporterOf = (b: Build) => {
  const found = workloadsOf(b).flatMap((workload) => containers(workload).filter(isExporter).map((container) => ({ workload, container })));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const envList = (container: Yaml) => list(container['env']).map(map);
const envValue = (container: Yaml, name: string) => envList(container).find((e) => e['name'] === name)?.['value'];
const gpuLimit = (container: Yaml) => map(at(container, 'resources.limits'))['nvidia.com/gpu'];

describe('deploy/kubernetes kustomizations', () => {
  const kustomizations = filesUnder(K8S).filter((file) => file.endsWith('/kustomization.yaml'));

  it('are well formed, and every resource and generator input they name exists', () => {
    expect(kustomizations).toEqual(expect.arrayContaining([kustomizationFile(K8S), kustomizationFile(VARIANTS.daemonset)]));
    for (const file of kustomizations) {
      const k = readYaml(file);
      expect([k['apiVersion'], k['kind']], file).toEqual(['kustomize.config.k8s.io/v1beta1', 'Kustomization']);
      expect(() => build(file.replace(/\/kustomization\.yaml$/, ''))).not.toThrow();
    }
  });

  it('leave no file unused: every YAML file is a kustomization, a resource or a generator input', () => {
    const used = new Set(Object.values(VARIANTS).flatMap((dir) => [...build(dir).files]));
    for (const file of filesUnder(K8S).filter((f) => /\.ya?ml$/.test(f))) expect(used, file).toContain(file);
  });
});

describe.each(Object.entries(VARIANTS))('kubectl apply -k %s variant', (variant, dir) => {
  const b = build(dir);
  let server: ExporterServer;
  beforeAll(async () => {
    server = await startExporterServer();
  });
  afterAll(() => server.close());

  it('every manifest has apiVersion, kind and a DNS-1123 metadata.name', () => {
    expect(b.manifests.length).toBeGreaterThan(3);
    for (const { file, doc } of b.manifests) {
      expect(typeof doc['apiVersion'], file).toBe('string');
      expect(typeof doc['kind'], file).toBe('string');
      expect(String(at(doc, 'metadata.name')), file).toMatch(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/);
    }
    const ids = b.manifests.map(({ doc }) => `${String(doc['kind'])}/${String(at(doc, 'metadata.name'))}`);
    expect(new Set(ids).size, 'no two manifests of the same kind and name').toBe(ids.length);
  });

  it('workloads: the selector matches the pod template, every container has a name and an image', () => {
    const workloads = workloadsOf(b);
    expect(workloads).toHaveLength(1);
    for (const workload of workloads) {
      expect(workload['apiVersion']).toBe('apps/v1');
      expect(selects(at(workload, 'spec.selector.matchLabels'), at(workload, 'spec.template.metadata.labels'))).toBe(true);
      const names = containers(workload).map((c) => c['name']);
      expect(new Set(names).size).toBe(names.length);
      for (const container of containers(workload)) {
        expect(typeof container['name']).toBe('string');
        expect(String(container['image'])).toMatch(/\S/);
      }
      const volumes = new Set(list(podSpec(workload)['volumes']).map((v) => at(v, 'name')));
      for (const container of containers(workload)) {
        for (const mount of list(container['volumeMounts'])) expect(volumes, `${String(container['name'])} mounts ${String(at(mount, 'name'))}`).toContain(at(mount, 'name'));
      }
    }
  });

  it('the exporter container: port 9787, probes on /-/healthy and /-/ready, which the exporter serves', async () => {
    const { container } = exporterOf(b);
    expect(b.images.get(EXPORTER_IMAGE), 'images: sets the exporter tag').toMatch(/^\d+\.\d+\.\d+/);
    const ports = list(container['ports']).map(map);
    expect(ports).toEqual([{ name: 'metrics', containerPort: DEFAULT_PORT }]);
    expect(at(container, 'livenessProbe.httpGet')).toEqual({ path: '/-/healthy', port: 'metrics' });
    expect(at(container, 'readinessProbe.httpGet')).toEqual({ path: '/-/ready', port: 'metrics' });
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const path = at(container, `${probe}.httpGet.path`);
      if (path !== undefined) expect(await server.status(String(path)), `${probe} ${String(path)}`).toBe(200);
    }
  });

  it('the exporter container: non-root (the image user), read-only root, state on a volume, small resources, no GPU of its own', () => {
    const { workload, container } = exporterOf(b);
    expect(at(container, 'securityContext')).toMatchObject({
      runAsNonRoot: true,
      runAsUser: IMAGE_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const mounts = list(container['volumeMounts']).map(map);
    const state = mounts.find((m) => m['mountPath'] === STORAGE_PATH);
    expect(state, `a volume at ${STORAGE_PATH} (storage.path in the image)`).toBeDefined();
    expect(state!['readOnly']).not.toBe(true);
    const volume = list(podSpec(workload)['volumes']).map(map).find((v) => v['name'] === state!['name'])!;
    expect(volume['emptyDir'] ?? volume['persistentVolumeClaim'] ?? volume['hostPath']).toBeDefined();
    for (const key of ['requests.cpu', 'requests.memory', 'limits.memory']) expect(at(container, `resources.${key}`), key).toBeDefined();
    // A GPU request would allocate the exporter a GPU of its own.
    expect(gpuLimit(container)).toBeUndefined();
    expect(map(at(container, 'resources.requests'))['nvidia.com/gpu']).toBeUndefined();
    expect(envValue(container, 'NVIDIA_VISIBLE_DEVICES')).toBe('all');
    expect(envValue(container, 'NVIDIA_DRIVER_CAPABILITIES')).toBe('utility');
  });

  it('the exporter configuration (ConfigMap and variables) is valid for the exporter', () => {
    const { workload, container } = exporterOf(b);
    const env: Record<string, string> = {};
    for (const entry of envList(container)) {
      const name = String(entry['name']);
      if (entry['value'] === undefined) {
        env[name] = '10.0.0.7'; // a downward-API value (status.hostIP)
        continue;
      }
      // $(VAR) expands only variables defined earlier in the list, as Kubernetes does.
      const value = String(entry['value']).replace(/\$\((\w+)\)/g, (_m, ref: string) => {
        expect(env[ref], `$(${ref}) is defined before ${name}`).toBeDefined();
        return env[ref]!;
      });
      env[name] = value;
      if (name.startsWith('LLM_COST_')) expect(EXPORTER_ENV_VARS, name).toContain(name);
    }
    const configPath = env['LLM_COST_CONFIG'];
    expect(configPath).toBeDefined();
    const mount = list(container['volumeMounts']).map(map).find((m) => configPath!.startsWith(`${String(m['mountPath'])}/`))!;
    expect(mount['readOnly']).toBe(true);
    const volume = list(podSpec(workload)['volumes']).map(map).find((v) => v['name'] === mount['name'])!;
    const configMap = b.generatedConfigMaps.get(String(at(volume, 'configMap.name')));
    expect(configMap, 'the config volume is a ConfigMap of this kustomization').toBeDefined();
    const file = configMap!.get(configPath!.slice(String(mount['mountPath']).length + 1));
    expect(file).toBeDefined();
    const { LLM_COST_CONFIG: _, ...overrides } = env;
    const config = loadConfig({ file: repoPath(file!), env: overrides, flags: {} });
    expect(config.vllm.targets.length).toBeGreaterThan(0);
    if (variant === 'sidecar') {
      const vllm = containers(workload).find((c) => !isExporter(c))!;
      expect(gpuLimit(vllm), 'vLLM holds the pod GPU').toBeDefined();
      const vllmPort = list(vllm['ports']).map(map)[0]!['containerPort'];
      expect(config.vllm.targets).toEqual([`http://127.0.0.1:${String(vllmPort)}/metrics`]);
    } else {
      expect(podSpec(workload)['hostNetwork']).not.toBe(true);
      for (const target of config.vllm.targets) expect(target).toMatch(/^http:\/\/10\.0\.0\.7:\d+\/metrics$/);
    }
  });

  it('Services select the pods and name ports that the containers expose', () => {
    const services = ofKind(b, 'Service');
    expect(services.length).toBeGreaterThan(0);
    const templates = workloadsOf(b);
    for (const service of services) {
      const name = String(at(service, 'metadata.name'));
      expect(name.length, `${name}: Service names are at most 63 characters`).toBeLessThanOrEqual(63);
      const workload = templates.find((w) => selects(at(service, 'spec.selector'), at(w, 'spec.template.metadata.labels')));
      expect(workload, `${name} selects a workload of the variant`).toBeDefined();
      const containerPorts = containers(workload!).flatMap((c) => list(c['ports']).map(map));
      for (const port of list(at(service, 'spec.ports')).map(map)) {
        expect(typeof port['name']).toBe('string');
        expect(Number.isInteger(port['port'])).toBe(true);
        expect(containerPorts.map((p) => p['name']), `${name} targetPort ${String(port['targetPort'])}`).toContain(port['targetPort']);
      }
    }
  });

  it('the ServiceMonitor scrapes the exporter port of its Service at the telemetry path, as a job the alerts recognise', () => {
    const monitors = ofKind(b, 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const monitor = monitors[0]!;
    expect(monitor['apiVersion']).toBe('monitoring.coreos.com/v1');
    const service = ofKind(b, 'Service').find((s) => selects(at(monitor, 'spec.selector.matchLabels'), at(s, 'metadata.labels')));
    expect(service, 'a Service carries the selected labels').toBeDefined();
    const servicePorts = list(at(service, 'spec.ports')).map(map);
    const endpoints = list(at(monitor, 'spec.endpoints')).map(map);
    expect(endpoints.length).toBeGreaterThan(0);
    for (const endpoint of endpoints) {
      const port = servicePorts.find((p) => p['name'] === endpoint['port']);
      expect(port, `endpoint port ${String(endpoint['port'])} is a named port of ${String(at(service, 'metadata.name'))}`).toBeDefined();
      expect(port!['targetPort']).toBe('metrics');
      expect(endpoint['path'] ?? '/metrics').toBe(DEFAULT_TELEMETRY_PATH);
      // deploy/prometheus/rules/llm-cost.alerts.yml: LLMCostExporterDown matches up{job=~".*llm-cost.*"}.
      const jobRelabel = list(endpoint['relabelings']).map(map).find((r) => r['targetLabel'] === 'job');
      expect(String(jobRelabel?.['replacement'] ?? at(service, 'metadata.name'))).toMatch(/llm-cost/);
      // The fleet rules sum `without (instance, pod)`: any other per-host label would split the fleet.
      for (const relabel of list(endpoint['relabelings']).map(map)) expect(['job']).toContain(relabel['targetLabel']);
    }
  });

  it('includes the bundled rules (PrometheusRule) and dashboards (ConfigMaps for Grafana\'s sidecar)', () => {
    const rules = ofKind(b, 'PrometheusRule');
    expect(rules).toHaveLength(1);
    expect(rules[0]!['apiVersion']).toBe('monitoring.coreos.com/v1');
    expect(list(at(rules[0], 'spec.groups')).length).toBeGreaterThan(0);
    const dashboards = ofKind(b, 'ConfigMap').filter((c) => map(at(c, 'metadata.labels'))['grafana_dashboard'] === '1');
    expect(dashboards.length).toBeGreaterThan(0);
    for (const dashboard of dashboards) expect(Object.keys(map(dashboard['data'])).every((key) => key.endsWith('.json'))).toBe(true);
  });
});
