// torch.cuda.CUDAGraph and torch.cuda.graph(): record a run of CUDA work once, replay it with
// one launch. Replays reuse the captured memory: inputs go into static tensors in place.
import { z } from 'zod';

import { Stream } from './cuda-streams.js';
import { checkDevice, cudaDeviceIndex } from './device.js';
import { describe, TorchError } from './errors.js';
import { native, type CudaGraphHandle } from './native.js';
import { parseOptions } from './options.js';

/** A memory pool id: graphs captured with the same pool share memory (replay them in capture order). */
export type GraphPool = readonly [number, number] & { readonly __graphPool: unique symbol };

const captureOptions = z.strictObject({
  device: z.union([z.number(), z.string()]).describe("a CUDA device ('cuda', 'cuda:N' or N)").optional(),
  /** Share memory with the graphs captured with this pool (`otherGraph.pool()` or `graphPoolHandle()`). */
  pool: z.custom<GraphPool>((v) => Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n) && n >= 0))
    .describe('a pool from CUDAGraph.pool() or torch.cuda.graphPoolHandle()').optional(),
  /** The stream to capture on (by default one capture stream per device, as PyTorch). */
  stream: z.instanceof(Stream).describe('a torch.cuda.Stream').optional(),
  /** Which CUDA calls other threads may make during capture: as torch.cuda.graph's capture_error_mode. */
  captureErrorMode: z.enum(['global', 'thread_local', 'relaxed']).describe("'global', 'thread_local' or 'relaxed'").default('global'),
});

export type CaptureOptions = z.input<typeof captureOptions>;

/**
 * A CUDA graph, as `torch.cuda.CUDAGraph`: `captureBegin()` ... `captureEnd()` records the CUDA
 * work queued in between (on a side stream) without running it; `replay()` runs it again with
 * the same tensors. Prefer {@link graph}, which opens and closes the capture around a function.
 * `dispose()` frees the graph's memory now.
 *
 * @example
 * const g = new torch.cuda.CUDAGraph();
 * const y = torch.cuda.graph(g, () => model.forward(staticInput));
 * staticInput.copy_(batch); g.replay();   // y now holds the output for `batch`
 */
export class CUDAGraph {
  #h: CudaGraphHandle | null;

  constructor() {
    checkDevice('cuda');
    this.#h = native.cudaGraphNew();
  }

  /** Whether a capture has ended and replay() can run it. */
  get captured(): boolean {
    return native.cudaGraphStatus(this.#handle()) === 'captured';
  }

  captureBegin(options?: CaptureOptions): void {
    const o = parseOptions(captureOptions, options, 'CUDAGraph.captureBegin()');
    const device = cudaDeviceIndex(o.stream?.device ?? o.device);
    native.cudaGraphCaptureBegin(this.#handle(), device, o.pool ?? null, o.captureErrorMode, o.stream?._h ?? null);
  }

  captureEnd(): void {
    try {
      native.cudaGraphCaptureEnd(this.#handle());
    } catch (e) {
      throw captureError(e);
    }
  }

  /** Runs the captured work again, on the current stream. */
  replay(): void {
    native.cudaGraphReplay(this.#handle());
  }

  /** Drops the captured work and its memory; the graph can capture again. */
  reset(): void {
    native.cudaGraphReset(this.#handle());
  }

  /** This graph's memory pool, to share with later captures. */
  pool(): GraphPool {
    return native.cudaGraphPool(this.#handle()) as unknown as GraphPool;
  }

  /** Frees the graph and its memory; using it afterwards is a TypeError. Twice is fine. */
  dispose(): void {
    if (this.#h === null) return;
    native.cudaGraphAbort(this.#h); // a no-op unless capturing
    native.cudaGraphReset(this.#h);
    this.#h = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal ends a capture that failed part-way, dropping it (a no-op unless capturing) */
  _abort(): void {
    native.cudaGraphAbort(this.#handle());
  }

  #handle(): CudaGraphHandle {
    if (this.#h === null) throw new TypeError('CUDAGraph: used after dispose()');
    return this.#h;
  }
}

/** A new memory pool id for captures that should share memory. @example const pool = torch.cuda.graphPoolHandle(); */
export function graphPoolHandle(): GraphPool {
  return native.cudaGraphPoolHandle() as unknown as GraphPool;
}

/** Whether the current stream is capturing a CUDA graph (asks CUDA). */
export function isCurrentStreamCapturing(): boolean {
  return native.cudaIsCapturing();
}

/**
 * Captures the CUDA work `fn` queues into `g`, as PyTorch's `with torch.cuda.graph(g):`. The
 * device's queued work is waited for first; `fn` runs once, synchronously, on a capture stream,
 * and its work is recorded, not run: call `g.replay()` to run it. What `fn` returns (its output
 * tensors) is refilled by every replay. If `fn` throws, or the capture is invalid, the capture
 * is dropped and a TorchError says what went wrong.
 *
 * Inside `fn`: no reads back to the host (`item()`, `toTypedArray()`), no CPU tensors, no
 * `synchronize()`, and the same shapes on every replay. Warm up (run `fn` eagerly a few times)
 * before capturing, as PyTorch advises.
 *
 * @example
 * for (let i = 0; i < 3; i++) step();        // warm-up: cuDNN picks its algorithms, buffers exist
 * const g = new torch.cuda.CUDAGraph();
 * torch.cuda.graph(g, step);
 * for (const batch of batches) { staticX.copy_(batch); g.replay(); }
 */
export function graph<T>(g: CUDAGraph, fn: () => T, options?: CaptureOptions): T {
  if (!(g instanceof CUDAGraph)) throw new TypeError(`Expected a torch.cuda.CUDAGraph for g but received ${describe(g)}`);
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for fn but received ${describe(fn)}`);
  const o = parseOptions(captureOptions, options, 'torch.cuda.graph()');
  native.cudaSynchronize(cudaDeviceIndex(o.stream?.device ?? o.device));
  g.captureBegin(o);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    g._abort();
    throw captureError(e);
  }
  if (result instanceof Promise) {
    g._abort();
    throw new TypeError('torch.cuda.graph(): fn returned a promise; a capture records synchronous work only');
  }
  g.captureEnd();
  return result;
}

// CUDA's own words for a capture it refused, and what they mean here.
function captureError(e: unknown): unknown {
  if (!(e instanceof Error) || e.message.startsWith('CUDA graph capture')) return e;
  if (/captur/i.test(e.message)) {
    return new TorchError(`CUDA graph capture failed: ${e.message.trim()} (a host sync, a CPU copy or another ` +
      'stream\'s unsynchronised work ran during capture; the capture was dropped)');
  }
  return e instanceof TypeError ? e : new TorchError(`CUDA graph capture failed: ${e.message}`);
}
