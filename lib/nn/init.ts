// nn.init: in-place initialisers, as torch.nn.init computes them.
import { noGrad } from '../autograd.js';
import { z } from 'zod';

import { describe } from '../errors.js';
import { generatorField, generatorOf, type Generator } from '../generator.js';
import { parseOptions } from '../options.js';
import type { Tensor } from '../tensor.js';

export type FanMode = 'fanIn' | 'fanOut';
export type Nonlinearity = 'relu' | 'leakyRelu' | 'linear' | 'sigmoid' | 'tanh' | 'selu' | 'conv1d' | 'conv2d' | 'conv3d' |
  'convTranspose1d' | 'convTranspose2d' | 'convTranspose3d';

/** Where a random initialiser draws from: `generator`, or the global generator when none. */
export interface InitOptions {
  generator?: Generator;
}

const LINEAR = new Set(['linear', 'conv1d', 'conv2d', 'conv3d', 'convTranspose1d', 'convTranspose2d', 'convTranspose3d']);

/** fan_in and fan_out of a weight: [out, in, ...kernel] (PyTorch's _calculate_fan_in_and_fan_out). @example init.fans(conv.weight) // { fanIn: in * kh * kw, fanOut: out * kh * kw } */
export function fans(t: Tensor): { fanIn: number; fanOut: number } {
  const shape = t.shape;
  if (shape.length < 2) throw new TypeError(`Fan in and fan out need at least 2 dimensions, not ${shape.length}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). @example init.calculateGain('relu') // Math.SQRT2 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR.has(nonlinearity)) return 1;
  switch (nonlinearity) {
    case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'selu': return 3 / 4;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default: throw new TypeError(`Expected one of ${NONLINEARITIES.map((n) => `'${n}'`).join(', ')} for nonlinearity but received ${describe(nonlinearity)}`);
  }
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of a following leaky ReLU (0 for ReLU). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

const NONLINEARITIES = ['relu', 'leakyRelu', 'selu', 'sigmoid', 'tanh', ...LINEAR] as [Nonlinearity, ...Nonlinearity[]];
const kaimingOptions = z.strictObject({
  a: z.number().describe('a number').optional(),
  mode: z.enum(['fanIn', 'fanOut']).describe("'fanIn' or 'fanOut'").optional(),
  nonlinearity: z.enum(NONLINEARITIES).describe(NONLINEARITIES.map((n) => `'${n}'`).join(', ')).optional(),
  generator: generatorField,
});

function kaimingStd(t: Tensor, { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' }: KaimingOptions): number {
  const f = fans(t);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === 'fanIn' ? f.fanIn : f.fanOut);
}

/** He initialisation from a normal distribution. @example init.kaimingNormal_(w, { mode: 'fanOut', nonlinearity: 'relu' }) */
export function kaimingNormal_(t: Tensor, options?: KaimingOptions): Tensor {
  const o = parseOptions(kaimingOptions, options, 'nn.init.kaimingNormal_()');
  const std = kaimingStd(t, o);
  return noGrad(() => t.normal_(0, std, { generator: o.generator }));
}

/** He initialisation from a uniform distribution (what Conv2d and Linear use by default, with a = sqrt(5)). @example init.kaimingUniform_(w, { a: Math.sqrt(5) }) */
export function kaimingUniform_(t: Tensor, options?: KaimingOptions): Tensor {
  const o = parseOptions(kaimingOptions, options, 'nn.init.kaimingUniform_()');
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return noGrad(() => t.uniform_(-bound, bound, { generator: o.generator }));
}

function xavierStd(t: Tensor, gain: unknown): number {
  if (typeof gain !== 'number' || !Number.isFinite(gain)) throw new TypeError(`Expected a finite number for gain but received ${describe(gain)}`);
  const f = fans(t);
  return gain * Math.sqrt(2 / (f.fanIn + f.fanOut));
}

/** Glorot initialisation from U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)). @example init.xavierUniform_(fc.weight, init.calculateGain('tanh'), { generator: g }) */
export function xavierUniform_(t: Tensor, gain = 1, options?: InitOptions): Tensor {
  const a = Math.sqrt(3) * xavierStd(t, gain);
  const generator = generatorOf(options, 'nn.init.xavierUniform_()');
  return noGrad(() => t.uniform_(-a, a, { generator }));
}

/** Glorot initialisation from N(0, gain² * 2 / (fanIn + fanOut)). @example init.xavierNormal_(fc.weight) */
export function xavierNormal_(t: Tensor, gain = 1, options?: InitOptions): Tensor {
  const std = xavierStd(t, gain);
  const generator = generatorOf(options, 'nn.init.xavierNormal_()');
  return noGrad(() => t.normal_(0, std, { generator }));
}

/** Fills `t` from U(a, b) in place. @example init.uniform_(w, -0.1, 0.1, { generator: g }) */
export const uniform_ = (t: Tensor, a = 0, b = 1, options?: InitOptions): Tensor =>
  noGrad(() => t.uniform_(a, b, { generator: generatorOf(options, 'nn.init.uniform_()') }));
/** Fills `t` from N(mean, std²) in place. @example init.normal_(fc.weight, 0, 0.01) */
export const normal_ = (t: Tensor, mean = 0, std = 1, options?: InitOptions): Tensor =>
  noGrad(() => t.normal_(mean, std, { generator: generatorOf(options, 'nn.init.normal_()') }));
/** Fills `t` with `value` in place. @example init.constant_(bn.weight, 1) */
export const constant_ = (t: Tensor, value: number): Tensor => noGrad(() => t.fill_(value));
/** Fills `t` with zeros in place. @example init.zeros_(fc.bias) */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fills `t` with ones in place. @example init.ones_(bn.weight) */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);
