import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ExporterState } from '../exporter/exporter.js';

/** The file as saved: a version, when it was saved, and the exporter's plain-data state. */
export interface SavedState {
  readonly format: 'llm-cost-exporter/state';
  readonly version: 1;
  /** Real time of the save, ms. */
  readonly savedAtMs: number;
  readonly exporter: ExporterState;
}

export type LoadResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'restored'; readonly state: SavedState }
  | { readonly kind: 'corrupt'; readonly reason: string; readonly movedTo: string };

export const STATE_FILE = 'state.json';

/**
 * The persisted state in `storage.path`, written crash-safely: a temporary file is written and
 * fsynced, renamed over the old one, and the directory fsynced, so a SIGKILL at any moment leaves
 * either the previous or the new state, never a torn one. A file that does not parse is moved
 * aside (kept for inspection) and the exporter starts clean.
 */
export class StateFile {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, STATE_FILE);
  }

  load(nowMs: number = Date.now()): LoadResult {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
      throw error;
    }
    const reason = validate(text);
    if (typeof reason !== 'string') return { kind: 'restored', state: reason };
    const movedTo = `${this.path}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.path, movedTo);
    return { kind: 'corrupt', reason, movedTo };
  }

  save(state: ExporterState, nowMs: number = Date.now()): void {
    mkdirSync(this.dir, { recursive: true });
    const saved: SavedState = { format: 'llm-cost-exporter/state', version: 1, savedAtMs: nowMs, exporter: state };
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(saved));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    // the rename is durable only once the directory entry is
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  /** Removes a temporary file left by a crash in the middle of a save. */
  cleanTemporary(): void {
    rmSync(`${this.path}.tmp`, { force: true });
  }
}

/** The parsed state, or why it cannot be used. */
function validate(text: string): SavedState | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const s = data as Partial<SavedState> | null;
  if (!s || typeof s !== 'object' || s.format !== 'llm-cost-exporter/state') return 'not an llm-cost-exporter state file';
  if (s.version !== 1) return `unsupported version ${String(s.version)}`;
  const ledger = s.exporter?.ledger;
  if (!ledger || ledger.version !== 1 || typeof ledger.totals !== 'object' || typeof ledger.rings !== 'object') {
    return 'ledger missing or malformed';
  }
  for (const name of ['5m', '1h', '24h', '7d'] as const) {
    if (!Array.isArray(ledger.rings[name]?.slots)) return `ring ${name} missing`;
  }
  if (typeof s.exporter?.trackers !== 'object' || s.exporter.trackers === null) return 'trackers missing';
  return s as SavedState;
}
