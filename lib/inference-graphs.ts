// Inference from CUDA graphs: a module's eval forward is captured once per input shape (after
// warm-up passes) and replayed for every later batch of that shape: one launch a batch.
import { noGrad } from './autograd.js';
import { CUDAGraph, graph } from './cuda-graph.js';
import type { Module } from './nn/module.js';
import { keep, tidy } from './scope.js';
import type { Tensor } from './tensor.js';

interface Captured {
  graph: CUDAGraph;
  input: Tensor;
  output: Tensor;
}

const captures = new WeakMap<Module, Map<string, Captured>>();

/** Frees a module's captured forwards (its tensors moved or changed type). */
export function forgetGraphs(module: Module): void {
  const byShape = captures.get(module);
  if (!byShape) return;
  for (const c of byShape.values()) {
    c.graph.dispose();
    c.input.dispose();
    c.output.dispose();
  }
  captures.delete(module);
}

function capture(module: Module, like: Tensor): Captured {
  const wasTraining = module.training;
  module.eval();
  const input = keep(like.clone());
  const g = new CUDAGraph();
  try {
    // warm-up outside the capture: cuDNN picks its algorithms, lazy state comes into being
    for (let i = 0; i < 2; i++) tidy(() => noGrad(() => module.forward(input)));
    const output = graph(g, () => keep(tidy(() => noGrad(() => module.forward(input)))), { device: input.device });
    return { graph: g, input, output };
  } catch (e) {
    g.dispose();
    input.dispose();
    throw e;
  } finally {
    module.train(wasTraining);
  }
}

/**
 * The eval forward of `input` replayed from the module's graph for its shape (captured on first
 * use). Enqueues device work only; the result is a copy, so later replays do not change it.
 */
export function forwardGraphed(module: Module, input: Tensor): Tensor {
  const key = `${input.shape.join('x')}/${input.dtype}/${input.device}/${input.isContiguous() ? 'c' : 'cl'}`;
  let byShape = captures.get(module);
  if (!byShape) captures.set(module, (byShape = new Map()));
  let c = byShape.get(key);
  if (!c) byShape.set(key, (c = capture(module, input)));
  const captured = c;
  noGrad(() => captured.input.copy_(input));
  captured.graph.replay();
  return noGrad(() => captured.output.clone());
}
