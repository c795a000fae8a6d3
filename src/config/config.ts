import type { ApiPrice } from '../pricing/api-price.js';

/**
 * The validated, frozen configuration. Keys mirror the YAML file (snake_case); durations are
 * already converted to milliseconds. Built only by `loadConfig`, which applies defaults,
 * the file, `LLM_COST_*` variables and flags, in that order of precedence (flags win).
 */
export interface Config {
  readonly vllm: {
    /** vLLM `/metrics` URLs; may be empty (GPU-only accounting). */
    readonly targets: readonly string[];
    /** Per-request timeout in ms (default: 80% of poll_interval, at most 10 s). */
    readonly timeout: number;
  };
  /** vLLM polling interval in ms; also the accounting tick. */
  readonly poll_interval: number;
  readonly nvidia_smi: {
    /** Binary to spawn (no shell). */
    readonly path: string;
    /** `-lms` interval in ms. */
    readonly interval: number;
    /** False turns the GPU source off (no nvidia-smi on the host). */
    readonly enabled: boolean;
  };
  readonly gpu: {
    /** nvidia-smi indices to watch and bill; undefined = every GPU nvidia-smi reports. */
    readonly indices?: readonly number[];
    /** USD per hour per GPU; exactly one of this and instance.hourly_cost_usd is set. */
    readonly hourly_cost_usd?: number;
  };
  readonly instance: {
    /** USD per hour for the whole host. */
    readonly hourly_cost_usd?: number;
  };
  readonly capacity: {
    /** Prompt+generation tokens per second at full load; undefined = token utilisation unknown. */
    readonly tokens_per_second?: number;
  };
  readonly ops: {
    /** This host's share of one engineer (0 = ops cost off). */
    readonly fte: number;
    /** Fully loaded engineer cost per year, USD. */
    readonly annual_cost_usd: number;
  };
  readonly api_prices: {
    readonly file?: string;
    /** Inline entries, already merged over the bundled table and the file into `table`. */
    readonly models: readonly ApiPrice[];
    /** API models exported besides compare_to. */
    readonly compare: readonly string[];
    /** The effective price table: bundled, then file, then inline models (later wins). */
    readonly table: ReadonlyMap<string, ApiPrice>;
  };
  /** API model of the "above API price" alert; always present in api_prices.table. */
  readonly compare_to: string;
  readonly alert: {
    readonly break_even_utilization: number;
    readonly ttft_seconds: number;
  };
  readonly storage: {
    readonly path: string;
    /** ms between saves of the state (also saved on shutdown). */
    readonly save_interval: number;
  };
  readonly web: {
    /** `host:port` or `:port`. */
    readonly listen_address: string;
    readonly telemetry_path: string;
    /** exporter-toolkit web config file (TLS, basic auth), if any. */
    readonly config_file?: string;
  };
  readonly log: {
    readonly level: 'debug' | 'info' | 'warn' | 'error';
    readonly format: 'json' | 'logfmt';
  };
}
