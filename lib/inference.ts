// Inference off the JS thread: a module's eval-mode forward is recorded once per input shape
// (on a one-sample batch, on the JS thread) and then replayed by libtorch on a worker thread.
import { noGrad } from './autograd.js';
import { describe, TorchError } from './errors.js';
import { native, type TraceHandle } from './native.js';
import { aten } from './ops/aten.js';
import { fromHandle, runT, Tensor } from './tensor.js';
import { tidy } from './scope.js';
import type { Module } from './nn/module.js';
import { forwardGraphed } from './inference-graphs.js';
import type { Device } from './device.js';

/** A module's forward recorded for one input shape, and its optimised copy when there is one. */
interface Recorded {
  /** The eval forward's ATen calls; weights and buffers captured by reference. */
  plain: TraceHandle;
  /** The parameters and buffers when recorded: one replaced means record again. */
  sources: Tensor[];
  /** Batch norms folded, fused convolutions (CPU float32): copies of the weights of `fastStamp`. */
  fast?: TraceHandle;
  fastStamp?: number;
  /** The weights' version stamp the last call saw. */
  lastStamp: number;
}

const traces = new WeakMap<Module, Map<string, Recorded>>();

/** Channels-last where it is the faster layout: cuDNN, and oneDNN's fused CPU convolutions. */
export function defaultChannelsLast(device: Device): boolean {
  return device !== 'cpu' || native.fusedConvolutionsAvailable();
}

/** What `optimizeForInference` does by default on CPU; `forwardAsync` and `predict` replay it there. */
const fastPath = () => ({ foldBatchNorm: true, channelsLast: defaultChannelsLast('cpu'), dtype: 'float32', inferenceMode: true, fuse: true } as const);

type OptimizeOptions = Parameters<typeof native.traceOptimize>[1];

/**
 * `native.traceOptimize`, with the fused copy run once on `sample` (one sample): where this
 * libtorch's oneDNN refuses a fused convolution (PyTorch 2.11 on an AMX Xeon, for 1x1 outputs:
 * "could not create a memory", measured 2026-12-06), the unfused copy instead, with the reason.
 */
export function optimizeChecked(trace: TraceHandle, options: OptimizeOptions, sample: Tensor):
  ReturnType<typeof native.traceOptimize> & { fuseError?: string } {
  const r = native.traceOptimize(trace, options);
  if (r.fusedConvolutions === 0) return r;
  try {
    fromHandle(native.traceRunSync(r.trace, sample._h)).dispose();
    return r;
  } catch (e) {
    if (!(e instanceof TorchError)) throw e;
    native.traceRelease(r.trace);
    return { ...native.traceOptimize(trace, { ...options, fuse: false }), fuseError: e.message };
  }
}

/** Forgets a module's recorded passes (its tensors moved or changed type). */
export function forgetTraces(module: Module): void {
  const byShape = traces.get(module);
  traces.delete(module);
  for (const r of byShape?.values() ?? []) release(r);
}

function release(r: Recorded): void {
  native.traceRelease(r.plain);
  if (r.fast) native.traceRelease(r.fast);
}

/** The eval-mode, no-grad forward of `module` on `sample`, recorded as a trace. */
export function record(module: Module, sample: Tensor): TraceHandle {
  const wasTraining = module.training;
  module.eval();
  native.traceBegin(sample._h);
  try {
    return tidy(() => {
      const out = noGrad(() => module.forward(sample));
      return native.traceEnd(out._h);
    });
  } catch (e) {
    native.traceAbort();
    throw e;
  } finally {
    module.train(wasTraining);
  }
}

function sourcesOf(module: Module): Tensor[] {
  return [...module.parameters(), ...module.buffers()];
}

