/**
 * Time, injected. Accounting and sources never read `Date.now()` directly, so tests can drive a
 * simulated week in milliseconds and the demo can run the exporter on the simulator's clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, on this clock. */
  now(): number;
  /**
   * Calls `fn` every `intervalMs` of this clock's time until the returned function is called.
   * A scaled clock (demo `--speed`) fires proportionally faster in real time; the simulator's
   * clock awaits a returned promise before time moves on.
   */
  every(intervalMs: number, fn: () => void | Promise<void>): () => void;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** Clock ms per real ms (the demo's --speed); undefined = real time. Child processes that
   *  run on real time (nvidia-smi -lms) are paced with it. */
  readonly speed?: number;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  every(intervalMs, fn) {
    const timer = setInterval(fn, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
  sleep: (ms) =>
    new Promise((resolve) => {
      setTimeout(resolve, ms).unref();
    }),
};
