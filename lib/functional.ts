// torch.nn.functional: the layers' operations, each one ATen operator.
import { describe } from './errors.js';
import { aten } from './ops/aten.js';
import { atenNn } from './ops/aten-nn.js';
import { checkInt } from './options.js';
import { callOp } from './ops/registry.js';
import { handleOf, runT, Tensor } from './tensor.js';

type Pair = number | [number, number];

const optionalHandle = (t: unknown, what: string) => (t == null ? null : handleOf(t, what));

function checkBool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`Expected a boolean for ${what} but received ${describe(v)}`);
  return v;
}

function checkPair(v: unknown, what: string, min: number): Pair {
  if (typeof v === 'number') return checkInt(v, what, min);
  if (Array.isArray(v) && v.length === 2) return [checkInt(v[0], `${what}[0]`, min), checkInt(v[1], `${what}[1]`, min)];
  throw new TypeError(`Expected an integer or a pair of integers for ${what} but received ${describe(v)}`);
}

export interface Conv2dOptions {
  bias?: Tensor | null;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/**
 * 2-D convolution (cuDNN on CUDA tensors). `weight` is [out, in/groups, kh, kw].
 * @example F.conv2d(x, w, { padding: 1 })
 */
export function conv2d(input: Tensor, weight: Tensor, options: Conv2dOptions = {}): Tensor {
  return runT(aten.conv2d, handleOf(input, 'input'), handleOf(weight, 'weight'), optionalHandle(options.bias, 'bias'),
    checkPair(options.stride ?? 1, 'stride', 1), checkPair(options.padding ?? 0, 'padding', 0),
    checkPair(options.dilation ?? 1, 'dilation', 1), checkInt(options.groups ?? 1, 'groups', 1));
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with the batch's statistics and update the running ones (PyTorch's default: false). */
  training?: boolean;
  momentum?: number;
  eps?: number;
}

/**
 * Batch normalisation over dim 1. In training, running stats are updated in place
 * (`running = (1 - momentum) * running + momentum * batch`, unbiased variance).
 * @example F.batchNorm(x, runningMean, runningVar, { weight, bias, training: true })
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  return runT(aten.batchNorm, handleOf(input, 'input'), optionalHandle(options.weight, 'weight'),
    optionalHandle(options.bias, 'bias'), optionalHandle(runningMean, 'runningMean'), optionalHandle(runningVar, 'runningVar'),
    options.training ?? false, options.momentum ?? 0.1, options.eps ?? 1e-5, true);
}

/** max(0, x). @example F.relu(x) */
export const relu = (input: Tensor): Tensor => runT(aten.relu, handleOf(input, 'input'));

/** `input @ weight.T + bias`. @example F.linear(x, w, b) */
export const linear = (input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor =>
  runT(aten.linear, handleOf(input, 'input'), handleOf(weight, 'weight'), optionalHandle(bias, 'bias'));

export interface MaxPool2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

/** 2-D max pooling; `stride` defaults to `kernelSize`. @example F.maxPool2d(x, 3, { stride: 2, padding: 1 }) */
export function maxPool2d(input: Tensor, kernelSize: Pair, options: MaxPool2dOptions = {}): Tensor {
  const kernel = checkPair(kernelSize, 'kernelSize', 1);
  return runT(aten.maxPool2d, handleOf(input, 'input'), kernel, checkPair(options.stride ?? kernel, 'stride', 1),
    checkPair(options.padding ?? 0, 'padding', 0), checkPair(options.dilation ?? 1, 'dilation', 1), options.ceilMode ?? false);
}

/** Average pooling to a fixed output size. @example F.adaptiveAvgPool2d(x, 1) */
export const adaptiveAvgPool2d = (input: Tensor, outputSize: Pair): Tensor =>
  runT(aten.adaptiveAvgPool2d, handleOf(input, 'input'), checkPair(outputSize, 'outputSize', 1));

/** @example F.logSoftmax(logits, 1) */
export const logSoftmax = (input: Tensor, dim: number): Tensor => runT(aten.logSoftmax, handleOf(input, 'input'), dim);

/** @example F.softmax(logits, 1) */
export const softmax = (input: Tensor, dim: number): Tensor => runT(aten.softmax, handleOf(input, 'input'), dim);

export interface AvgPool2dOptions {
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
  /** Count the zero padding in each window's average (PyTorch's default: true). */
  countIncludePad?: boolean;
  /** Divide each window's sum by this instead of the window's size. */
  divisorOverride?: number | null;
}

/** 2-D average pooling; `stride` defaults to `kernelSize`. @example F.avgPool2d(x, 2) */
export function avgPool2d(input: Tensor, kernelSize: Pair, options: AvgPool2dOptions = {}): Tensor {
  const kernel = checkPair(kernelSize, 'kernelSize', 1);
  const divisor = options.divisorOverride == null ? null : checkInt(options.divisorOverride, 'divisorOverride', 1);
  return runT(atenNn.avgPool2d, handleOf(input, 'input'), kernel, checkPair(options.stride ?? kernel, 'stride', 1),
    checkPair(options.padding ?? 0, 'padding', 0), checkBool(options.ceilMode ?? false, 'ceilMode'),
    checkBool(options.countIncludePad ?? true, 'countIncludePad'), divisor);
}

export interface NormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  eps?: number;
}

