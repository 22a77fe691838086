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

const traces = new WeakMap<Module, Map<string, TraceHandle>>();

/** Forgets a module's recorded passes (its tensors moved or changed type). */
export function forgetTraces(module: Module): void {
  traces.delete(module);
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

function traceFor(module: Module, input: Tensor): TraceHandle {
  const key = `${input.shape.slice(1).join('x')}/${input.dtype}/${input.device}`;
  let byShape = traces.get(module);
  if (!byShape) traces.set(module, (byShape = new Map()));
  let trace = byShape.get(key);
  if (!trace) {
    const sample = input.narrow(0, 0, 1);
    try {
      trace = record(module, sample);
    } finally {
      sample.dispose();
    }
    byShape.set(key, trace);
  }
  return trace;
}

async function run(module: Module, input: Tensor, cudaGraph: boolean): Promise<Tensor> {
  if (cudaGraph) return forwardGraphed(module, input);
  return sameBatch(fromHandle(await native.traceRun(traceFor(module, input), input._h)), input, 'forwardAsync');
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
}

/** The eval-mode, no-grad forward of `module` on a batch, computed off the JS thread. */
export async function forwardAsync(module: Module, input: Tensor, { batchSize, cudaGraph = false }: InferenceOptions = {}): Promise<Tensor> {
  if (!(input instanceof Tensor)) throw new TypeError(`Expected a Tensor for input but received ${describe(input)}`);
  if (input.ndim < 1 || input.shape[0] === 0) throw new TypeError(`Expected a batch (a tensor whose first dimension is at least 1) for input but received shape [${input.shape.join(', ')}]`);
  const n = input.shape[0]!;
  if (batchSize !== undefined && (!Number.isSafeInteger(batchSize) || batchSize < 1)) {
    throw new TypeError(`Expected positive integer for batchSize but received ${describe(batchSize)}`);
  }
  if (typeof cudaGraph !== 'boolean') throw new TypeError(`Expected a boolean for cudaGraph but received ${describe(cudaGraph)}`);
  if (cudaGraph && !input.device.startsWith('cuda')) {
    throw new TypeError(`Expected a CUDA tensor for input with cudaGraph (a CUDA graph runs on the GPU) but received one on '${input.device}'`);
  }
  return inPieces(input, batchSize, (x) => run(module, x, cudaGraph));
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
