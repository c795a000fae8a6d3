import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { configLeaves } from '../../src/config/schema.js';
import { parse } from 'yaml';
import { EXPORTER_ENV_VARS, at, exists, readText, repoPath } from './repo.js';

const UNIT = 'deploy/systemd/llm-cost-exporter.service';

/** A systemd unit as section -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`${UNIT}: unexpected line ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

describe('deploy/systemd/llm-cost-exporter.service', () => {
  const unit = parseUnit(readText(UNIT));
  const service = unit.get('Service')!;
  const one = (key: string) => service.get(key)?.at(-1);
  const environment = new Map(
    (service.get('Environment') ?? []).map((assignment) => assignment.split('=', 2) as [string, string]),
  );

  it('has [Unit], [Service] and [Install] sections, wanted by multi-user.target', () => {
    expect([...unit.keys()]).toEqual(['Unit', 'Service', 'Install']);
    expect(unit.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
  });

  it('runs dist/cli/main.js serve with node, restarting on failure but not on a configuration error', () => {
    const [node, script, ...args] = one('ExecStart')!.split(/\s+/);
    expect(node).toMatch(/^\/\S*\/node$/);
    expect(script).toMatch(/^\/\S+\/dist\/cli\/main\.js$/);
    expect(exists('dist/cli/main.js')).toBe(true);
    expect(args).toEqual(['serve']);
    expect(one('Restart')).toBe('on-failure');
    expect(one('RestartPreventExitStatus')).toBe('2'); // src/cli/main.ts: exit 2 = bad configuration
  });

  it('keeps state in its StateDirectory and reads its config from its ConfigurationDirectory', () => {
    expect(one('DynamicUser') === 'yes' || one('User') !== undefined).toBe(true);
    const state = one('StateDirectory')!;
    expect(environment.get('LLM_COST_STORAGE_PATH')).toBe(`/var/lib/${state}`);
    expect(environment.get('LLM_COST_CONFIG')).toBe(`/etc/${one('ConfigurationDirectory')!}/config.yml`);
    for (const name of environment.keys()) expect(EXPORTER_ENV_VARS, name).toContain(name);
  });

  it('is hardened, but lets nvidia-smi reach /dev/nvidia* and lets V8 JIT', () => {
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['CapabilityBoundingSet', '']]) {
      expect(one(key!), key).toBe(value);
    }
    expect(one('PrivateDevices')).not.toBe('yes'); // a private /dev has no /dev/nvidia*
    if (one('DevicePolicy') === 'closed' || one('DevicePolicy') === 'strict') {
      expect(service.get('DeviceAllow')?.some((allow) => /nvidia/.test(allow) && /\brw\b/.test(allow))).toBe(true);
    }
    expect(one('MemoryDenyWriteExecute')).not.toBe('yes');
  });

  it('its example config file is valid', () => {
    const config = loadConfig({ file: repoPath('deploy/systemd/config.example.yml'), env: {}, flags: {} });
    expect(config.vllm.targets).toEqual(['http://127.0.0.1:8000/metrics']);
  });
});

describe('deploy/config.example.yml', () => {
  const text = readText('deploy/config.example.yml');

  it('is a valid configuration as written', () => {
    const config = loadConfig({ file: repoPath('deploy/config.example.yml'), env: {}, flags: {} });
    expect(config.web.listen_address).toBe(':9787');
  });

  it('shows every configuration key, active or commented out ("# " before the key line)', () => {
    // Uncomment the commented-out settings: a "# " at column 0 followed by a key or a list item.
    const uncommented = text.replace(/^# (\s*(?:[a-z_]+:(?: |$)|- ))/gm, '$1');
    const all = parse(uncommented) as unknown;
    for (const leaf of configLeaves) expect(at(all, leaf.key), leaf.key).toBeDefined();
  });

  it('names every key\'s environment variable and flag', () => {
    for (const leaf of configLeaves) {
      if (leaf.env !== undefined) expect(text, leaf.key).toContain(leaf.env);
      if (leaf.flag !== undefined) expect(text, leaf.key).toContain(`--${leaf.flag}`);
    }
  });
});
