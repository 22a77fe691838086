// nn.init: in-place initialisers, as torch.nn.init computes them.
import { noGrad } from '../autograd.js';
import { describe } from '../errors.js';
import type { Tensor } from '../tensor.js';

export type FanMode = 'fanIn' | 'fanOut';
export type Nonlinearity = 'relu' | 'leakyRelu' | 'linear' | 'sigmoid' | 'tanh';

/** fan_in and fan_out of a weight: [out, in, ...kernel] (PyTorch's _calculate_fan_in_and_fan_out). @example init.fans(conv.weight) // { fanIn: in * kh * kw, fanOut: out * kh * kw } */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  const shape = t.shape;
  if (shape.length < 2) throw new TypeError(`Fan in and fan out need at least 2 dimensions, not ${shape.length}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). @example init.calculateGain('relu') // Math.SQRT2 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default: throw new TypeError(`Expected 'relu', 'leakyRelu', 'linear', 'sigmoid' or 'tanh' for nonlinearity but received ${describe(nonlinearity)}`);
  }
}

export interface KaimingOptions {
  /** Negative slope of a following leaky ReLU (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' }: KaimingOptions): number {
  const f = fans(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fanIn' ? f.fanIn : f.fanOut);
}

/** He initialisation from a normal distribution. @example init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' }) */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd(t, options);
  return noGrad(() => t.normal_(0, std));
}

/** He initialisation from a uniform distribution (what Conv2d and Linear use by default, with a = sqrt(5)). @example init.kaimingUniform_(w, { a: Math.sqrt(5) }) */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return noGrad(() => t.uniform_(-bound, bound));
}

/** Fills `t` from U(a, b) in place. @example init.uniform_(w, -0.1, 0.1) */
export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => noGrad(() => t.uniform_(a, b));
/** Fills `t` from N(mean, std²) in place. @example init.normal_(fc.weight, 0, 0.01) */
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => noGrad(() => t.normal_(mean, std));
/** Fills `t` with `value` in place. @example init.constant_(bn.weight, 1) */
export const constant_ = (t: Tensor, value: number): Tensor => noGrad(() => t.fill_(value));
/** Fills `t` with zeros in place. @example init.zeros_(fc.bias) */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills `t` with ones in place. @example init.ones_(bn.weight) */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
