import type { Logger } from 'pino';
import type { ExporterState } from '../exporter/exporter.js';
import { StateFile } from './state-file.js';

/** What the exporter reports about its persistence. */
export interface StorageStatus {
  lastSaveMs?: number;
  saveErrors: number;
  /** Corrupt state files found (and moved aside) at start. */
  corruptLoads: number;
}

/**
 * Saves the exporter's state every `intervalMs` of real time and on shutdown, and restores it at
 * start. Saving failures are a metric and one log line per change, never a crash.
 */
export class Persistence {
  readonly status: StorageStatus = { saveErrors: 0, corruptLoads: 0 };
  private readonly file: StateFile;
  private timer: NodeJS.Timeout | undefined;
  private lastError: string | undefined;

  constructor(
    dir: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {
    this.file = new StateFile(dir);
  }

  /** The saved state, if any; a corrupt file is moved aside with one warning. */
  restore(): ExporterState | undefined {
    this.file.cleanTemporary();
    let result;
    try {
      result = this.file.load();
    } catch (error) {
      this.logger.warn({ err: error, path: this.file.path }, 'cannot read the saved state: starting clean');
      return undefined;
    }
    if (result.kind === 'none') return undefined;
    if (result.kind === 'corrupt') {
      this.status.corruptLoads++;
      this.logger.warn({ reason: result.reason, moved_to: result.movedTo }, 'saved state is corrupt: kept aside, starting clean');
      return undefined;
    }
    this.logger.info({ path: this.file.path, saved_at: new Date(result.state.savedAtMs).toISOString() }, 'restored saved state');
    return result.state.exporter;
  }

  /** Starts periodic saves of `state()`. */
  start(state: () => ExporterState): void {
    this.timer = setInterval(() => this.save(state()), this.intervalMs);
    this.timer.unref();
  }

  /** Stops periodic saves and saves once more. */
  stop(state: ExporterState): void {
    clearInterval(this.timer);
    this.save(state);
  }

  save(state: ExporterState): void {
    try {
      this.file.save(state);
      this.status.lastSaveMs = Date.now();
      if (this.lastError !== undefined) this.logger.info({ path: this.file.path }, 'saving state works again');
      this.lastError = undefined;
    } catch (error) {
      this.status.saveErrors++;
      const message = (error as Error).message;
      if (message !== this.lastError) this.logger.warn({ err: error, path: this.file.path }, 'cannot save state');
      this.lastError = message;
    }
  }
}
