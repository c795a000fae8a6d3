import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { builtinModules } from 'node:module';
import { createServer } from 'node:net';
import { posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerIgnored, dockerignorePatterns, envOf, execForm, parseCopy, parseDockerfile, withWorkdir, type Stage } from './dockerfile.js';
import { makeTestCertificates } from '../server/test-certificates.js';
import { startExporterServer, type ExporterServer } from './exporter-server.js';
import { DEFAULT_PORT, EXPORTER_ENV_VARS, exists, filesUnder, joinPosix, readText, repoPath } from './repo.js';

const DOCKERFILE = 'deploy/docker/Dockerfile';
const stages = parseDockerfile(readText(DOCKERFILE));
const runtime = stages.at(-1)!;
const ops = (stage: Stage, op: string) => stage.instructions.filter((instruction) => instruction.op === op);
const lastWorkdir = (stage: Stage) => withWorkdir(stage).at(-1)?.workdir ?? '/';

/**
 * Where each path of the runtime image comes from in the repository: container path -> repository
 * path. A stage copied `--from` mirrors the repository at its WORKDIR (the build stage copies the
 * sources there and compiles in place), so /src/dist there is the repository's dist/.
 */
function imageLayout(): Map<string, string> {
  const layout = new Map<string, string>();
  for (const { instruction, workdir } of withWorkdir(runtime)) {
    if (instruction.op !== 'COPY' && instruction.op !== 'ADD') continue;
    const copy = parseCopy(instruction);
    const dest = copy.dest.startsWith('/') ? copy.dest : posix.join(workdir, copy.dest);
    for (const source of copy.sources) {
      let repo = posix.normalize(source).replace(/^\.\/|\/$/g, '');
      if (copy.from !== undefined) {
        const stage = stages.find((s) => s.name === copy.from);
        if (!stage) throw new Error(`COPY --from=${copy.from}: no such stage`);
        repo = posix.relative(lastWorkdir(stage), source);
      }
      const target = copy.dest.endsWith('/') || copy.sources.length > 1 ? posix.join(dest, posix.basename(source)) : dest.replace(/\/$/, '');
      layout.set(target, repo);
    }
  }
  return layout;
}

