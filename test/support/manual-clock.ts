import type { Clock } from '../../src/time/clock.js';

/** A clock that moves only when the test says so; timers never fire by themselves. */
export function manualClock(startMs: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let now = startMs;
  return {
    now: () => now,
    every: () => () => undefined,
    sleep: () => Promise.resolve(),
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
