// The layers a ResNet is made of. Options are strict zod schemas; defaults are PyTorch's.
import { z } from 'zod';

import { empty, ones, zeros } from '../creation.js';
import { noGrad } from '../autograd.js';
import * as F from '../functional.js';
import { parseOptions, positionalOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { fans, kaimingUniform_ } from './init.js';
import { Module } from './module.js';

const positive = (what = 'positive integer') => z.number().int().positive().describe(what);
const pair = (item: z.ZodNumber, what: string) => z.union([item, z.tuple([item, item])]).describe(what);
const positivePair = pair(z.number().int().positive(), 'a positive integer or a pair of them');
const nonNegativePair = pair(z.number().int().nonnegative(), 'a non-negative integer or a pair of them');

/** PyTorch's default for Conv2d/Linear: kaiming uniform (a = sqrt(5)), bias uniform in ±1/sqrt(fan_in). */
function defaultInit(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const bound = 1 / Math.sqrt(fans(weight).fanIn);
    noGrad(() => bias.uniform_(-bound, bound));
  }
}

const conv2dOptions = z.strictObject({
  inChannels: positive(),
  outChannels: positive(),
  kernelSize: positivePair,
  stride: positivePair.default(1),
  padding: nonNegativePair.default(0),
  dilation: positivePair.default(1),
  groups: positive().default(1),
  bias: z.boolean().describe('a boolean').default(true),
});
export type Conv2dOptions = z.input<typeof conv2dOptions>;

/**
 * 2-D convolution; weight [outChannels, inChannels / groups, kh, kw].
 * @example new nn.Conv2d(3, 64, 3, { padding: 1, bias: false }) // or new nn.Conv2d({ inChannels: 3, outChannels: 64, kernelSize: 3, ... })
 */
export class Conv2d extends Module {
  readonly options: z.output<typeof conv2dOptions>;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(options: Conv2dOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options?: Omit<Conv2dOptions, 'inChannels' | 'outChannels' | 'kernelSize'>);
  constructor(...args: unknown[]) {
    super();
    const options = positionalOptions(args, ['inChannels', 'outChannels', 'kernelSize'], 'nn.Conv2d');
    const o = (this.options = parseOptions(conv2dOptions, options, 'nn.Conv2d'));
    if (o.inChannels % o.groups || o.outChannels % o.groups) {
      throw new TypeError(`inChannels (${o.inChannels}) and outChannels (${o.outChannels}) must be divisible by groups (${o.groups})`);
    }
    const [kh, kw] = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
    this.weight = this.registerParameter('weight', empty([o.outChannels, o.inChannels / o.groups, kh, kw]));
    this.bias = this.registerParameter('bias', o.bias ? empty([o.outChannels]) : null);
    defaultInit(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    const o = this.options;
    return F.conv2d(input, this.weight, { bias: this.bias, stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups });
  }
}

const linearOptions = z.strictObject({
  inFeatures: positive(),
  outFeatures: positive(),
  bias: z.boolean().describe('a boolean').default(true),
});
export type LinearOptions = z.input<typeof linearOptions>;

/** `x @ weight.T + bias`; weight [outFeatures, inFeatures]. @example new nn.Linear(512, 10) */
export class Linear extends Module {
  readonly options: z.output<typeof linearOptions>;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(options: LinearOptions);
  constructor(inFeatures: number, outFeatures: number, options?: Omit<LinearOptions, 'inFeatures' | 'outFeatures'>);
  constructor(...args: unknown[]) {
    super();
    const o = (this.options = parseOptions(linearOptions, positionalOptions(args, ['inFeatures', 'outFeatures'], 'nn.Linear'), 'nn.Linear'));
    this.weight = this.registerParameter('weight', empty([o.outFeatures, o.inFeatures]));
    this.bias = this.registerParameter('bias', o.bias ? empty([o.outFeatures]) : null);
    defaultInit(this.weight, this.bias);
  }

  forward(input: Tensor): Tensor {
    return F.linear(input, this.weight, this.bias);
  }
}

const batchNormOptions = z.strictObject({
  numFeatures: positive(),
  eps: z.number().positive().describe('a positive number').default(1e-5),
  momentum: z.number().min(0).max(1).nullable().describe('a number in [0, 1] or null (cumulative average)').default(0.1),
  affine: z.boolean().describe('a boolean').default(true),
  trackRunningStats: z.boolean().describe('a boolean').default(true),
});
export type BatchNorm2dOptions = z.input<typeof batchNormOptions>;

/**
 * Batch normalisation over [N, C, H, W]. Training uses batch statistics and updates the running
 * ones; evaluation uses the running ones.
 * @example new nn.BatchNorm2d(64)
 */
export class BatchNorm2d extends Module {
  readonly options: z.output<typeof batchNormOptions>;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;