function checkEps(eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) throw new TypeError(`Expected a non-negative number for eps but received ${describe(eps)}`);
  return eps;
}

/**
 * Normalises over the trailing dims `normalizedShape` (mean 0, biased variance 1), then scales and shifts.
 * @example F.layerNorm(x, [768], { weight, bias })
 */
export function layerNorm(input: Tensor, normalizedShape: number | number[], options: NormOptions = {}): Tensor {
  const shape = Array.isArray(normalizedShape) ? normalizedShape.map((n, i) => checkInt(n, `normalizedShape[${i}]`, 1))
    : [checkInt(normalizedShape, 'normalizedShape', 1)];
  return runT(atenNn.layerNorm, handleOf(input, 'input'), shape, optionalHandle(options.weight, 'weight'),
    optionalHandle(options.bias, 'bias'), checkEps(options.eps ?? 1e-5));
}

/**
 * Normalises each of `numGroups` groups of channels (dim 1) over the group and the spatial dims.
 * @example F.groupNorm(x, 8, { weight, bias })
 */
export const groupNorm = (input: Tensor, numGroups: number, options: NormOptions = {}): Tensor =>
  runT(atenNn.groupNorm, handleOf(input, 'input'), checkInt(numGroups, 'numGroups', 1), optionalHandle(options.weight, 'weight'),
    optionalHandle(options.bias, 'bias'), checkEps(options.eps ?? 1e-5));

/**
 * `x * Φ(x)`; `approximate: 'tanh'` uses the tanh approximation.
 * @example F.gelu(x, { approximate: 'tanh' })
 */
export function gelu(input: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') throw new TypeError(`Expected 'none' or 'tanh' for approximate but received ${describe(approximate)}`);
  return runT(atenNn.gelu, handleOf(input, 'input'), approximate);
}

/** `x * sigmoid(x)`; `inplace` overwrites the input. @example F.silu(x) */
export function silu(input: Tensor, options: { inplace?: boolean } = {}): Tensor {
  const h = handleOf(input, 'input');
  if (checkBool(options.inplace ?? false, 'inplace')) {
    callOp(atenNn.silu_, h);
    return input;
  }
  return runT(atenNn.silu, h);
}

export interface InterpolateOptions {
  /** The output's spatial size [h, w] (or one number for both); give this or `scaleFactor`. */
  size?: Pair;
  /** Multiplies each spatial size (rounded down); the scale itself is used to map pixels back, as in PyTorch. */
  scaleFactor?: number | [number, number];
  mode?: 'nearest' | 'bilinear';
  /** Bilinear only: align the corner pixels' centres (PyTorch's default: false). */
  alignCorners?: boolean;
}

function checkScale(v: unknown): [number, number] {
  const ok = (x: unknown): x is number => typeof x === 'number' && x > 0 && Number.isFinite(x);
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  throw new TypeError(`Expected a positive number or a pair of them for scaleFactor but received ${describe(v)}`);
}