/** The repository path a container path of the runtime image comes from, if any. */
function repoPathOf(containerPath: string): string | undefined {
  let best: [string, string] | undefined;
  for (const [target, repo] of imageLayout()) {
    if ((containerPath === target || containerPath.startsWith(`${target}/`)) && (!best || target.length > best[0].length)) best = [target, repo];
  }
  if (!best) return undefined;
  const rest = containerPath.slice(best[0].length).replace(/^\//, '');
  return rest === '' ? best[1] : `${best[1]}/${rest}`;
}

describe('deploy/docker/Dockerfile', () => {
  it('has a named build stage and a runtime stage, both on Node.js 20', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.some((stage) => stage.name === 'build')).toBe(true);
    expect(readText(DOCKERFILE)).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const stage of stages) expect(stage.instructions[0]!.args).toMatch(/^\$\{NODE_IMAGE\}(\s|$)/);
  });

  it('copies only sources that exist in the repository and that .dockerignore lets through', () => {
    const ignore = dockerignorePatterns(readText('.dockerignore'));
    const sources = stages.flatMap((stage) =>
      [...ops(stage, 'COPY'), ...ops(stage, 'ADD')].map(parseCopy).filter((copy) => copy.from === undefined).flatMap((copy) => copy.sources),
    );
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(exists(source), `${source} exists`).toBe(true);
      expect(dockerIgnored(ignore, posix.normalize(source).replace(/\/$/, '')), `${source} is not in .dockerignore`).toBe(false);
    }
    for (const copy of stages.flatMap((stage) => ops(stage, 'COPY').map(parseCopy))) {
      if (copy.from !== undefined) expect(stages.map((stage) => stage.name)).toContain(copy.from);
    }
  });

  it('keeps bulky and host-specific folders out of the build context', () => {
    const ignore = dockerignorePatterns(readText('.dockerignore'));
    for (const path of ['node_modules', 'dist', '.git', 'data', 'test-artifacts', '.tmp', 'node_modules/yaml/package.json']) {
      expect(dockerIgnored(ignore, path), path).toBe(true);
    }
  });

  it('builds with the project compiler settings: tsc -p tsconfig.build.json over the copied sources', () => {
    const build = stages.find((stage) => stage.name === 'build')!;
    const copied = ops(build, 'COPY').map(parseCopy).flatMap((copy) => copy.sources);
    const tsconfig = JSON.parse(readText('tsconfig.build.json')) as { extends: string; include: string[]; compilerOptions: { outDir: string; rootDir: string } };
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.build.json', tsconfig.extends.replace(/^\.\//, ''), ...tsconfig.include]) {
      expect(copied, needed).toContain(needed);
    }
    expect(ops(build, 'RUN').map((run) => run.args).join('\n')).toMatch(/tsc -p tsconfig\.build\.json/);
    expect([tsconfig.compilerOptions.outDir, tsconfig.compilerOptions.rootDir]).toEqual(['dist', 'src']);
  });

  it('runs dist/cli/main.js, a file the build produces, with `serve` by default', () => {
    const entrypoint = execForm(ops(runtime, 'ENTRYPOINT')[0]!.args)!;
    expect(entrypoint[0]).toBe('node');
    const script = repoPathOf(entrypoint[1]!);
    expect(script).toBe('dist/cli/main.js');
    expect(exists('src/cli/main.ts')).toBe(true);
    expect(exists('dist/cli/main.js'), 'built by the global setup (tsc -p tsconfig.build.json)').toBe(true);
    expect(execForm(ops(runtime, 'CMD')[0]!.args)).toEqual(['serve']);
  });

  it('contains every file the compiled code reads beside itself (package.json, prices, status page, simulator)', () => {
    const reads = new Set<string>();
    for (const file of filesUnder('dist').filter((path) => path.endsWith('.js'))) {
      for (const match of readText(file).matchAll(/new URL\(\s*[`'"]([^`'"]+)[`'"]\s*,\s*import\.meta\.url\s*\)/g)) {
        const relativePath = match[1]!.split('${')[0]!;
        reads.add(joinPosix(posix.dirname(file), relativePath).replace(/\/$/, ''));
      }
    }
    expect(reads).toContain('package.json');
    expect(reads).toContain('dist/pricing/bundled-prices.json');
    const appDir = lastWorkdir(runtime);
    for (const path of reads) {
      if (path.startsWith('..')) continue; // e.g. test-only paths outside the package (none today)
      expect(exists(path), `${path} exists in the repository`).toBe(true);
      expect(repoPathOf(posix.join(appDir, path)), `${path} is copied to ${appDir}/${path}`).toBe(path);
    }
  });

  it('installs every package the compiled code imports (production dependencies only)', () => {
    const pkg = JSON.parse(readText('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    for (const file of filesUnder('dist').filter((path) => path.endsWith('.js'))) {
      const text = readText(file);
      const patterns = [/\bfrom\s*['"]([^'".][^'"]*)['"]/g, /\bimport\s*\(\s*['"]([^'".][^'"]*)['"]\s*\)/g, /\bimport\s*['"]([^'".][^'"]*)['"]/g, /require(?:\.resolve)?\(\s*['"]([^'".][^'"]*)['"]\s*\)/g];
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          const specifier = match[1]!;
          if (specifier.startsWith('node:') || builtins.has(specifier)) continue;
          const parts = specifier.split('/');
          imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
        }
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    for (const name of imported) expect(Object.keys(pkg.dependencies), `${name} is a production dependency`).toContain(name);
    expect(ops(runtime, 'RUN').map((run) => run.args).join('\n')).toMatch(/npm ci --omit=dev --ignore-scripts/);
  });

  it('runs as a fixed numeric non-root user that owns the state volume', () => {
    const user = ops(runtime, 'USER').at(-1)!.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    const env = envOf(runtime);
    const storage = env.get('LLM_COST_STORAGE_PATH');
    expect(storage).toBe('/var/lib/llm-cost-exporter');
    expect(execForm(ops(runtime, 'VOLUME')[0]!.args)).toEqual([storage]);
    const runs = ops(runtime, 'RUN').map((run) => run.args).join('\n');
    expect(runs).toContain(`chown ${user} ${storage}`);
    for (const name of env.keys()) if (name.startsWith('LLM_COST_')) expect(EXPORTER_ENV_VARS).toContain(name);
  });

  it('exposes the default listen port', () => {
    expect(ops(runtime, 'EXPOSE').map((expose) => Number(expose.args))).toEqual([DEFAULT_PORT]);
  });
});

describe('deploy/docker/healthcheck.mjs (the HEALTHCHECK)', () => {
  let server: ExporterServer;
  beforeAll(async () => {
    server = await startExporterServer();
  });
  afterAll(() => server.close());

  const run = (env: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const child = execFile(process.execPath, [repoPath('deploy/docker/healthcheck.mjs')], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 10_000 });
      child.on('exit', (code) => resolve(code ?? -1));
    });

  it('is the script the image runs, with node (the slim image has no curl)', () => {
    const healthcheck = ops(runtime, 'HEALTHCHECK')[0]!.args;
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim())!;
    expect(command[0]).toBe('node');
    expect(repoPathOf(command[1]!)).toBe('deploy/docker/healthcheck.mjs');
    expect(readText('deploy/docker/healthcheck.mjs')).toContain('/-/healthy');
  });

  it('exits 0 against the exporter server (host:port, and :port on every interface)', async () => {
    expect(await server.status('/-/healthy')).toBe(200);
    expect(await run({ LLM_COST_WEB_LISTEN_ADDRESS: server.address })).toBe(0);
    expect(await run({ LLM_COST_WEB_LISTEN_ADDRESS: `:${server.address.split(':')[1]}` })).toBe(0);
    expect(await run({ LLM_COST_HEALTHCHECK_URL: `http://${server.address}/-/healthy` })).toBe(0);
  });

  it('exits 1 when nothing answers, or the path is not served', async () => {
    const port = await freePort();
    expect(await run({ LLM_COST_WEB_LISTEN_ADDRESS: `127.0.0.1:${port}` })).toBe(1);
    expect(await run({ LLM_COST_HEALTHCHECK_URL: `http://${server.address}/no-such-path` })).toBe(1);
  });

  it('counts a 401 (basic auth guards /-/healthy too) as serving, and a 503 as not', async () => {
    for (const [status, exit] of [[401, 0], [503, 1]] as const) {
      const stub = createHttpServer((_req, res) => res.writeHead(status).end());
      const url = await listen(stub, 'http');
      expect(await run({ LLM_COST_HEALTHCHECK_URL: url }), `HTTP ${status}`).toBe(exit);
      await new Promise((resolve) => stub.close(resolve));
    }
  });

  it('probes TLS over loopback without verifying the certificate (web.config_file)', async () => {
    const certs = makeTestCertificates();
    const stub = createHttpsServer({ cert: certs.read(certs.serverCert), key: certs.read(certs.serverKey) }, (_req, res) => res.writeHead(200).end('OK\n'));
    const url = await listen(stub, 'https');
    expect(await run({ LLM_COST_HEALTHCHECK_URL: url })).toBe(0);
    expect(await run({ LLM_COST_HEALTHCHECK_URL: url.replace('https:', 'http:') }), 'plain HTTP to a TLS port').toBe(1);
    await new Promise((resolve) => stub.close(resolve));
    rmSync(certs.dir, { recursive: true, force: true });
  });
});

function listen(server: HttpServer, scheme: 'http' | 'https'): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(`${scheme}://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/-/healthy`);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
