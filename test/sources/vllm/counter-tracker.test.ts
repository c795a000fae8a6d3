import { describe, expect, it } from 'vitest';
import { CounterTracker } from '../../../src/sources/vllm/counter-tracker.js';
import type { CounterSeries, VllmReading } from '../../../src/sources/vllm/vllm-reading.js';

const series = (kind: CounterSeries['kind'], value: number, extra: Partial<CounterSeries> = {}): CounterSeries => ({
  key: `${kind}|${extra.model ?? 'm'}|${extra.reason ?? ''}|${extra.le ?? ''}|${(extra as { engine?: string }).engine ?? ''}`,
  kind,
  model: 'm',
  value,
  ...extra,
});
const reading = (counters: CounterSeries[], processStartTimeSeconds?: number): VllmReading => ({
  counters,
  models: {},
  ...(processStartTimeSeconds !== undefined && { processStartTimeSeconds }),
});

describe('CounterTracker', () => {
  it('gives no delta on the first reading (baseline), then exact increases', () => {
    const t = new CounterTracker();
    expect(t.update(reading([series('prompt_tokens', 1000)], 1)).continuity).toBe('baseline');
    const u = t.update(reading([series('prompt_tokens', 1300), series('generation_tokens', 5)], 1));
    expect(u.continuity).toBe('same-process');
    expect(u.delta.promptTokens).toBe(300);
    // a series that appeared on a known target counted whole
    expect(u.delta.generationTokens).toBe(5);
  });

  it('treats a decrease as a restart: the new value, never a negative delta', () => {
    const t = new CounterTracker();
    t.update(reading([series('prompt_tokens', 1000)]));
    const u = t.update(reading([series('prompt_tokens', 40)]));
    expect(u.continuity).toBe('restarted');
    expect(u.delta.promptTokens).toBe(40);
  });

  it('detects a restart by process_start_time_seconds even when the counter grew past its old value', () => {
    const t = new CounterTracker();
    t.update(reading([series('prompt_tokens', 1000)], 100));
    const u = t.update(reading([series('prompt_tokens', 5000)], 200));
    expect(u.continuity).toBe('restarted');
    expect(u.delta.promptTokens).toBe(5000);
  });

  it('detects a restart by a changed _created', () => {
    const t = new CounterTracker();
    t.update(reading([series('generation_tokens', 1000, { created: 10 })]));
    const same = t.update(reading([series('generation_tokens', 1100, { created: 10 })]));
    expect(same).toMatchObject({ continuity: 'same-process', delta: { generationTokens: 100 } });
    const u = t.update(reading([series('generation_tokens', 2000, { created: 99 })]));
    expect(u).toMatchObject({ continuity: 'restarted', delta: { generationTokens: 2000 } });
  });

  it('without any identity, continuity is unproven', () => {
    const t = new CounterTracker();
    t.update(reading([series('prompt_tokens', 1)]));
    expect(t.update(reading([series('prompt_tokens', 2)])).continuity).toBe('unproven');
  });

  it('sums engines per model and splits requests by reason and TTFT by bucket', () => {
    const t = new CounterTracker();
    const base = [
      series('prompt_tokens', 10, { engine: '0' } as Partial<CounterSeries>),
      series('prompt_tokens', 20, { engine: '1' } as Partial<CounterSeries>),
      series('request_success', 5, { reason: 'stop' }),
      series('ttft_bucket', 1, { le: '0.1' }),
    ];
    t.update(reading(base, 1));
    const u = t.update(
      reading(
        [
          series('prompt_tokens', 15, { engine: '0' } as Partial<CounterSeries>),
          series('prompt_tokens', 30, { engine: '1' } as Partial<CounterSeries>),
          series('request_success', 8, { reason: 'stop' }),
          series('ttft_bucket', 4, { le: '0.1' }),
        ],
        1,
      ),
    );
    expect(u.delta.promptTokens).toBe(15);
    expect(u.delta.models['m']).toMatchObject({ promptTokens: 15, requests: { stop: 3 } });
    expect(u.delta.ttftBuckets).toEqual({ '0.1': 3 });
  });

  it('keeps a series that vanished (a truncated scrape) so it does not double count when it returns', () => {
    const t = new CounterTracker();
    t.update(reading([series('prompt_tokens', 100), series('generation_tokens', 10)], 1));
    t.update(reading([series('prompt_tokens', 110)], 1));
    const u = t.update(reading([series('prompt_tokens', 120), series('generation_tokens', 12)], 1));
    expect(u.delta.generationTokens).toBe(2);
  });

  it('state is plain data that restores', () => {
    const a = new CounterTracker();
    a.update(reading([series('prompt_tokens', 100)], 7));
    const b = new CounterTracker(JSON.parse(JSON.stringify(a.state)));
    expect(b.update(reading([series('prompt_tokens', 150)], 7)).delta.promptTokens).toBe(50);
  });
});
