import { spawnSync } from 'node:child_process';

/** Path of promtool; fails loudly (never skips) when Debian's prometheus package is missing. */
export function promtool(): string {
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  if (!path) throw new Error('promtool not found: install Debian\'s prometheus package (apt-get install -y prometheus)');
  return path;
}

/** Runs promtool with stdin; returns exit status and combined output. */
export function runPromtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync(promtool(), args, { input, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

