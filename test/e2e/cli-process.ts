import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = `${ROOT}dist/cli/main.js`;
export const NVIDIA_SMI_DOUBLE = `${ROOT}test/doubles/nvidia-smi`;

export interface CliProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/**
 * Starts the real CLI as a process, listening on an ephemeral port, and resolves once it logged
 * the port it bound. Rejects with its stderr if it exits first.
 */
export function startCli(args: string[], env: Record<string, string> = {}): Promise<CliProcess> {
  // each process gets its own state directory unless the test names one (persistence tests)
  const storage = args.includes('--storage.path') ? [] : ['--storage.path', mkdtempSync(join(tmpdir(), 'llm-cost-test-'))];
  const child = spawn(process.execPath, [CLI, ...args, ...storage, '--web.listen-address', '127.0.0.1:0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start within 10 s:\n${stderr}`)), 10_000);
    const onData = () => {
      const m = /"msg":"listening"/.test(stderr) && /"port":(\d+)/.exec(stderr);
      if (!m) return;
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      const port = Number(m[1]);
      resolve({
        child,
        port,
        url: `http://127.0.0.1:${port}`,
        stderr: () => stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('exit', (code) => done(code));
            child.kill('SIGTERM');
          }),
      });
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${code}:\n${stderr}`));
    });
  });
}

/** Runs the CLI to completion and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

/** Reads one sample's value from a text exposition; undefined when the series is absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}
