// A training step with static shapes and no host-device syncs: what a CUDA graph can capture.
// On the CPU it runs eagerly and computes exactly what the eager loop computes.
import { z } from 'zod';

import { autocast } from '../autocast.js';
import { noGrad } from '../autograd.js';
import { empty, zeros } from '../creation.js';
import { CUDAGraph, graph } from '../cuda-graph.js';
import type { Device } from '../device.js';
import type { DType } from '../dtype.js';
import { describe } from '../errors.js';
import { foreach } from '../functions.js';
import { crossEntropy } from '../functional.js';
import type { Module } from '../nn/module.js';
import { parseOptions } from '../options.js';
import type { EMA } from '../optim/ema.js';
import { zerosLikePreserving } from '../optim/foreach-ops.js';
import { SGD } from '../optim/sgd.js';
import { keep, tidy } from '../scope.js';
import { Tensor } from '../tensor.js';

const positiveInt = z.number().int().positive().describe('a positive integer');

const stepOptions = z.strictObject({
  batchSize: positiveInt,
  /** One example's shape, [channels, height, width] for images. */
  inputShape: z.array(positiveInt).min(1).describe('an array of positive integers'),
  inputDtype: z.enum(['float32', 'bfloat16', 'float16']).describe("'float32', 'bfloat16' or 'float16'").default('float32'),
  channelsLast: z.boolean().describe('a boolean').default(false),
  amp: z.enum(['none', 'bf16']).describe("'none' or 'bf16' (fp16 needs a GradScaler, which reads the device)").default('none'),
  labelSmoothing: z.number().min(0).max(1).describe('a number in [0, 1]').default(0),
  /** On CUDA, capture the step in a CUDA graph after the warm-up steps and replay it (default: on CUDA). */
  cudaGraph: z.boolean().describe('a boolean').optional(),
  /** Eager steps before the capture: cuDNN picks its algorithms, optimizer state comes into being. */
  warmupSteps: z.number().int().min(1).describe('a positive integer').default(3),
});

/** Options of {@link CapturableStep}. */
export type CapturableStepOptions = z.input<typeof stepOptions>;

/**
 * One SGD training step over preallocated buffers: `load()` copies a batch into the static
 * input and target tensors in place, `setLr()` writes the learning rate into a device tensor
 * the optimizer reads, and `run()` does forward, loss, backward, the in-place foreach update,
 * gradient zeroing (in place, so gradients keep their storage) and the EMA update, adding the
 * batch's loss and correct count to device accumulators. Nothing in `run()` reads a value back
 * to the host: `metrics()` is the one sync. The batch shape never changes; the last partial
 * batch of an epoch must be dropped (or padded by the caller).
 *
 * @example
 * const step = new train.CapturableStep(model, opt, { batchSize: 128, inputShape: [3, 32, 32] });
 * for (const { x, y } of data.epoch(0)) { step.setLr(schedule(i++)); step.load(x, y); step.run(); }
 * console.log(step.metrics()); // { loss, accuracy, seen }
 */
export class CapturableStep {
  /** The static input batch, `[batchSize, ...inputShape]`. */
  readonly x: Tensor;
  /** The static targets, `[batchSize]` int64. */
  readonly y: Tensor;
  /** The learning rate, a 0-d float32 tensor on the model's device. */
  readonly lr: Tensor;
  /** Sum over examples of the loss since the last reset (float64, on the device). */
  readonly lossSum: Tensor;
  /** Correct top-1 predictions since the last reset (int64, on the device). */
  readonly correct: Tensor;
  readonly batchSize: number;
  #seen = 0;
  readonly #model: Module;
  readonly #optimizer: SGD;
  readonly #ema: EMA | null;
  readonly #params: Tensor[];
  readonly #options: z.output<typeof stepOptions>;
  readonly #useGraph: boolean;
  #graph: CUDAGraph | null = null;
  #eagerSteps = 0;
  #disposed = false;

