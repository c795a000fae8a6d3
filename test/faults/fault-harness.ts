import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { beforeAll, it } from 'vitest';
import { parseExposition } from '../../src/sources/exposition/parse.js';
import { startCli, type CliProcess } from '../e2e/cli-process.js';

/**
 * One fault case against the real CLI: a watcher scrapes `/metrics` every 150 ms for the whole
 * run and checks the reliability invariants on every body, samples the CLI's RSS and children
 * from /proc, and after `stop()` checks that no child process outlived it.
 */

/** RSS ceiling of the CLI through any fault case. */
export const MAX_RSS_MB = 150;
const WATCH_EVERY_MS = 150;

export interface CaseReport {
  readonly code: number | null;
  /** When the case became ready (faults come after). */
  readonly readyAtMs: number;
  readonly stderr: string;
  /** Broken invariants, one line each (empty = all held). */
  readonly violations: readonly string[];
  readonly scrapes: number;
  readonly maxRssMb: number;
  /** Every pid seen as a child of the CLI. */
  readonly childPids: readonly number[];
  /** JSON log lines of stderr (non-JSON lines such as "received SIGTERM" left out). */
  readonly logs: ReadonlyArray<Record<string, unknown>>;
}

/** `llm_cost_*usd*` and `*_ratio*` series are money and fractions: finite and never negative. */
function isCostOrRatio(name: string): boolean {
  return name.startsWith('llm_cost_') && (name.includes('usd') || /_ratio(?:$|_)/.test(name)) && name !== 'llm_cost_api_savings_usd';
}

/** A counting semaphore. */
class Gate {
  private used = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(public width: number) {}

  async acquire(): Promise<void> {
    while (this.used >= this.width) await new Promise<void>((r) => this.waiters.push(r));
    this.used++;
  }

  release(): void {
    this.used--;
    this.waiters.shift()?.();
  }
}

/** How many CLIs may be starting at once (see FaultCase.start). */
const startGate = new Gate(1);

export class FaultCase {
  latest = '';
  /** Bumped at every good scrape. */
  seq = 0;
  scrapes = 0;
  readonly violations: string[] = [];
  maxRssMb = 0;
  readyAtMs = 0;
  readonly childPids = new Set<number>();
  private readonly counters = new Map<string, number>();
  private readonly zombiesSeen = new Map<number, number>();
  private served = false;
  private watching = true;
  private readonly watcher: Promise<void>;

  private constructor(readonly cli: CliProcess) {
    this.watcher = this.watch();
  }

  /**
   * Starts the CLI and waits until `ready` holds for its /metrics. Boots are throttled until the
   * CLI listens (faultMatrix's `startWidth`, default 1): a Node process booting costs most of a
   * CPU-second, and a dozen at once on two cores would make the other cases' healthy polls time
   * out. Faults are injected only after `ready`.
   */
  static async start(args: string[], env: Record<string, string>, ready: (text: string) => boolean, what = 'the case to be ready'): Promise<FaultCase> {
    await startGate.acquire();
    let c: FaultCase;
    try {
      c = new FaultCase(await startCli(args, env)); // resolves once it listens: the CPU-heavy part
    } finally {
      startGate.release();
    }
    try {
      await c.until(what, ready, 20_000);
      c.readyAtMs = Date.now();
    } catch (error) {
      await c.stop();
      throw error;
    }
    return c;
  }

  get pid(): number {
    return this.cli.child.pid!;
  }