/**
 * Resizes [N, C, H, W] images by nearest neighbour or bilinear interpolation, to `size` or by `scaleFactor`.
 * @example F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false })
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  if (options === null || typeof options !== 'object') throw new TypeError(`Expected an options object for interpolate but received ${describe(options)}`);
  const { size, scaleFactor, mode = 'nearest', alignCorners } = options;
  const h = handleOf(input, 'input');
  if ((size === undefined) === (scaleFactor === undefined)) throw new TypeError('Expected exactly one of size and scaleFactor for interpolate');
  if (input.dim() !== 4) throw new TypeError(`Expected a 4-D input [N, C, H, W] for interpolate but received one of shape [${input.shape.join(', ')}]`);
  let outputSize: number[] | null = null;
  if (size !== undefined) {
    const s = checkPair(size, 'size', 1);
    outputSize = typeof s === 'number' ? [s, s] : s;
  }
  const scales = scaleFactor === undefined ? null : checkScale(scaleFactor);
  if (mode === 'nearest') {
    if (alignCorners !== undefined) throw new TypeError("alignCorners can only be set with mode 'bilinear'");
    return runT(atenNn.upsampleNearest2d, h, outputSize, scales);
  }
  if (mode === 'bilinear') return runT(atenNn.upsampleBilinear2d, h, outputSize, checkBool(alignCorners ?? false, 'alignCorners'), scales);
  throw new TypeError(`Expected 'nearest' or 'bilinear' for mode but received ${describe(mode)}`);
}

const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;
export type Reduction = keyof typeof REDUCTION;

function reduction(r: unknown): number {
  const code = REDUCTION[(r ?? 'mean') as Reduction];
  if (code === undefined) throw new TypeError(`Expected 'none', 'mean' or 'sum' for reduction but received ${describe(r)}`);
  return code;
}

export interface CrossEntropyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

/**
 * Cross entropy between logits [N, C] and class indices [N] (int64) or class probabilities.
 * @example F.crossEntropy(logits, labels, { labelSmoothing: 0.1 })
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new TypeError(`Expected a number in [0, 1] for labelSmoothing but received ${describe(smoothing)}`);
  }
  return runT(aten.crossEntropy, handleOf(input, 'input'), handleOf(target, 'target'), optionalHandle(options.weight, 'weight'),
    reduction(options.reduction), checkInt(options.ignoreIndex ?? -100, 'ignoreIndex'), smoothing);
}

/** Negative log likelihood of log-probabilities. @example F.nllLoss(logp, labels) */
export const nllLoss = (input: Tensor, target: Tensor, options: { weight?: Tensor | null; reduction?: Reduction; ignoreIndex?: number } = {}): Tensor =>
  runT(aten.nllLoss, handleOf(input, 'input'), handleOf(target, 'target'), optionalHandle(options.weight, 'weight'),
    reduction(options.reduction), checkInt(options.ignoreIndex ?? -100, 'ignoreIndex'));

/** @example F.mseLoss(pred, target) */
export const mseLoss = (input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor =>
  runT(aten.mseLoss, handleOf(input, 'input'), handleOf(target, 'target'), reduction(options.reduction));

export interface BCEWithLogitsOptions {
  /** Rescales each element's loss (broadcast to the input). */
  weight?: Tensor | null;
  /** Weight of the positive examples, one per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross entropy of `sigmoid(input)` against `target` in [0, 1], computed stably from the logits.
 * @example F.binaryCrossEntropyWithLogits(logits, labels.float())
 */
export const binaryCrossEntropyWithLogits = (input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor =>
  runT(atenNn.bceWithLogits, handleOf(input, 'input'), handleOf(target, 'target'), optionalHandle(options.weight, 'weight'),
    optionalHandle(options.posWeight, 'posWeight'), reduction(options.reduction));

/** Zeroes elements with probability `p` while `training`, scaling the rest by 1/(1-p). @example F.dropout(h, 0.2, this.training) */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new TypeError(`Expected a number in [0, 1] for p but received ${describe(p)}`);
  return runT(aten.dropout, handleOf(input, 'input'), p, training);
}

/**
 * Constant padding, PyTorch's order: `[left, right, top, bottom, ...]` from the last dim back.
 * @example F.pad(images, [4, 4, 4, 4])
 */
export function pad(input: Tensor, padding: number[], value = 0): Tensor {
  if (!Array.isArray(padding) || padding.length % 2 !== 0) {
    throw new TypeError(`Expected an array of an even number of integers for padding but received ${describe(padding)}`);
  }
  return runT(aten.pad, handleOf(input, 'input'), padding.map((p, i) => checkInt(p, `padding[${i}]`)), value);
}
export * from './generated/functional.js';
