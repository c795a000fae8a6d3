import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  classifyOutput,
  describeExit,
  describeSpawnError,
  describeStall,
  firstNonEmptyLine,
  invalidFieldName,
} from '../../../src/sources/nvidia-smi/nvidia-smi-error.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/nvidia-smi/${name}`, import.meta.url), 'utf8');
}

describe('describeExit', () => {
  it('names the documented exit codes and quotes the first non-empty line', () => {
    expect(describeExit(9, fixture('driver-error.txt'))).toBe(
      "nvidia-smi exited with code 9 (NVIDIA driver not loaded): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
    );
    expect(describeExit(12, '')).toBe('nvidia-smi exited with code 12 (NVML shared library not found), no output');
    expect(describeExit(15, fixture('device-handle-unknown-error.txt'))).toBe(
      'nvidia-smi exited with code 15 (GPU fell off the bus or is inaccessible): Unable to determine the device handle for GPU0000:3A:00.0: Unknown Error',
    );
    expect(describeExit(255, '\n  \n')).toBe('nvidia-smi exited with code 255 (other error), no output');
    expect(describeExit(2, fixture('invalid-field.txt'))).toBe(
      'nvidia-smi exited with code 2 (invalid argument or flag): Field "power.draw.average" is not a valid field to query.',
    );
  });

  it('quotes only the first line of a multi-line message', () => {
    const text = describeExit(18, fixture('nvml-version-mismatch.txt'));
    expect(text).toBe(
      'nvidia-smi exited with code 18 (NVML driver/library version mismatch): Failed to initialize NVML: Driver/library version mismatch',
    );
    expect(text).not.toContain('570.172');
  });

  it('handles an unknown code, a signal, and CRLF output', () => {
    expect(describeExit(77, 'boom\r\n')).toBe('nvidia-smi exited with code 77: boom');
    expect(describeExit(null, '', 'SIGKILL')).toBe('nvidia-smi was killed by SIGKILL, no output');
    expect(describeExit(null, 'x')).toBe('nvidia-smi exited: x');
  });

  it('keeps descriptions short whatever was printed', () => {
    const text = describeExit(255, `${'y'.repeat(10_000)}\nsecond`);
    expect(text.length).toBeLessThan(260);
    expect(text.endsWith('...')).toBe(true);
  });
});

describe('classifyOutput / invalidFieldName / firstNonEmptyLine', () => {
  it.each([
    ['driver-error.txt', 'driver-not-loaded'],
    ['nvml-version-mismatch.txt', 'nvml-version-mismatch'],
    ['nvml-unknown-error.txt', 'nvml-unknown-error'],
    ['device-handle-unknown-error.txt', 'device-handle'],
    ['invalid-field.txt', 'invalid-field'],
    ['h100x8-csv-noheader-nounits.txt', 'unknown'],
  ])('%s -> %s', (name, kind) => {
    expect(classifyOutput(fixture(name))).toBe(kind);
  });

  it('knows the other first lines', () => {
    expect(classifyOutput('No devices were found\n')).toBe('no-devices');
    expect(classifyOutput('Failed to initialize NVML: Insufficient Permissions')).toBe('nvml-insufficient-permissions');
    expect(classifyOutput('Unable to determine the device handle for GPU 0000:0B:00.0: GPU is lost. Reboot the system to recover this GPU')).toBe('device-handle');
    expect(classifyOutput("ERROR: Option -m is missing its value. Please run 'nvidia-smi -h' for help.")).toBe('invalid-option');
    expect(classifyOutput('')).toBe('unknown');
  });

  it('extracts the field of an invalid-field message', () => {
    expect(invalidFieldName(firstNonEmptyLine(fixture('invalid-field.txt')) ?? '')).toBe('power.draw.average');
    expect(invalidFieldName('Field "memory.reserved" is not a valid field to query.\r')).toBe('memory.reserved');
    expect(invalidFieldName('Failed to initialize NVML: Unknown Error')).toBeUndefined();
  });

  it('finds the first non-empty line', () => {
    expect(firstNonEmptyLine('\n \r\n  hello \nworld')).toBe('hello');
    expect(firstNonEmptyLine('\n\n')).toBeUndefined();
  });
});

describe('describeSpawnError / describeStall', () => {
  it('describes a missing or non-executable binary', () => {
    const enoent = Object.assign(new Error('spawn /x ENOENT'), { code: 'ENOENT' });
    const eacces = Object.assign(new Error('spawn /x EACCES'), { code: 'EACCES' });
    expect(describeSpawnError('/x', enoent)).toBe('nvidia-smi not found at /x (ENOENT)');
    expect(describeSpawnError('/x', eacces)).toBe('nvidia-smi at /x is not executable (EACCES)');
    expect(describeSpawnError('/x', new Error('weird'))).toBe('cannot start nvidia-smi at /x: weird');
  });

  it('describes a stall', () => {
    expect(describeStall(5000)).toBe('nvidia-smi printed no row for 5000 ms (hung); killed');
  });
});