  constructor(model: Module, optimizer: SGD, options: CapturableStepOptions, ema: EMA | null = null) {
    if (!(optimizer instanceof SGD)) {
      throw new TypeError(`Expected a torchnode.optim.SGD for optimizer but received ${describe(optimizer)} (a capturable step keeps its learning rate in a tensor; AdamW's bias correction reads the host)`);
    }
    const o = (this.#options = parseOptions(stepOptions, options, 'new CapturableStep()'));
    this.#model = model;
    this.#optimizer = optimizer;
    this.#ema = ema;
    this.#params = model.parameters().filter((p) => p.requiresGrad);
    if (this.#params.length === 0) throw new TypeError('new CapturableStep(): the model has no parameters that require gradients');
    const device = this.#params[0]!.device as Device;
    if (o.cudaGraph && !device.startsWith('cuda')) {
      throw new TypeError(`new CapturableStep(): cudaGraph needs the model on a CUDA device, but it is on '${device}'`);
    }
    this.#useGraph = (o.cudaGraph ?? true) && device.startsWith('cuda');
    this.batchSize = o.batchSize;
    const memoryFormat = o.channelsLast && o.inputShape.length === 3 ? 'channelsLast' as const : 'contiguous' as const;
    this.x = keep(tidy(() => empty([o.batchSize, ...o.inputShape], { dtype: o.inputDtype as DType, device }).contiguous({ memoryFormat })));
    this.y = keep(zeros([o.batchSize], { dtype: 'int64', device }));
    this.lr = keep(zeros([], { dtype: 'float32', device }).fill_(optimizer.lr));
    this.lossSum = keep(zeros([], { dtype: 'float64', device }));
    this.correct = keep(zeros([], { dtype: 'int64', device }));
    optimizer.lrTensor = this.lr;
    // gradients allocated once and zeroed in place: backward accumulates into the same storage
    tidy(() => noGrad(() => {
      for (const p of this.#params) if (p.grad === undefined) p.grad = zerosLikePreserving(p);
    }));
  }

  /** Examples counted by the accumulators since the last reset. */
  get seen(): number {
    return this.#seen;
  }

  /** Sets the learning rate of the next steps (a device write, outside any captured work). */
  setLr(value: number): void {
    this.#optimizer.lr = value; // the host copy a state dict records
    this.lr.fill_(value);
  }

  /** Copies a batch into the static buffers; its shape must be the static one. */
  load(x: Tensor, y: Tensor): void {
    this.#live();
    checkShape(x, this.x.shape, 'x');
    checkShape(y, this.y.shape, 'y');
    noGrad(() => {
      this.x.copy_(x);
      this.y.copy_(y);
    });
  }

  /** Whether the step has been captured in a CUDA graph (each run() now replays it). */
  get graphed(): boolean {
    return this.#graph !== null;
  }

  /**
   * One step on the loaded batch; enqueues device work only. On CUDA (unless `cudaGraph: false`)
   * the first `warmupSteps` steps run eagerly, the next one is captured in a CUDA graph, and
   * every step from then on is one replay of it.
   */
  run(): void {
    this.#live();
    if (this.#graph === null && this.#useGraph && this.#eagerSteps >= this.#options.warmupSteps) this.#capture();
    if (this.#graph !== null) {
      this.#graph.replay();
      if (this.#ema) this.#ema.numUpdates++;
    } else {
      this.#step();
      this.#eagerSteps++;
    }
    this.#seen += this.batchSize;
  }

  // Records one step without running it: the replay that follows runs it.
  #capture(): void {
    const g = new CUDAGraph();
    const updates = this.#ema?.numUpdates ?? 0;
    try {
      graph(g, () => this.#step(), { device: this.x.device });
    } catch (e) {
      g.dispose();
      throw e;
    } finally {
      if (this.#ema) this.#ema.numUpdates = updates;
    }
    this.#graph = g;
  }

  // forward, loss, backward, update, zeroed gradients, EMA, metric sums: device work only
  #step(): void {
    const o = this.#options;
    tidy(() => {
      const forward = () => {
        const logits = this.#model.forward(this.x);
        return { logits, loss: crossEntropy(logits, this.y, { labelSmoothing: o.labelSmoothing }) };
      };
      const deviceType = this.x.device.startsWith('cuda') ? 'cuda' : 'cpu';
      const { logits, loss } = o.amp === 'none' ? forward() : autocast({ deviceType, dtype: 'bfloat16' }, forward);
      loss.backward();
      this.#optimizer.step();
      foreach.zero_(this.#grads());
      this.#ema?.update();
      noGrad(() => {
        this.lossSum.add_(loss.detach().double().mul(this.batchSize));
        this.correct.add_(logits.argmax(1).eq(this.y).sum());
      });
    });
  }

  /** Mean loss and accuracy since the last reset: the one host-device sync. */
  metrics(): { loss: number; accuracy: number; seen: number } {
    this.#live();
    const seen = this.#seen;
    return { loss: seen ? (this.lossSum.item() as number) / seen : NaN, accuracy: seen ? (this.correct.item() as number) / seen : NaN, seen };
  }

  /** Restarts the accumulators (at `lossSum`, `correct`, `seen` when resuming mid-epoch). */
  resetMetrics(from: { lossSum: number; correct: number; seen: number } = { lossSum: 0, correct: 0, seen: 0 }): void {
    this.#live();
    this.lossSum.fill_(from.lossSum);
    this.correct.fill_(from.correct);
    this.#seen = from.seen;
  }

  /** Frees the buffers and gives the optimizer its number learning rate back. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#optimizer.lrTensor === this.lr) this.#optimizer.lrTensor = null;
    this.#graph?.dispose();
    this.#graph = null;
    for (const t of [this.x, this.y, this.lr, this.lossSum, this.correct]) t.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  #grads(): Tensor[] {
    return this.#params.map((p) => p.grad!);
  }

  #live(): void {
    if (this.#disposed) throw new TypeError('CapturableStep: used after dispose()');
  }
}

function checkShape(t: unknown, want: number[], name: string): void {
  if (!(t instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${name} but received ${describe(t)}`);
  const got = t.shape;
  if (got.length !== want.length || got.some((s, i) => s !== want[i])) {
    throw new TypeError(`Expected a batch of shape [${want.join(', ')}] for ${name} but received [${got.join(', ')}] ` +
      '(a capturable step has static shapes: drop or pad the last partial batch)');
  }
}
