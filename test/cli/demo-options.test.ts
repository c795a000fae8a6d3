import { describe, expect, it } from 'vitest';
import { DEMO_OPTIONS } from '../../src/cli/demo-options.js';
import { DEFAULT_DEMO } from '../../src/simulator/demo-host.js';

describe('demo options', () => {
  it('default to the simulator\'s own defaults', () => {
    const defaults = Object.fromEntries(DEMO_OPTIONS.map(([flag, , value]) => [flag.split(' ')[0], value]));
    expect(defaults['--models']).toBe(DEFAULT_DEMO.models.join(','));
    expect(defaults['--peak-to-trough']).toBe(String(DEFAULT_DEMO.peakToTrough));
    expect(defaults['--seed']).toBe(String(DEFAULT_DEMO.seed));
    expect(defaults['--speed']).toBe(String(DEFAULT_DEMO.speed));
    expect(defaults['--gpus']).toBe(String(DEFAULT_DEMO.gpus));
  });
});
