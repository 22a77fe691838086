// Upsample: F.interpolate as a module.
import { z } from 'zod';

import * as F from '../functional.js';
import { parseOptions } from '../options.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

const positiveInt = z.number().int().positive();
const positiveNumber = z.number().positive();

const upsampleOptions = z.strictObject({
  size: z.union([positiveInt, z.tuple([positiveInt, positiveInt])]).describe('a positive integer or a pair of them').optional(),
  scaleFactor: z.union([positiveNumber, z.tuple([positiveNumber, positiveNumber])]).describe('a positive number or a pair of them').optional(),
  mode: z.enum(['nearest', 'bilinear']).describe("'nearest' or 'bilinear'").default('nearest'),
  alignCorners: z.boolean().describe('a boolean').optional(),
});
export type UpsampleOptions = z.input<typeof upsampleOptions>;

/**
 * Resizes [N, C, H, W] inputs to `size` or by `scaleFactor` (nearest or bilinear).
 * @example new nn.Upsample({ scaleFactor: 2, mode: 'bilinear', alignCorners: false })
 */
export class Upsample extends Module {
  readonly options: z.output<typeof upsampleOptions>;

  constructor(options: UpsampleOptions) {
    super();
    const o = (this.options = parseOptions(upsampleOptions, options, 'nn.Upsample'));
    if ((o.size === undefined) === (o.scaleFactor === undefined)) throw new TypeError('Expected exactly one of size and scaleFactor for nn.Upsample');
    if (o.mode === 'nearest' && o.alignCorners !== undefined) throw new TypeError("alignCorners can only be set with mode 'bilinear'");
  }

  forward(input: Tensor): Tensor {
    const { size, scaleFactor, mode, alignCorners } = this.options;
    return F.interpolate(input, {
      mode, ...(size !== undefined && { size }), ...(scaleFactor !== undefined && { scaleFactor }),
      ...(alignCorners !== undefined && { alignCorners }),
    });
  }
}