  /**
   * Waits until a watcher's scrape satisfies `check` (given the body); throws with the health
   * series and stderr after `timeoutMs`. (Only the watcher scrapes: bodies are checked in order.)
   */
  async until(what: string, check: (text: string) => boolean, timeoutMs = 8000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    for (;;) {
      if (this.seq !== seen) {
        seen = this.seq;
        if (this.latest !== '' && check(this.latest)) return this.latest;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last /metrics:\n${grepHealth(this.latest)}\nstderr:\n${this.cli.stderr()}`);
      await sleep(20);
    }
  }

  /** Holds for `ms` while the watcher keeps scraping, then returns the last body. */
  async hold(ms: number): Promise<string> {
    await sleep(ms);
    return this.latest;
  }

  /** Live children of the CLI now (pid → state letter). */
  children(): Map<number, string> {
    return childrenOf(this.pid);
  }

  async stop(): Promise<CaseReport> {
    this.watching = false;
    await this.watcher;
    const code = await this.cli.stop();
    // the CLI has exited: none of its children may be left (an orphan is re-parented, still alive)
    await sleep(300);
    for (const pid of this.childPids) {
      if (existsSync(`/proc/${pid}`) && stateOf(pid) !== 'Z') this.violations.push(`child ${pid} outlived the CLI`);
    }
    const stderr = this.cli.stderr();
    return {
      code,
      readyAtMs: this.readyAtMs,
      stderr,
      violations: this.violations,
      scrapes: this.scrapes,
      maxRssMb: this.maxRssMb,
      childPids: [...this.childPids],
      logs: jsonLines(stderr),
    };
  }

  private async watch(): Promise<void> {
    while (this.watching) {
      await this.scrape();
      this.sampleProcess();
      await sleep(WATCH_EVERY_MS);
    }
  }

  private async scrape(): Promise<string | undefined> {
    let status: number;
    let text: string;
    try {
      const res = await fetch(`${this.cli.url}/metrics`, { signal: AbortSignal.timeout(3000) });
      status = res.status;
      text = await res.text();
    } catch (error) {
      this.violations.push(`/metrics did not answer: ${(error as Error).message}`);
      return undefined;
    }
    this.scrapes++;
    if (status !== 200) {
      if (this.served || status !== 503) this.violations.push(`/metrics answered ${status}`);
      return undefined;
    }
    this.served = true;
    this.latest = text;
    this.seq++;
    this.checkInvariants(text);
    return text;
  }

  private checkInvariants(text: string): void {
    let samples;
    try {
      samples = parseExposition(text).samples;
    } catch (error) {
      this.violations.push(`/metrics does not parse: ${(error as Error).message}`);
      return;
    }
    for (const s of samples) {
      const series = `${s.name}${JSON.stringify(s.labels)}`;
      if (isCostOrRatio(s.name) && !(Number.isFinite(s.value) && s.value >= 0)) this.violations.push(`${series} = ${s.value}`);
      if (s.name.startsWith('llm_cost_') && Number.isNaN(s.value)) this.violations.push(`${series} is NaN`);
      if (s.name.startsWith('llm_cost_') && s.name.endsWith('_total')) {
        const before = this.counters.get(series);
        if (before !== undefined && s.value < before) this.violations.push(`counter ${series} went down: ${before} -> ${s.value}`);
        this.counters.set(series, s.value);
      }
    }
  }

  private sampleProcess(): void {
    const rss = rssMb(this.pid);
    if (rss !== undefined) {
      this.maxRssMb = Math.max(this.maxRssMb, rss);
      if (rss > MAX_RSS_MB) this.violations.push(`RSS ${rss.toFixed(0)} MB above ${MAX_RSS_MB} MB`);
    }
    const now = Date.now();
    const children = this.children();
    let alive = 0;
    for (const [pid, state] of children) {
      this.childPids.add(pid);
      if (state !== 'Z') {
        alive++;
        this.zombiesSeen.delete(pid);
        continue;
      }
      // a zombie lasts until Node reaps it: only one that stays past half a second is a leak
      const since = this.zombiesSeen.get(pid) ?? now;
      this.zombiesSeen.set(pid, since);
      if (now - since > 500) this.violations.push(`zombie child ${pid} not reaped for ${now - since} ms`);
    }
    if (alive > 1) this.violations.push(`${alive} live children at once`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Log lines as objects. */
export function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return stderr.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Log lines at or after `sinceMs` (pino's ISO `time`). */
export function logsSince(logs: ReadonlyArray<Record<string, unknown>>, sinceMs: number): Array<Record<string, unknown>> {
  return logs.filter((l) => Date.parse(String(l['time'])) >= sinceMs);
}

/** Log lines whose message matches. */
export function logsMatching(logs: ReadonlyArray<Record<string, unknown>>, msg: RegExp): Array<Record<string, unknown>> {
  return logs.filter((l) => typeof l['msg'] === 'string' && msg.test(l['msg']));
}

function stateOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let list = '';
    try {
      list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const child of list.trim().split(/\s+/).filter(Boolean).map(Number)) {
      const state = stateOf(child);
      if (state !== undefined) out.set(child, state);
    }
  }
  return out;
}

function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

function grepHealth(text: string): string {
  return text
    .split('\n')
    .filter((l) => /collector_up|gpu_lost|restarts_total|tokens_total\{|billed/.test(l))
    .join('\n');
}

/**
 * Runs registered scenarios `concurrency` at a time, beyond vitest's maxConcurrency (5): a fault
 * case spends most of its time waiting on timers, so a dozen fit on two cores (start-ups are
 * serialised by FaultCase.start). `runAll()` goes in a beforeAll; each `it` awaits `result(name)`,
 * so every case still passes or fails under its own name.
 */
export class ScenarioRunner {
  private readonly scenarios = new Map<string, () => Promise<void>>();
  private readonly results = new Map<string, Promise<{ error?: unknown }>>();

  add(name: string, body: () => Promise<void>): string {
    if (this.scenarios.has(name)) throw new Error(`scenario "${name}" registered twice`);
    this.scenarios.set(name, body);
    return name;
  }

  /** Starts every scenario in registration order (register the longest first), `concurrency` at once. */
  runAll(concurrency: number): void {
    const slots = new Gate(concurrency);
    const started = Date.now();
    for (const [name, body] of this.scenarios) {
      const settled = slots
        .acquire()
        .then(async () => {
          const t0 = Date.now();
          try {
            await body();
          } finally {
            if (process.env['FAULT_TIMELINE'] === '1') process.stdout.write(`[fault] ${name}: ${((t0 - started) / 1000).toFixed(1)}s +${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
          }
        })
        .then(
          () => ({}),
          (error: unknown) => ({ error }),
        )
        .finally(() => slots.release());
      this.results.set(name, settled);
    }
  }

  /** Resolves when the scenario passed; rejects with its error. */
  async result(name: string): Promise<void> {
    const outcome = await this.results.get(name);
    if (outcome === undefined) throw new Error(`scenario "${name}" never ran`);
    if ('error' in outcome) throw outcome.error;
  }
}

/**
 * Declares a matrix of fault scenarios in the enclosing describe: `scenario(name, body)` is one
 * test. Bodies start together in a beforeAll, `concurrency` at a time, with `startWidth` CLIs
 * starting at once.
 */
export function faultMatrix(
  concurrency: number,
  { startWidth = 1 }: { startWidth?: number } = {},
): {
  scenario: (name: string, body: () => Promise<void>) => void;
} {
  const runner = new ScenarioRunner();
  beforeAll(() => {
    startGate.width = startWidth;
    runner.runAll(concurrency);
  });
  return {
    scenario: (name, body) => {
      runner.add(name, body);
      it(name, () => runner.result(name), CASE_TIMEOUT_MS);
    },
  };
}

/** Generous: an `it` may wait for its scenario's turn as well as for the scenario itself. */
const CASE_TIMEOUT_MS = 90_000;
