// Normalisation layers that do not depend on the batch: LayerNorm and GroupNorm.
import { z } from 'zod';

import { ones, zeros } from '../creation.js';
import * as F from '../functional.js';
import { parseOptions, positionalOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

const positive = z.number().int().positive().describe('a positive integer');
const eps = z.number().positive().describe('a positive number').default(1e-5);
const bool = z.boolean().describe('a boolean');

const layerNormOptions = z.strictObject({
  normalizedShape: z.union([positive, z.array(positive).nonempty()]).describe('a positive integer or a non-empty array of them'),
  eps,
  elementwiseAffine: bool.default(true),
  /** PyTorch 2.1's `bias`: false keeps the scale only. */
  bias: bool.default(true),
});
export type LayerNormOptions = z.input<typeof layerNormOptions>;

/**
 * Normalises over the last dims (`normalizedShape`), then applies a learned scale (ones) and shift (zeros).
 * @example new nn.LayerNorm(768) // or new nn.LayerNorm({ normalizedShape: 768, eps: 1e-6 })
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly options: z.output<typeof layerNormOptions>;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(options: LayerNormOptions);
  constructor(normalizedShape: number | number[], options?: Omit<LayerNormOptions, 'normalizedShape'>);
  constructor(...args: unknown[]) {
    super();
    const o = (this.options = parseOptions(layerNormOptions, positionalOptions(args, ['normalizedShape'], 'nn.LayerNorm'), 'nn.LayerNorm'));
    this.normalizedShape = typeof o.normalizedShape === 'number' ? [o.normalizedShape] : [...o.normalizedShape];
    this.weight = this.registerParameter('weight', o.elementwiseAffine ? ones(this.normalizedShape) : null);
    this.bias = this.registerParameter('bias', o.elementwiseAffine && o.bias ? zeros(this.normalizedShape) : null);
  }

  forward(input: Tensor): Tensor {
    return F.layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.options.eps });
  }
}

const groupNormOptions = z.strictObject({ numGroups: positive, numChannels: positive, eps, affine: bool.default(true) });
export type GroupNormOptions = z.input<typeof groupNormOptions>;

/**
 * Normalises groups of channels of [N, C, ...] inputs, then a learned per-channel scale and shift.
 * @example new nn.GroupNorm(8, 64)
 */
export class GroupNorm extends Module {
  readonly options: z.output<typeof groupNormOptions>;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(options: GroupNormOptions);
  constructor(numGroups: number, numChannels: number, options?: Omit<GroupNormOptions, 'numGroups' | 'numChannels'>);
  constructor(...args: unknown[]) {
    super();
    const o = (this.options = parseOptions(groupNormOptions, positionalOptions(args, ['numGroups', 'numChannels'], 'nn.GroupNorm'), 'nn.GroupNorm'));
    if (o.numChannels % o.numGroups) throw new TypeError(`numChannels (${o.numChannels}) must be divisible by numGroups (${o.numGroups})`);
    this.weight = this.registerParameter('weight', o.affine ? ones([o.numChannels]) : null);
    this.bias = this.registerParameter('bias', o.affine ? zeros([o.numChannels]) : null);
  }

  forward(input: Tensor): Tensor {
    return F.groupNorm(input, this.options.numGroups, { weight: this.weight, bias: this.bias, eps: this.options.eps });
  }
}
