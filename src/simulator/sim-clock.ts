import type { Clock } from '../time/clock.js';

interface Timer {
  due: number;
  readonly interval: number;
  readonly fn: () => void | Promise<void>;
  cancelled: boolean;
}

/**
 * The simulator's clock: discrete events in simulated time, each run to completion (awaited)
 * before time moves on, paced at `speed` x real time (Infinity: as fast as possible). The
 * exporter runs on it too, so its polls see exactly the simulated state of their instant and its
 * windows fill as they would in real time.
 */
export class SimClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];
  private running = false;
  private stopped = false;
  private realStart = performance.now();
  private simStart: number;
  private currentSpeed: number;

  constructor(startMs: number, speed: number) {
    this.current = startMs;
    this.simStart = startMs;
    this.currentSpeed = speed;
  }

  /** Simulated ms per real ms (Infinity: as fast as possible). */
  get speed(): number {
    return this.currentSpeed;
  }

  /** Changes the pace from now on (the demo warms up at full speed, then runs live). */
  setSpeed(speed: number): void {
    this.currentSpeed = speed;
    this.realStart = performance.now();
    this.simStart = this.current;
  }

  now(): number {
    return this.current;
  }

  every(intervalMs: number, fn: () => void | Promise<void>): () => void {
    // aligned to multiples of the interval, like Prometheus' scrape offsets: the windows' bucket
    // boundaries then coincide with poll instants
    const due = Math.floor(this.current / intervalMs) * intervalMs + intervalMs;
    const timer: Timer = { due, interval: intervalMs, fn, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const stop = this.every(ms, () => {
        stop();
        resolve();
      });
    });
  }

  /** Runs events until `untilMs` (simulated) or stop(). */
  async run(untilMs = Infinity): Promise<void> {
    if (this.running) throw new Error('SimClock is already running');
    this.running = true;
    this.stopped = false;
    try {
      let sinceYield = 0;
      while (!this.stopped) {
        const next = this.nextTimer();
        if (!next || next.due > untilMs) {
          if (untilMs !== Infinity) this.current = Math.max(this.current, untilMs);
          break;
        }
        if (Number.isFinite(this.currentSpeed)) {
          const realDue = this.realStart + (next.due - this.simStart) / this.currentSpeed;
          const wait = realDue - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        }
        this.current = next.due;
        next.due += next.interval;
        await next.fn();
        // let I/O (HTTP, the nvidia-smi child's rows) through now and then
        if (++sinceYield >= 16) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    this.stopped = true;
  }

  /** The earliest due timer; among equals, the first registered (so step-then-read order holds). */
  private nextTimer(): Timer | undefined {
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.cancelled) this.timers.splice(i, 1);
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.due < best.due) best = t;
    return best;
  }
}
