// An inference copy of a module: its eval forward recorded once for a sample shape, batch norms
// folded into the convolutions, weights in channels-last order, replayed natively (no JS per
// layer) under InferenceMode, for any batch size.
import { z } from 'zod';

import { noGrad } from './autograd.js';
import type { Device } from './device.js';
import { describe } from './errors.js';
import { defaultChannelsLast, inPieces, optimizeChecked, record, sameBatch } from './inference.js';
import { native, type TraceHandle } from './native.js';
import type { Module } from './nn/module.js';
import { parseOptions } from './options.js';
import { fromHandle, Tensor } from './tensor.js';
import { zeros } from './creation.js';

const optimizeOptions = z.strictObject({
  /** The shape of one sample (without the batch dimension), e.g. [3, 32, 32]. */
  inputShape: z.array(z.number().int().positive()).min(1).describe('an array of positive integers'),
  /** Fold each eval batch norm into the convolution before it. */
  foldBatchNorm: z.boolean().describe('a boolean').default(true),
  /**
   * Convolution weights and 4-D inputs in channels-last order. Default: on CUDA, and on CPUs where
   * the libtorch has oneDNN's fused convolutions (PyTorch 2.x); libtorch 1.13's CPU convolutions
   * are slower in it (2.4x at batch 1, docs/profiles.md).
   */
  channelsLast: z.boolean().describe('a boolean').optional(),
  /** 'bfloat16' computes in bf16 (CPUs with AVX-512 BF16/AMX, or CUDA) and returns float32. */
  dtype: z.enum(['float32', 'bfloat16']).describe("'float32' or 'bfloat16'").default('float32'),
  /**
   * oneDNN's fused convolutions (conv + relu, conv + residual add + relu) with weights reordered
   * once per input size; float32 on CPUs, where the libtorch has them (PyTorch 2.x), else ignored.
   */
  fuse: z.boolean().describe('a boolean').default(true),
});
export type OptimizeForInferenceOptions = z.input<typeof optimizeOptions>;

const batchOptions = z.strictObject({
  /** Split the input into batches of at most this many samples (default: all at once). */
  batchSize: z.number().int().positive().describe('a positive integer').optional(),
});

/**
 * A frozen inference copy of a module (see `Module.optimizeForInference`): the weights as they were
 * when it was made, for inputs of one sample shape and any batch size.
 */
export class InferenceModel {
  readonly #trace: TraceHandle;
  readonly #sampleShape: number[];
  readonly #device: Device;
  /** ATen calls per replay, against the eager forward's; batch norms folded away. */
  /** `fuseError`: why this libtorch's oneDNN refused the fused convolutions (the copy is then unfused). */
  readonly info: { steps: number; eagerSteps: number; foldedBatchNorms: number; fusedConvolutions: number; ops: string[]; fuseError?: string };
  readonly options: z.output<typeof optimizeOptions>;

  /** @internal */
  constructor(module: Module, options: OptimizeForInferenceOptions) {
    const o = (this.options = parseOptions(optimizeOptions, options, 'optimizeForInference()'));
    const param = module.parameters()[0] ?? module.buffers()[0];
    this.#device = param?.device ?? 'cpu';
    this.#sampleShape = o.inputShape;
    const sample = zeros([1, ...o.inputShape], { device: this.#device });
    o.channelsLast ??= defaultChannelsLast(this.#device);
    try {
      const eager = noGrad(() => record(module, sample));
      const { trace, foldedBatchNorms, fusedConvolutions, fuseError } = optimizeChecked(eager, {
        foldBatchNorm: o.foldBatchNorm, channelsLast: o.channelsLast, dtype: o.dtype, inferenceMode: true, fuse: o.fuse,
      }, sample);
      this.#trace = trace;
      const { steps, ops } = native.traceInfo(trace);
      this.info = { steps, eagerSteps: native.traceInfo(eager).steps, foldedBatchNorms, fusedConvolutions, ops, ...(fuseError && { fuseError }) };
    } finally {
      sample.dispose();
    }
  }

  /** The forward on this thread (a batch of any size). */
  forward(input: Tensor): Tensor {
    this.#check(input, 'forward()');
    return sameBatch(fromHandle(native.traceRunSync(this.#trace, input._h)), input, 'InferenceModel', '');
  }

  /** The forward off the JS thread, in batches of at most `batchSize`. */
  async forwardAsync(input: Tensor, options?: { batchSize?: number }): Promise<Tensor> {
    this.#check(input, 'forwardAsync()');
    const { batchSize } = parseOptions(batchOptions, options, 'InferenceModel.forwardAsync()');
    return inPieces(input, batchSize, async (x) => sameBatch(fromHandle(await native.traceRun(this.#trace, x._h)), x, 'InferenceModel', ''));
  }

  /** Class probabilities (softmax over dim 1), off the JS thread. */
  async predict(input: Tensor, options?: { batchSize?: number }): Promise<Tensor> {
    const logits = await this.forwardAsync(input, options);
    try {
      return logits.softmax(1);
    } finally {
      logits.dispose();
    }
  }

  #check(input: unknown, what: string): asserts input is Tensor {
    if (!(input instanceof Tensor)) throw new TypeError(`InferenceModel.${what}: expected a Tensor for input but received ${describe(input)}`);
    const shape = input.shape;
    if (shape.length !== this.#sampleShape.length + 1 || shape[0] === 0 || shape.slice(1).some((d, i) => d !== this.#sampleShape[i])) {
      throw new TypeError(`InferenceModel.${what}: expected a batch of [${this.#sampleShape.join(', ')}] samples ` +
        `([N, ${this.#sampleShape.join(', ')}]) but received shape [${shape.join(', ')}]`);
    }
    if (input.dtype !== 'float32') throw new TypeError(`InferenceModel.${what}: expected a float32 input but received ${input.dtype}`);
    if (input.device !== this.#device) throw new TypeError(`InferenceModel.${what}: expected an input on '${this.#device}' (the model's device) but received one on '${input.device}'`);
  }
}