  constructor(options: BatchNorm2dOptions);
  constructor(numFeatures: number, options?: Omit<BatchNorm2dOptions, 'numFeatures'>);
  constructor(...args: unknown[]) {
    super();
    const o = (this.options = parseOptions(batchNormOptions, positionalOptions(args, ['numFeatures'], 'nn.BatchNorm2d'), 'nn.BatchNorm2d'));
    const n = o.numFeatures;
    this.weight = this.registerParameter('weight', o.affine ? ones([n]) : null);
    this.bias = this.registerParameter('bias', o.affine ? zeros([n]) : null);
    this.runningMean = this.registerBuffer('running_mean', o.trackRunningStats ? zeros([n]) : null);
    this.runningVar = this.registerBuffer('running_var', o.trackRunningStats ? ones([n]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', o.trackRunningStats ? zeros([], { dtype: 'int64' }) : null);
  }

  forward(input: Tensor): Tensor {
    const o = this.options;
    let momentum = o.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      noGrad(() => this.numBatchesTracked!.add_(1));
      // momentum null: a cumulative moving average, 1 / batches seen
      if (o.momentum === null) momentum = 1 / (this.numBatchesTracked.item() as number);
    }
    // without running statistics even evaluation normalises with the batch's own
    return F.batchNorm(input, this.runningMean, this.runningVar, {
      weight: this.weight, bias: this.bias, training: this.training || this.runningMean === null, momentum, eps: o.eps,
    });
  }
}

const reluOptions = z.strictObject({ inplace: z.boolean().describe('a boolean').default(false) });

/** max(0, x). `inplace` overwrites the input. @example new nn.ReLU({ inplace: true }) */
export class ReLU extends Module {
  readonly inplace: boolean;

  constructor(options: z.input<typeof reluOptions> = {}) {
    super();
    this.inplace = parseOptions(reluOptions, options, 'nn.ReLU').inplace;
  }

  forward(input: Tensor): Tensor {
    return this.inplace ? input.relu_() : input.relu();
  }
}

const maxPoolOptions = z.strictObject({
  kernelSize: positivePair,
  stride: positivePair.optional(),
  padding: nonNegativePair.default(0),
  dilation: positivePair.default(1),
  ceilMode: z.boolean().describe('a boolean').default(false),
});

/** @example new nn.MaxPool2d(3, { stride: 2, padding: 1 }) */
export class MaxPool2d extends Module {
  readonly options: z.output<typeof maxPoolOptions>;

  constructor(options: z.input<typeof maxPoolOptions>);
  constructor(kernelSize: number | [number, number], options?: Omit<z.input<typeof maxPoolOptions>, 'kernelSize'>);
  constructor(...args: unknown[]) {
    super();
    this.options = parseOptions(maxPoolOptions, positionalOptions(args, ['kernelSize'], 'nn.MaxPool2d'), 'nn.MaxPool2d');
  }

  forward(input: Tensor): Tensor {
    const { kernelSize, ...rest } = this.options;
    return F.maxPool2d(input, kernelSize, rest);
  }
}

const adaptiveOptions = z.strictObject({ outputSize: positivePair });

/** @example new nn.AdaptiveAvgPool2d(1) */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | [number, number];

  constructor(options: z.input<typeof adaptiveOptions>);
  constructor(outputSize: number | [number, number]);
  constructor(...args: unknown[]) {
    super();
    this.outputSize = parseOptions(adaptiveOptions, positionalOptions(args, ['outputSize'], 'nn.AdaptiveAvgPool2d'), 'nn.AdaptiveAvgPool2d').outputSize;
  }

  forward(input: Tensor): Tensor {
    return F.adaptiveAvgPool2d(input, this.outputSize);
  }
}

const flattenOptions = z.strictObject({ startDim: z.number().int().describe('an integer').default(1), endDim: z.number().int().describe('an integer').default(-1) });

/** Flattens dims startDim..endDim (from 1: the batch stays). @example new nn.Flatten() */
export class Flatten extends Module {
  readonly options: z.output<typeof flattenOptions>;

  constructor(options?: z.input<typeof flattenOptions>);
  constructor(startDim: number, endDim?: number);
  constructor(...args: unknown[]) {
    super();
    this.options = parseOptions(flattenOptions, positionalOptions(args, ['startDim', 'endDim'], 'nn.Flatten'), 'nn.Flatten');
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.options.startDim, this.options.endDim);
  }
}

const dropoutOptions = z.strictObject({ p: z.number().min(0).max(1).describe('a number in [0, 1]').default(0.5) });

/** Zeroes elements with probability p in training; identity in evaluation. @example new nn.Dropout(0.2) */
export class Dropout extends Module {
  readonly p: number;

  constructor(options?: z.input<typeof dropoutOptions>);
  constructor(p: number);
  constructor(...args: unknown[]) {
    super();
    this.p = parseOptions(dropoutOptions, positionalOptions(args, ['p'], 'nn.Dropout'), 'nn.Dropout').p;
  }

  forward(input: Tensor): Tensor {
    return F.dropout(input, this.p, this.training);
  }
}

/** Returns its input. @example const head = useHead ? new nn.Linear(512, 10) : new nn.Identity(); */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}
