import { createRequire } from 'node:module';

/** One family as returned by `parse-prometheus-text-format` (values stay strings). */
export interface PeerFamily {
  readonly name: string;
  readonly help?: string;
  readonly type: string;
  readonly metrics: ReadonlyArray<{
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly timestamp_ms?: string;
  }>;
}

/** The npm peer `parse-prometheus-text-format` (CommonJS, untyped). */
export const peerParse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PeerFamily[];
