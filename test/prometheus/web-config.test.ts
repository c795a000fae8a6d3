import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWebConfig } from '../../src/server/web-config.js';
import { makeTestCertificates } from '../server/test-certificates.js';
import { runPromtool } from './promtool.js';

const EXAMPLE = new URL('../../deploy/web-config.example.yml', import.meta.url).pathname;

describe('promtool check web-config', () => {
  // The example names tls/server.crt and tls/server.key beside it; promtool loads the key pair,
  // so the check runs on a copy with freshly made certificates at those paths.
  const certs = makeTestCertificates();
  const dir = join(certs.dir, 'example');
  mkdirSync(join(dir, 'tls'), { recursive: true });
  copyFileSync(EXAMPLE, join(dir, 'web-config.yml'));
  copyFileSync(certs.serverCert, join(dir, 'tls/server.crt'));
  copyFileSync(certs.serverKey, join(dir, 'tls/server.key'));

  it('accepts deploy/web-config.example.yml, and so does the exporter', () => {
    const r = runPromtool(['check', 'web-config', join(dir, 'web-config.yml')]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
    const config = loadWebConfig(join(dir, 'web-config.yml'));
    expect(config.tls?.cert).toEqual({ file: join(dir, 'tls/server.crt') });
    expect([...config.basicAuthUsers.keys()]).toEqual(['prometheus']);
  });

  it('would refuse a broken one (the check is live)', () => {
    copyFileSync(certs.clientKey, join(dir, 'tls/server.key'));
    const r = runPromtool(['check', 'web-config', join(dir, 'web-config.yml')]);
    expect(r.status).not.toBe(0);
    expect(() => loadWebConfig(join(dir, 'web-config.yml'))).toThrow(/key values mismatch/);
  });
});
