/** The simulated GPU host every benchmark section describes: 8 H100s and 4 vLLM targets. */
import { createHash } from 'node:crypto';

export const HOST_GPUS = 8;
export const HOST_TARGETS = 4;

/** One model per vLLM target (the doubles serve these; the seeded history uses them too). */
export const HOST_MODELS: readonly string[] = [
  'meta-llama/Llama-3.1-8B-Instruct',
  'Qwen/Qwen2.5-32B-Instruct',
  'mistralai/Mistral-Small-24B-Instruct-2501',
  'google/gemma-3-27b-it',
];

/** The uuid src/simulator/nvidia-smi-double prints for GPU `i` (same recipe). */
export function doubleGpuUuid(i: number): string {
  const h = createHash('md5').update(`fake-nvidia-smi-gpu-${i}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
