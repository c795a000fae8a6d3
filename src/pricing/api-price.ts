/** List price of one API model, USD per million tokens. */
export interface ApiPrice {
  /** Short id used in config and in the `api_model` label, e.g. `claude-3-5-haiku`. */
  readonly id: string;
  readonly input_usd_per_mtok: number;
  readonly output_usd_per_mtok: number;
  readonly cached_input_usd_per_mtok?: number;
  readonly provider?: string;
  /** Id in the source price list (e.g. LiteLLM's key), kept for traceability. */
  readonly source_id?: string;
}
