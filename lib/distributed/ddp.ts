// DistributedDataParallel: one model replica per rank, kept identical by averaging gradients.
import { z } from 'zod';

import { isGradEnabled, noGrad } from '../autograd.js';
import { cat } from '../functions.js';
import { native, type ReducerHandle } from '../native.js';
import { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { defaultProcessGroup, ProcessGroup } from './process-group.js';

const ddpOptions = z.strictObject({
  /** Gradient bytes per allreduce (PyTorch's bucket_cap_mb). */
  bucketCapMb: z.number().positive().describe('a positive number').default(25),
  /** The first bucket's cap (PyTorch's too): the last layers' gradients start communicating early. */
  firstBucketMb: z.number().positive().describe('a positive number').default(1),
  /** Start each bucket's allreduce inside backward, as soon as its gradients exist. */
  overlap: z.boolean().describe('a boolean').default(true),
  /**
   * Before each forward that follows a synchronised training forward (and before the first), copy
   * rank 0's buffers (batch-norm statistics) to every rank: PyTorch's broadcast_buffers.
   */
  broadcastBuffers: z.boolean().describe('a boolean').default(true),
  group: z.instanceof(ProcessGroup).describe('a distributed.ProcessGroup').optional(),
});
export type DdpOptions = z.input<typeof ddpOptions>;

const BYTES: Record<string, number> = { float64: 8, float32: 4, float16: 2, bfloat16: 2 };

/**
 * Buckets of parameter indices, last parameters first (backward produces their gradients
 * first), the first at most `firstCapBytes`, the others `capBytes`, each of one dtype and device.
 * @example bucketAssignment(model.parameters(), 25 * 2 ** 20, 2 ** 20) // [[61, 60, ...], ...]
 */
export function bucketAssignment(params: Tensor[], capBytes: number, firstCapBytes = capBytes): number[][] {
  const buckets: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  let kind = '';
  for (let i = params.length - 1; i >= 0; i--) {
    const p = params[i]!;
    if (!p.requiresGrad) continue;
    const size = p.numel() * (BYTES[p.dtype] ?? 4);
    const k = `${p.dtype}@${p.device}`;
    const cap = buckets.length === 0 ? Math.min(firstCapBytes, capBytes) : capBytes;
    if (current.length && (k !== kind || bytes + size > cap)) {
      buckets.push(current);
      current = [];
      bytes = 0;
    }
    current.push(i);
    bytes += size;
    kind = k;
  }
  if (current.length) buckets.push(current);
  return buckets;
}

// Broadcasts tensors from rank 0 with one collective per dtype, through a flat copy: awaited, or
// waited for on this thread (`now`, for the buffer sync inside a synchronous forward).
function broadcastCoalesced(group: ProcessGroup, tensors: Tensor[], now: true): void;
function broadcastCoalesced(group: ProcessGroup, tensors: Tensor[]): Promise<void>;
function broadcastCoalesced(group: ProcessGroup, tensors: Tensor[], now = false): Promise<void> | void {
  const byKind = new Map<string, Tensor[]>();
  for (const t of tensors) byKind.set(`${t.dtype}@${t.device}`, [...(byKind.get(`${t.dtype}@${t.device}`) ?? []), t]);
  const flats = [...byKind.values()].map((list) => ({ list, flat: noGrad(() => cat(list.map((t) => t.detach().reshape(-1)))) }));
  const unpack = ({ list, flat }: { list: Tensor[]; flat: Tensor }) => tidy(() => noGrad(() => {
    let offset = 0;
    for (const t of list) {
      t.copy_(flat.narrow(0, offset, t.numel()).view(t.shape));
      offset += t.numel();
    }
  }));
  const free = () => { for (const { flat } of flats) flat.dispose(); };
  if (now) {
    try {
      for (const f of flats) {
        native.distBroadcastNow(group._h, f.flat._h, 0);
        unpack(f);
      }
    } finally {
      free();
    }
    return;
  }
  return (async () => {
    try {
      for (const f of flats) {
        await group.broadcast(f.flat, 0);
        unpack(f);
      }
    } finally {
      free();
    }
  })();
}

/**
 * Data-parallel training: wrap the model on every rank, run forward and backward as usual, then
 * `await ddp.syncGradients()` before the optimizer step. Wrapping copies rank 0's parameters
 * and buffers to every rank. Gradients are averaged in buckets of `bucketCapMb`, each bucket's
 * allreduce starting inside backward as soon as its gradients exist (Gloo runs it on its own
 * threads) and the wait happening off the JS thread.
 *
 * @example
 * const ddp = await distributed.DistributedDataParallel.create(model);
 * const loss = crossEntropy(ddp.forward(x), y);
 * loss.backward();
 * await ddp.syncGradients();
 * optimizer.step();
 */
export class DistributedDataParallel<M extends Module = Module> {
  readonly group: ProcessGroup;
  readonly options: Required<Omit<z.output<typeof ddpOptions>, 'group'>>;
  #reducer: ReducerHandle | null;
  #params: Tensor[];
  #syncing = true;
  // PyTorch's require_forward_param_sync: the last forward recorded a synchronised backward
  #syncBuffersNextForward = true;
  /** Buckets whose allreduce started during the last backward (the overlap achieved). */
  lastOverlappedBuckets = 0;
  readonly buckets: number[][];

  private constructor(readonly module: M, group: ProcessGroup, options: DistributedDataParallel['options']) {
    this.group = group;
    this.options = options;
    this.#params = module.parameters().filter((p) => p.requiresGrad);
    this.buckets = bucketAssignment(this.#params, options.bucketCapMb * 2 ** 20, options.firstBucketMb * 2 ** 20);
    this.#reducer = native.ddpReducer(group._h, this.#params.map((p) => p._h), this.buckets, options.overlap);
  }

  /** Wraps `module` after copying rank 0's parameters and buffers to every rank. */
  static async create<M extends Module>(module: M, options?: DdpOptions): Promise<DistributedDataParallel<M>> {
    if (!(module instanceof Module)) throw new TypeError('Expected an nn.Module for module');
    const { group = defaultProcessGroup(), ...o } = parseOptions(ddpOptions, options, 'DistributedDataParallel.create()');
    await broadcastCoalesced(group, [...module.parameters(), ...module.buffers()]);
    return new DistributedDataParallel(module, group, o);
  }

  /**
   * The wrapped module's forward, after copying rank 0's buffers to this rank (`broadcastBuffers`)
   * when the previous forward ran with gradients outside `noSync()`, as PyTorch does.
   */
  forward(input: Tensor): Tensor {
    if (this.#syncBuffersNextForward && this.options.broadcastBuffers) {
      const buffers = this.module.buffers();
      if (buffers.length) broadcastCoalesced(this.group, buffers, true);
    }
    const output = this.module.forward(input);
    this.#syncBuffersNextForward = isGradEnabled() && this.#syncing;
    return output;
  }

  /**
   * Averages the gradients of the last backward (plus any accumulated under noSync()) across
   * ranks into each parameter's `.grad`. Do not touch the gradients until it resolves.
   */
  async syncGradients(): Promise<void> {
    if (!this.#syncing) throw new TypeError('syncGradients() inside noSync(): gradients only accumulate there');
    this.lastOverlappedBuckets = await native.ddpFinish(this.#live());
  }

  /**
   * Runs `fn` (typically a forward and backward) with gradients accumulating locally, not
   * synchronised: for gradient accumulation, sync only on the last micro-batch.
   * @example
   * ddp.noSync(() => lossOf(micro1).backward());
   * lossOf(micro2).backward();
   * await ddp.syncGradients(); // the average over ranks of both micro-batches' gradients
   */
  noSync<T>(fn: () => T): T {
    const reducer = this.#live();
    native.ddpSetEnabled(reducer, false);
    this.#syncing = false;
    const restore = () => {
      this.#syncing = true;
      if (this.#reducer) native.ddpSetEnabled(this.#reducer, true);
    };
    let result: T;
    try {
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as T;
    restore();
    return result;
  }

  /** Removes the gradient hooks; the module stays usable on its own. Safe to call twice. */
  release(): void {
    if (this.#reducer) native.ddpRelease(this.#reducer);
    this.#reducer = null;
  }

  #live(): ReducerHandle {
    if (!this.#reducer) throw new TypeError('This DistributedDataParallel has been released');
    return this.#reducer;
  }
}
