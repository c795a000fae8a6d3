import { createHash } from 'node:crypto';

/** The GPU name the nvidia-smi double prints by default. */
export const SIMULATED_GPU_NAME = 'NVIDIA A100-SXM4-80GB';

/** The uuid the nvidia-smi double prints for GPU `index` (same derivation as the double). */
export function simulatedGpuUuid(index: number): string {
  const h = createHash('md5').update(`fake-nvidia-smi-gpu-${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
