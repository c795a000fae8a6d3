/** Where the benchmark ran: written at the top of docs/benchmarks.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { loadAverage1m } from './proc.js';

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly virtualization: string;
  readonly node: string;
  readonly date: string;
  readonly loadAverageAtStart: number;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function describeMachine(): Machine {
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    kernel: run('uname', ['-r']) || 'unknown',
    virtualization: run('systemd-detect-virt', []) || (/hypervisor/.test(safeRead('/proc/cpuinfo')) ? 'VM (hypervisor flag)' : 'unknown'),
    node: process.version,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    loadAverageAtStart: loadAverage1m(),
  };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Installed version of a Debian package, or undefined. */
export function debianVersion(pkg: string): string | undefined {
  return run('dpkg-query', ['-W', '-f=${Version}', pkg]) || undefined;
}
