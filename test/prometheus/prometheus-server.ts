import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Path of Debian's prometheus server; fails loudly (never skips) when it is missing. */
export function prometheusBinary(): string {
  const path = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).stdout.trim();
  if (!path) throw new Error("prometheus not found: install Debian's prometheus package (apt-get install -y prometheus)");
  return path;
}

/** A port free right now on 127.0.0.1 (Prometheus cannot report the port of :0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface PrometheusProcess {
  readonly url: string;
  readonly child: ChildProcess;
  log(): string;
  stop(): Promise<void>;
  /** Instant query; returns the result vector (throws on an API error). */
  query(expr: string, timeS?: number): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
}

/** Every Prometheus started by these helpers and not yet stopped: afterAll hooks stop them all. */
const running = new Set<PrometheusProcess>();

export async function stopAllPrometheus(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Starts `prometheus` on `storage` with `configFile`; resolves once /-/ready answers 200. */
export async function startPrometheus(configFile: string, storage: string, extra: string[] = []): Promise<PrometheusProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    prometheusBinary(),
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // time retention counts back from the newest block, but keep every simulated week whatever
      '--storage.tsdb.retention.time=10y',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const p: PrometheusProcess = {
    url,
    child,
    log: () => log,
    stop: async () => {
      running.delete(p);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
    query: async (expr, timeS) => {
      const params = new URLSearchParams({ query: expr, ...(timeS !== undefined && { time: String(timeS) }) });
      const res = await fetch(`${url}/api/v1/query?${params}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
      return body.data.result;
    },
  };
  running.add(p);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/-/ready`)).status === 200) return p;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await p.stop();
      throw new Error(`prometheus not ready within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
