import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliProcess } from './cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-cost-web-'));
const BASE = ['--gpu.hourly-cost-usd', '3.2', '--no-nvidia-smi.enabled', '--gpu.indices', '0', '--vllm.targets', 'http://127.0.0.1:9/metrics'];

describe('--web.config.file on the real CLI', () => {
  let cli: CliProcess | undefined;
  afterAll(async () => {
    await cli?.stop();
  });

  it('protects every path with basic auth', async () => {
    const file = join(dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${bcrypt.hashSync('s3cret', 4)}\n`);
    cli = await startCli([...BASE, '--web.config.file', file]);
    expect((await fetch(`${cli.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${cli.url}/-/healthy`)).status).toBe(401);
    const auth = { authorization: `Basic ${Buffer.from('prometheus:s3cret').toString('base64')}` };
    expect((await fetch(`${cli.url}/-/healthy`, { headers: auth })).status).toBe(200);
    const wrong = { authorization: `Basic ${Buffer.from('prometheus:nope').toString('base64')}` };
    expect((await fetch(`${cli.url}/-/healthy`, { headers: wrong })).status).toBe(401);
  });

  it('a bad web config is a configuration error: one line naming the key, exit 2, also for --config.check', async () => {
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'basic_auth_users:\n  prometheus: not-a-bcrypt-hash\n');
    for (const extra of [[], ['--config.check']]) {
      const r = await runCli([...BASE, '--web.config.file', file, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^config error: web\.config_file: basic_auth_users\.prometheus: expected a bcrypt hash/);
    }
  });
});
