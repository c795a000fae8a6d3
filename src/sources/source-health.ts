/**
 * What every source reports about itself, for `llm_cost_collector_*` series and the status page.
 * A source's failure is a value here and one log line, never an exception in the scrape path.
 */
export interface SourceHealth {
  /** `vllm` or `nvidia_smi`. */
  readonly collector: string;
  /** The vLLM URL, or the nvidia-smi path. */
  readonly target: string;
  /** True when the last poll (or the stream) delivered usable data. */
  up: boolean;
  /** Clock time (ms) of the last successful poll or row, if any. */
  lastSuccessMs?: number;
  /** Duration of the last poll in seconds (for a stream: the time between its last two rows). */
  lastDurationSeconds?: number;
  /** Short reason of the last failure, safe to log (no secrets). */
  lastError?: string;
}
