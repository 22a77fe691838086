// torch.nn.functional: the layers' operations, each one ATen operator.
import { describe } from './errors.js';
import { aten } from './ops/aten.js';
import { checkInt } from './options.js';
import { handleOf, runT, Tensor } from './tensor.js';

type Pair = number | [number, number];

const optionalHandle = (t: unknown, what: string) => (t == null ? null : handleOf(t, what));

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
