/**
 * Linux /proc readers for the benchmarks: CPU time (utime+stime, clock ticks), resident memory
 * and the process tree. Every figure the benchmarks report about another process comes from here.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on every Linux in practice). */
export function clockTicksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface CpuTimes {
  /** user + system CPU of the process (all its threads), ms. */
  readonly selfMs: number;
  /** user + system CPU of its children that it has waited for (reaped), ms. */
  readonly reapedChildrenMs: number;
}

/** utime, stime, cutime, cstime of /proc/PID/stat in ms; undefined when the process is gone. */
export function readCpu(pid: number | 'self'): CpuTimes | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // the command name (field 2) may hold spaces and parentheses: split after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14 -> index 11
  const msPerTick = 1000 / clockTicksPerSecond();
  const n = (i: number): number => Number(fields[i] ?? 0);
  return { selfMs: (n(11) + n(12)) * msPerTick, reapedChildrenMs: (n(13) + n(14)) * msPerTick };
}

export interface Memory {
  /** VmRSS, MiB. */
  readonly rssMiB: number;
  /** VmHWM (peak RSS), MiB. */
  readonly hwmMiB: number;
}

export function readMemory(pid: number | 'self'): Memory | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Direct children of `pid` (from /proc/PID/task/TID/children). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (p.trim() !== '') out.push(Number(p));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** CPU ms of a process and all its living descendants (reaped ones are in their parent's reapedChildrenMs). */
export function treeCpuMs(pid: number): number {
  const self = readCpu(pid);
  if (!self) return 0;
  let total = self.selfMs + self.reapedChildrenMs;
  for (const child of childPids(pid)) total += treeCpuMs(child);
  return total;
}

/** The 1-minute load average. */
export function loadAverage1m(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/** Aggregate CPU time of the host from /proc/stat: busy and total jiffies (for "how busy was the host"). */
export function hostCpuJiffies(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Time on CPU of a process's main thread from /proc/PID/schedstat, ms with ns resolution (exact
 * for a single-threaded process such as a C program); undefined where schedstat is missing.
 */
export function readSchedMs(pid: number): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}
