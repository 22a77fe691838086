// Process-wide controls: seeding, threads, memory figures.
import { describe } from './errors.js';
import { native } from './native.js';
import { checkInt } from './options.js';

/**
 * Seeds libtorch's CPU and CUDA generators.
 * @example torch.manualSeed(0);
 */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(checkSeed(seed));
}

/** A seed as libtorch takes it: a non-negative integer below 2^64. */
export function checkSeed(seed: unknown): bigint {
  const ok = typeof seed === 'bigint' ? seed >= 0n && seed < 1n << 64n : Number.isSafeInteger(seed) && (seed as number) >= 0;
  if (!ok) throw new TypeError(`Expected a non-negative integer below 2^64 for seed but received ${describe(seed)}`);
  return BigInt(seed as number | bigint);
}

/** Sets the threads libtorch uses for CPU ops (torchnode starts with one per core). @example torch.setNumThreads(1); // leave the other cores to the service */
export function setNumThreads(n: number): void {
  native.setNumThreads(checkInt(n, 'numThreads', 1));
}

/** The threads libtorch uses for CPU ops. @example console.log(torch.getNumThreads()); */
export const getNumThreads = (): number => native.getNumThreads();

export interface MemoryInfo {
  /** Tensors created and not yet disposed in this thread. */
  liveTensors: number;
  /** Bytes of CPU tensor data they hold (reported to V8 as external memory). */
  hostBytes: number;
  /** Per CUDA device: libtorch's caching-allocator figures. */
  cuda: { device: number; allocatedBytes: number; reservedBytes: number; peakAllocatedBytes: number }[];
}

/** Live tensors and bytes, for leak checks. @example console.log(torch.memory().liveTensors) */
export function memory(): MemoryInfo {
  const m = native.memory();
  const cuda: MemoryInfo['cuda'] = [];
  if (native.buildInfo().cuda && native.cudaIsAvailable()) {
    for (let d = 0; d < native.cudaDeviceCount(); d++) cuda.push({ device: d, ...native.cudaMemoryStats(d) });
  }
  return { ...m, cuda };
}

/**
 * Returns the host memory freed tensors left in the C allocator's pools to the system (glibc's
 * `malloc_trim`; false where nothing was released or the C library has no such call). The pools
 * (one per thread that ran libtorch, libuv's workers included) otherwise keep it for reuse, so the
 * RSS of a long-running process stays at its peak. Cheap enough to call when a service goes idle
 * or between training epochs; no tensor is touched.
 * @example torch.releaseHostMemory();
 */
export function releaseHostMemory(): boolean {
  return native.releaseHostMemory();
}