function sameTensors(a: Tensor[], b: Tensor[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

function recordedFor(module: Module, input: Tensor): Recorded {
  const key = `${input.shape.slice(1).join('x')}/${input.dtype}/${input.device}`;
  let byShape = traces.get(module);
  if (!byShape) traces.set(module, (byShape = new Map()));
  const sources = sourcesOf(module);
  let r = byShape.get(key);
  if (r && !sameTensors(r.sources, sources)) {
    release(r);
    byShape.delete(key);
    r = undefined;
  }
  if (!r) {
    const sample = input.narrow(0, 0, 1);
    let plain: TraceHandle;
    try {
      plain = record(module, sample);
    } finally {
      sample.dispose();
    }
    r = { plain, sources, lastStamp: native.traceStamp(plain) };
    byShape.set(key, r);
  }
  return r;
}

// The optimised copy while the weights keep the values it was made from. Weights that changed
// since the last call (training between predictions) replay as they are; once they hold still
// for a call, the copy is made again.
function traceFor(module: Module, input: Tensor, optimize: boolean): TraceHandle {
  const r = recordedFor(module, input);
  if (!optimize || input.device !== 'cpu' || input.dtype !== 'float32') return r.plain;
  const stamp = native.traceStamp(r.plain);
  if (r.fast && r.fastStamp === stamp) return r.fast;
  if (stamp !== r.lastStamp) {
    r.lastStamp = stamp;
    return r.plain;
  }
  if (r.fast) native.traceRelease(r.fast);
  r.fast = undefined;
  const sample = input.narrow(0, 0, 1);
  try {
    r.fast = optimizeChecked(r.plain, fastPath(), sample).trace;
  } finally {
    sample.dispose();
  }
  r.fastStamp = stamp;
  return r.fast;
}

async function run(module: Module, input: Tensor, cudaGraph: boolean, optimize: boolean): Promise<Tensor> {
  if (cudaGraph) return forwardGraphed(module, input);
  return sameBatch(fromHandle(await native.traceRun(traceFor(module, input, optimize), input._h)), input, 'forwardAsync');
}

export interface InferenceOptions {
  /** Split the input into batches of at most this many samples (default: all at once). */
  batchSize?: number;
  /**
   * CUDA inputs only: capture the eval forward in a CUDA graph once per batch shape and replay it
   * (one launch a batch; the JS thread only enqueues work). Each captured shape keeps its memory
   * until the module is moved (`to()`). Default false.
   */
  cudaGraph?: boolean;
  /**
   * CPU float32 inputs: replay the forward as `optimizeForInference` would (batch norms folded,
   * fused channels-last convolutions; within 1e-4 of the eager forward), made again after the
   * weights change. false replays the eager forward's own calls, bit for bit. Default true.
   */
  optimize?: boolean;
}

/** The eval-mode, no-grad forward of `module` on a batch, computed off the JS thread. */
export async function forwardAsync(module: Module, input: Tensor, { batchSize, cudaGraph = false, optimize = true }: InferenceOptions = {}): Promise<Tensor> {
  if (!(input instanceof Tensor)) throw new TypeError(`Expected a Tensor for input but received ${describe(input)}`);
  if (input.ndim < 1 || input.shape[0] === 0) throw new TypeError(`Expected a batch (a tensor whose first dimension is at least 1) for input but received shape [${input.shape.join(', ')}]`);
  const n = input.shape[0]!;
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1)) {
    throw new TypeError(`Expected positive integer for batchSize but received ${describe(batchSize)}`);
  }
  if (typeof cudaGraph !== 'boolean') throw new TypeError(`Expected a boolean for cudaGraph but received ${describe(cudaGraph)}`);
  if (typeof optimize !== 'boolean') throw new TypeError(`Expected a boolean for optimize but received ${describe(optimize)}`);
  if (cudaGraph && !input.device.startsWith('cuda')) {
    throw new TypeError(`Expected a CUDA tensor for input with cudaGraph (a CUDA graph runs on the GPU) but received one on '${input.device}'`);
  }
  return inPieces(input, batchSize, (x) => run(module, x, cudaGraph, optimize));
}

/** `run` on `input` whole, or on pieces of at most `batchSize` samples joined back along dim 0. */
export async function inPieces(input: Tensor, batchSize: number | undefined, run: (x: Tensor) => Promise<Tensor>): Promise<Tensor> {
  const n = input.shape[0]!;
  if (batchSize === undefined || batchSize >= n) return run(input);
  const parts: Tensor[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const chunk = input.narrow(0, start, Math.min(batchSize, n - start));
      try {
        parts.push(await run(chunk));
      } finally {
        chunk.dispose();
      }
    }
    return runT(aten.cat, parts.map((p) => p._h), 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}

/** The batch a replay returned, or a TorchError when the forward baked the batch size into a shape. */
export function sameBatch(out: Tensor, input: Tensor, what: string, hint = '; use forward() instead'): Tensor {
  if (out.shape[0] === input.shape[0]) return out;
  const n = out.shape[0];
  out.dispose();
  throw new TorchError(`${what}: the model's forward depends on the batch size (a batch of ${input.shape[0]} gave ${n} results)${hint}`);
}

/** Class probabilities (softmax over dim 1) of the eval-mode forward, off the JS thread. */
export async function predict(module: Module, input: Tensor, options: InferenceOptions = {}): Promise<Tensor> {
  const logits = await forwardAsync(module, input, options);
  try {
    return logits.softmax(1);
  } finally {
    logits.dispose();
  }
}
