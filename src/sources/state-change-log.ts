import type { Logger } from 'pino';

/**
 * Logs a source's failures once per change of state: the first failure at warn, the same failure
 * repeating not at all, a different failure once more, and the recovery once at info. A poll every
 * second against a dead vLLM must not write a line every second.
 */
export class StateChangeLog {
  private lastError: string | undefined;
  private everUp = false;

  constructor(
    private readonly logger: Logger,
    private readonly context: Record<string, string>,
  ) {}

  up(message = 'source is up'): void {
    if (this.lastError !== undefined || !this.everUp) {
      this.logger.info({ ...this.context, ...(this.lastError !== undefined && { previous_error: this.lastError }) }, message);
    }
    this.lastError = undefined;
    this.everUp = true;
  }

  /**
   * `state` identifies the kind of failure (defaults to the message): a body that breaks at a
   * different place each poll is one state, not a new line per poll.
   */
  down(error: string, state = error): void {
    if (state !== this.lastError) this.logger.warn({ ...this.context, error }, 'source is down');
    this.lastError = state;
  }
}
